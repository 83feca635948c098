"""The one worker that owns the training thread.

`TrainingWorker` runs on a dedicated `EngineThread`: it imports TensorFlow there (so the window
never waits for it), then builds, compiles, trains and saves every model on that same thread,
since Keras and TensorFlow keep per-thread state. It talks to the window only through signals.
Step losses are buffered and emitted as arrays at most every `EMIT_INTERVAL_S`, so a fast run
never floods the UI thread.

The thread's whole life is one Python call, `TrainingWorker.serve()`, which takes jobs from a
queue, so the thread keeps one Python thread state from start to end. Running each job as a
queued slot on the thread's event loop crashed TensorFlow's graph building here (SIGSEGV in
take_gil, under PySide6 6.12, which also corrupts reference counts on cross-thread emits: see
pyproject.toml); this shape has not. Requests (`request_run`, `request_describe`,
`request_save`) and the controls (`stop`, `pause`, `resume`) are plain thread-safe calls.

Every run and compare run is recorded in the run library (`trainers.runs`) by a connection this
thread opens and alone uses; `set_runs_dir` chooses the library's folder for the next run.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from gui import collector

EMIT_INTERVAL_S = 0.05
BOUNDARY_INTERVAL_S = 0.1  # decision regions: at most ten pictures a second
BOUNDARY_RESOLUTION = 60


class TrainingWorker(QObject):
    """Runs the engine on its own thread and reports through `sig_*` signals."""

    sig_ready = Signal(str)
    """The engine is imported; the argument names the device training will use."""
    sig_status = Signal(str)
    """What the worker is doing now, for the status bar."""
    sig_dataset = Signal(object)
    """A dataset description: dict with summary, task, n_classes, columns; or error."""
    sig_started = Signal(object)
    """A run started: its `trainers.session.RunInfo`."""
    sig_steps = Signal(object, object)
    """New step-curve points: arrays of step numbers and losses."""
    sig_epoch = Signal(int, object)
    """An epoch ended: its number (1-based) and its logs dict."""
    sig_optimizer_steps = Signal(object, object, object, object)
    """Inside the optimizer: step numbers and their update sizes; the steps the effective
    learning rate was read after (once per chunk) and its values."""
    sig_boundary = Signal(int, object)
    """Decision regions after an epoch: its number and the class probabilities on the grid."""
    sig_finished = Signal(object)
    """A run completed or was stopped: its `RunResult`."""
    sig_failed = Signal(str, object)
    """A run could not start or ended badly: the message, and the `RunResult` or None."""
    sig_saved = Signal(str, str)
    """A run was saved: the folder, and an error message ('' when all went well)."""
    sig_compare_started = Signal(int, str, object)
    """Compare run `index` (its label) started: its RunInfo."""
    sig_compare_steps = Signal(int, object, object)
    """Compare run `index`: new step numbers and losses."""
    sig_compare_epoch = Signal(int, int, object, float)
    """Compare run `index`: an epoch ended (number, logs, seconds since its first step)."""
    sig_compare_run_finished = Signal(int, object)
    """Compare run `index` ended: its RunResult (any status)."""
    sig_compare_finished = Signal(object)
    """All compare runs ended (or were stopped): the summary rows."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._session = None
        self._busy = threading.Event()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._runs_dir: str | None = None  # None: the default folder (see trainers.runs)
        self._tensorboard_dir: str | None = None  # None: no TensorBoard logs
        self._library = None  # opened on the engine thread, for the folder in _library_dir
        self._library_dir: str | None = None
        self._recorded = None  # (RunResult, RunRecorder) of the last run, to note a saved model

    # ------------------------------------------------------------------- requests, any thread
    def request_run(self, config) -> bool:
        """Queue a run of `config`; False (and nothing queued) while a run is in progress."""
        if self._busy.is_set():
            return False
        self._busy.set()  # set here, so a second click before the thread picks it up is refused
        self._jobs.put((self._run, (config,)))
        return True

    def request_describe(self, request: dict) -> None:
        self._jobs.put((self._describe_dataset, (request,)))

    def request_save(self, result, folder: str) -> None:
        self._jobs.put((self._save_run, (result, folder)))

    def request_compare(self, runs: list, target_loss: float | None = None) -> bool:
        """Queue a comparison of (label, RunConfig) runs, trained one after another."""
        if self._busy.is_set():
            return False
        self._busy.set()
        self._jobs.put((self._compare, (runs, target_loss)))
        return True

    def set_tensorboard_dir(self, folder: str | None) -> None:
        """Write TensorBoard logs of the next runs, each in its own sub-folder of `folder`
        (None: write none)."""
        with self._lock:
            self._tensorboard_dir = folder or None

    def set_runs_dir(self, folder: str | None) -> None:
        """Record the next runs in the library in `folder` (None: the default folder)."""
        with self._lock:
            self._runs_dir = folder or None

    def request_quit(self) -> None:
        """End `serve()` after the job in progress (stop a run first to make that quick)."""
        self._jobs.put(None)

    def serve(self) -> None:
        """The body of the training thread: load the engine, then do jobs until told to quit."""
        self._initialize()
        while (job := self._jobs.get()) is not None:
            function, args = job
            try:
                function(*args)
            except Exception as exc:  # never let an exception kill the worker thread
                traceback.print_exc()  # for a bug report; the user gets one readable line
                self.sig_failed.emit(
                    f"Something went wrong ({type(exc).__name__}: {exc}). Try again; if it "
                    f"happens again, please report it with these settings.",
                    None,
                )
        if self._library is not None:
            self._library.close()

    # ----------------------------------------------------------- thread-safe, from any thread
    def stop(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.stop()

    def pause(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.pause()

    def resume(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.resume()

    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    # ------------------------------------------------------------- jobs, on the worker thread
    def _initialize(self) -> None:
        """Import the engine (TensorFlow, ~3 s) and say which device it found."""
        try:
            self.sig_status.emit("Preparing TensorFlow...")
            import trainers  # noqa: F401
            from trainers.session import device_description

            # TensorFlow and Keras are alive until exit: keep full collections from walking them.
            collector.freeze_long_lived()
            self.sig_ready.emit(device_description())
        except Exception as exc:  # a broken install must still end in a readable message
            self.sig_failed.emit(f"TensorFlow could not be loaded: {exc}", None)

    def _describe_dataset(self, request: dict) -> None:
        """Load a dataset to describe it (summary line, task, classes, CSV columns)."""
        from trainers import datasets
        from trainers.errors import DescentError

        try:
            data = datasets.get(
                request["dataset"],
                validation_split=request.get("validation_split", 0.2),
                seed=request.get("seed", 0),
                target=request.get("target"),
                **request.get("options", {}),
            )
        except DescentError as exc:
            self.sig_dataset.emit({"request": request, "error": str(exc)})
            return
        except Exception as exc:  # an unexpected loader failure is still a message
            self.sig_dataset.emit({"request": request, "error": f"{type(exc).__name__}: {exc}"})
            return
        self.sig_dataset.emit(
            {
                "request": request,
                "summary": data.summary(),
                "task": data.task,
                "n_classes": data.n_classes,
                "input_shape": tuple(data.input_shape),
                "dataset": data,
            }
        )

    def _open_library(self):
        """The run library for the folder now chosen, opened on this thread; None (and a
        status message) when it cannot be opened: the run then trains unrecorded."""
        from trainers.runs import RunLibrary, RunLibraryError

        with self._lock:
            folder = self._runs_dir
        if self._library is not None and self._library_dir == folder:
            return self._library
        if self._library is not None:
            self._library.close()
            self._library = None
        try:
            self._library = RunLibrary(folder)
            self._library_dir = folder
        except RunLibraryError as exc:
            self.sig_status.emit(f"This run is not recorded: {exc}")
        return self._library

    def _run(self, config) -> None:
        """Train `config` (a RunConfig) to the end; `request_run` let only one in."""
        from trainers.errors import DescentError
        from trainers.runs import RecordingListener
        from trainers.session import TrainingSession

        listener = _SignalListener(self)
        library = self._open_library()
        if library is not None:
            listener = RecordingListener(library, config, listener, source="window")
        with self._lock:
            logs = self._tensorboard_dir
        if logs is not None:
            from trainers.exports import run_log_folder

            logs = run_log_folder(logs, config)
        session = TrainingSession(
            config,
            listener,
            inspect_optimizer=True,
            boundary_resolution=BOUNDARY_RESOLUTION,
            tensorboard_dir=logs,
        )
        with self._lock:
            self._session = session
        if library is not None:
            listener.session = session
        try:
            session.run()
        except DescentError:
            pass  # the listener has already emitted sig_failed with the message
        finally:
            if library is not None:
                self._recorded = (session.result, listener.recorder)
                if listener.error:
                    self.sig_status.emit(
                        f"The run library missed part of this run: {listener.error}"
                    )
            with self._lock:
                self._session = None
            self._busy.clear()

    def _compare(self, runs: list, target_loss: float | None) -> None:
        """Train each (label, config) in turn from the same seed, reporting as they go."""
        from trainers.compare import CompareSession
        from trainers.errors import DescentError
        from trainers.runs import CompareRecording

        listener = _CompareSignals(self)
        library = self._open_library()
        if library is not None:
            listener = CompareRecording(library, listener, source="window")
        session = CompareSession(runs, listener, target_loss=target_loss)
        with self._lock:
            self._session = session
        try:
            session.run()
        except DescentError as exc:
            self.sig_failed.emit(str(exc), None)
            self.sig_compare_finished.emit([])
        finally:
            with self._lock:
                self._session = None
            self._busy.clear()

    def _save_run(self, result, folder: str) -> None:
        """Write a finished run (curves, config, model) into `folder`."""
        from trainers.errors import DescentError
        from trainers.storage import save_run

        try:
            save_run(result, folder)
        except DescentError as exc:
            self.sig_saved.emit(folder, str(exc))
            return
        except Exception as exc:
            self.sig_saved.emit(folder, f"{type(exc).__name__}: {exc}")
            return
        recorded = self._recorded
        if recorded is not None and recorded[0] is result and result.model is not None:
            from pathlib import Path

            recorded[1].set_model_path(Path(folder).resolve() / "model.keras")
        self.sig_saved.emit(folder, "")


class EngineThread(QThread):
    """The dedicated training thread: its `run()` is the worker's `serve()`."""

    def __init__(self, worker: TrainingWorker, parent=None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setObjectName("trainingThread")
        # Garbage cycles may hold widgets; they must be collected here, never on this thread.
        collector.install()
        # TensorFlow traces graphs with deep native recursion: give the thread a stack as big
        # as a main thread's rather than a platform default that may be smaller.
        self.setStackSize(64 * 1024 * 1024)

    def run(self) -> None:
        self.worker.serve()


class _CompareSignals:
    """Turns a CompareSession's events into the worker's sig_compare_* signals, buffering steps."""

    def __init__(self, worker: TrainingWorker) -> None:
        self.worker = worker
        self.buffer: dict[int, tuple[list, list]] = {}
        self.last_emit = 0.0

    def flush(self) -> None:
        for index, (steps, losses) in self.buffer.items():
            if steps:
                self.worker.sig_compare_steps.emit(
                    index, np.concatenate(steps), np.concatenate(losses)
                )
        self.buffer.clear()
        self.last_emit = time.monotonic()

    def on_status(self, text: str) -> None:
        self.flush()
        self.worker.sig_status.emit(text)

    def on_run_started(self, index: int, label: str, info) -> None:
        self.flush()
        self.worker.sig_compare_started.emit(index, label, info)

    def on_run_steps(self, index: int, steps, losses) -> None:
        held = self.buffer.setdefault(index, ([], []))
        held[0].append(steps)
        held[1].append(losses)
        if time.monotonic() - self.last_emit >= EMIT_INTERVAL_S:
            self.flush()

    def on_run_epoch(self, index: int, epoch: int, logs: dict, seconds: float) -> None:
        self.flush()
        self.worker.sig_compare_epoch.emit(index, epoch, logs, float(seconds))

    def on_run_finished(self, index: int, label: str, result) -> None:
        self.flush()
        self.worker.sig_compare_run_finished.emit(index, result)

    def on_all_finished(self, rows: list) -> None:
        self.flush()
        self.worker._busy.clear()  # as _SignalListener.on_finished: the next request may queue
        self.worker.sig_compare_finished.emit(rows)


class _SignalListener:
    """Turns the session's events into the worker's signals, buffering step points."""

    def __init__(self, worker: TrainingWorker) -> None:
        self.worker = worker
        self.steps: list[np.ndarray] = []
        self.losses: list[np.ndarray] = []
        self.inside: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.boundary = None
        self.last_emit = 0.0
        self.last_boundary = 0.0

    def flush(self) -> None:
        if self.steps:
            steps, losses = np.concatenate(self.steps), np.concatenate(self.losses)
            self.steps, self.losses = [], []
            self.worker.sig_steps.emit(steps, losses)
        if self.inside:
            parts = [np.concatenate(column) for column in zip(*self.inside, strict=True)]
            self.inside = []
            self.worker.sig_optimizer_steps.emit(*parts)
        self.last_emit = time.monotonic()

    def flush_boundary(self) -> None:
        if self.boundary is not None:
            self.worker.sig_boundary.emit(*self.boundary)
            self.boundary = None
        self.last_boundary = time.monotonic()

    def on_status(self, text: str) -> None:
        self.flush()  # e.g. "Paused": the points before it must be on screen while it holds
        self.flush_boundary()
        self.worker.sig_status.emit(text)

    def on_started(self, info) -> None:
        self.worker.sig_started.emit(info)
        self.last_emit = time.monotonic()

    def on_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        self.steps.append(steps)
        self.losses.append(losses)
        if time.monotonic() - self.last_emit >= EMIT_INTERVAL_S:
            self.flush()

    def on_optimizer_steps(self, steps, norms, rate_steps, rates) -> None:
        self.inside.append((steps, norms, rate_steps, rates))

    def on_boundary(self, epoch: int, probabilities: np.ndarray) -> None:
        self.boundary = (epoch, probabilities)  # only the newest picture is worth sending
        if time.monotonic() - self.last_boundary >= BOUNDARY_INTERVAL_S:
            self.flush_boundary()

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        self.flush()
        self.worker.sig_epoch.emit(epoch, logs)

    def on_finished(self, result) -> None:
        self.flush()
        self.flush_boundary()
        # Free for the next request before the window hears of the end: a Train pressed the
        # moment a run ends must queue behind this job's clean-up, not be refused as "busy".
        self.worker._busy.clear()
        self.worker.sig_finished.emit(result)

    def on_failed(self, message: str, result) -> None:
        self.flush()
        self.flush_boundary()
        self.worker._busy.clear()
        self.worker.sig_failed.emit(message, result)
