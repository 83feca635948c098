"""A run folder's run.py (`trainers.script`): a plain Keras script that, run by itself in a
fresh process, trains the run again and writes the same step losses as the run's own."""

from __future__ import annotations

import ast
import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trainers.config import RunConfig
from trainers.session import TrainingSession
from trainers.storage import save_run

ROOT = Path(__file__).resolve().parents[2]


def _run_script(folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(folder / "run.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=folder.parent,  # not Descent's folder: only PYTHONPATH finds `trainers`
    )


def _step_losses(path: Path) -> np.ndarray:
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == ["step", "loss"]
    return np.array([float(row[1]) for row in rows[1:]])


@pytest.mark.parametrize(
    "config",
    [
        RunConfig(dataset="moons", optimizer="adam", epochs=3, batch_size="32", seed=4),
        RunConfig(
            dataset="sine",
            optimizer="momentum",
            epochs=3,
            batch_size="16",
            schedule="cosine",
            hidden_layers=(8,),
        ),
    ],
    ids=["adam-classification", "momentum-regression-cosine"],
)
def test_run_py_reproduces_the_runs_step_losses(tmp_path, config):
    result = TrainingSession(config).run()
    assert result.status == "completed"
    folder = save_run(result, tmp_path / "runs" / "x")
    assert (folder / "run.py").exists() and (folder / "run_data.npz").exists()
    done = _run_script(folder)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"epoch {config.epochs}:" in done.stdout
    mine = _step_losses(folder / "run_steps.csv")
    assert len(mine) == len(result.step_losses)
    np.testing.assert_allclose(mine, result.step_losses, rtol=1e-6)


def test_a_diverging_run_stops_where_the_run_did(tmp_path):
    config = RunConfig(
        dataset="sine",
        optimizer="sgd",
        epochs=3,
        batch_size="32",
        hyperparameters={"learning_rate": 50.0},
    )
    result = TrainingSession(config).run()
    assert result.status == "diverged"
    folder = save_run(result, tmp_path / "diverged")
    done = _run_script(folder)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "no longer a finite number" in done.stdout
    mine = _step_losses(folder / "run_steps.csv")
    # Descent ends the chunk of steps it was in; the script stops at the first bad loss
    first_bad = int(np.argmin(np.isfinite(result.step_losses)))
    assert len(mine) == first_bad + 1 and not np.isfinite(mine[-1])
    np.testing.assert_allclose(mine[:-1], result.step_losses[:first_bad], rtol=1e-6)


def test_the_script_imports_keras_and_descents_classes_only(tmp_path):
    result = TrainingSession(RunConfig(dataset="moons", epochs=1)).run()
    folder = save_run(result, tmp_path / "one")
    tree = ast.parse((folder / "run.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {
        "csv",
        "json",
        "math",
        "pathlib",
        "keras",
        "numpy",
        "tensorflow",
        "trainers.keras_objects",
    }
