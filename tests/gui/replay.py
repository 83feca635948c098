"""A stand-in for the window's worker that plays back events instead of training: for window
tests that only need what the engine reports, without TensorFlow.

`ReplayWorker` has the signals and the requests of `gui.worker.TrainingWorker`; a request for a
run answers with a job number and remembers the config, and `play(events)` sends the events a
run of that job would report (`recorded_run` makes a short one).
"""

from __future__ import annotations

import numpy as np

from gui.worker.engine import WorkerSignals
from tests.made import completed_run, run_info
from trainers.config import RunConfig
from trainers.events import EpochEnded, Finished, RunKey, Started, Steps


class ReplayWorker(WorkerSignals):
    """The worker's interface, answering requests without an engine."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = False
        self.busy = False
        self.requests: list = []
        self.engines: list[str] = []  # the engine each comparison asked for
        self.controls: list[str] = []
        self.job = 0

    def load(self, device: str = "CPU (replayed)") -> None:
        """Say the engine is loaded, as the real worker does once TensorFlow is imported."""
        self.ready = True
        self.sig_ready.emit(device)

    def request_run(self, config) -> int | None:
        if self.busy:
            return None
        self.job += 1
        self.busy = True
        self.requests.append(("run", config))
        return self.job

    def request_compare(self, runs, target_loss=None, engine="auto") -> int | None:
        self.requests.append(("compare", runs))
        self.engines.append(engine)
        return None  # no comparisons are played back here

    def request_benchmark(self, spec) -> int | None:
        self.requests.append(("benchmark", spec))
        return None  # no benchmarks are played back here

    def request_describe(self, request: dict) -> None:
        self.requests.append(("describe", request))

    def request_save(self, result, folder: str) -> None:
        self.requests.append(("save", folder))

    def set_runs_dir(self, folder) -> None:
        self.requests.append(("runs_dir", folder))

    def set_tensorboard_dir(self, folder) -> None:
        self.requests.append(("tensorboard_dir", folder))

    def stop(self) -> None:
        self.controls.append("stop")

    def pause(self) -> None:
        self.controls.append("pause")

    def resume(self) -> None:
        self.controls.append("resume")

    def request_quit(self) -> None:
        self.controls.append("quit")

    def play(self, events: list) -> None:
        """Send `events` in one batch, as the worker's relay does once a frame."""
        if any(isinstance(e, Finished) for e in events):
            self.busy = False
        self.sig_events.emit(list(events))


def recorded_run(job: int, config: RunConfig, epochs: int = 2, steps_per_epoch: int = 5):
    """The events of a short run of job `job`: its start, every step, each epoch's end and
    the end, with losses that fall; the events and the `RunResult` the last one carries."""
    key = RunKey(job, 0)
    total = epochs * steps_per_epoch
    losses = np.linspace(0.9, 0.3, total)
    info = run_info(
        config,
        dataset_summary="10 samples (replayed)",
        model_summary="2-4-1",
        n_val=0,
        batch_size=2,
        steps_per_epoch=steps_per_epoch,
        total_steps=total,
        device="CPU (replayed)",
        initial_logs={"loss": 1.0, "accuracy": 0.5},
    )
    events = [Started(key, info)]
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    for epoch in range(epochs):
        chunk = slice(epoch * steps_per_epoch, (epoch + 1) * steps_per_epoch)
        steps = np.arange(chunk.start + 1, chunk.stop + 1)
        events.append(Steps(key, steps, losses[chunk]))
        logs = {"loss": float(losses[chunk].mean()), "accuracy": 0.6 + 0.1 * epoch}
        for name, value in logs.items():
            history[name].append(value)
        events.append(EpochEnded(key, epoch + 1, logs, 0.1 * (epoch + 1)))
    result = completed_run(
        info,
        history,
        losses,
        message=f"Completed {epochs} epochs",
        duration_s=0.5,
        epoch_times=[0.1 * (e + 1) for e in range(epochs)],
    )
    events.append(Finished(key, result))
    return events, result


def replayed_window(qtbot, settings, worker: ReplayWorker | None = None, size=None):
    """The real window on `worker` (a new `ReplayWorker` by default), shown, past its first
    paint's work and with the engine "loaded": what a user sees, without TensorFlow."""
    from gui import MainWindow

    worker = worker or ReplayWorker()
    window = MainWindow(settings=settings, worker=worker)
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    window._finish_startup()
    worker.load()
    return window
