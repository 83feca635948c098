"""What the run library's tests share: a small run, a recorded real run, a child's environment."""

import os
from pathlib import Path

from trainers.config import RunConfig
from trainers.events import RunKey, tee
from trainers.runs import LibraryRecording, RunLibrary
from trainers.session import TrainingSession

ROOT = Path(__file__).resolve().parents[3]


def small_config(**changes) -> RunConfig:
    base = dict(dataset="moons", epochs=2, batch_size=32, seed=0, hidden_layers=(8,))
    base.update(changes)
    return RunConfig(**base)


def record_run(library: RunLibrary, config: RunConfig, listener=None, **options):
    """Train `config`, recorded in `library`; the result and the run's `RunRecorder`."""
    recording = LibraryRecording(library, **options)
    session = TrainingSession(config, tee(recording, listener))
    return session.run(), recording.recorder_for(RunKey())


def child_env(runs_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DESCENT_RUNS_DIR"] = str(runs_dir)
    env["PYTHONPATH"] = str(ROOT)
    return env
