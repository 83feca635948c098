"""The one worker that owns the training thread.

`TrainingWorker` runs on a dedicated `EngineThread`: it imports TensorFlow there (so the window
never waits for it), then builds, compiles, trains and saves every model on that same thread,
since Keras and TensorFlow keep per-thread state. It talks to the window only through signals:
the engine's events (`trainers.events`) travel in batches through the one `sig_events`, held and
merged about once a frame by an `EventRelay`, so a fast run never floods the UI thread.

Each run or comparison is a job with its own number, returned by `request_run` and
`request_compare`; its events carry that number in their key, so each view takes the events of
its own job. Events about the worker itself (loading the engine, the run library) come as job 0.

The thread's whole life is one Python call, `TrainingWorker.serve()`, which takes jobs from a
queue, so the thread keeps one Python thread state from start to end. Running each job as a
queued slot on the thread's event loop crashed TensorFlow's graph building here (SIGSEGV in
take_gil, under PySide6 6.12, which also corrupts reference counts on cross-thread emits: see
pyproject.toml); this shape has not. Requests and the controls (`stop`, `pause`, `resume`, which
act on the job in progress through its `trainers.control.JobControl`) are plain thread-safe
calls.

Every run and compare run is recorded in the run library (`trainers.runs`) by a connection this
thread opens and alone uses; `set_runs_dir` chooses the library's folder for the next run.
"""

from __future__ import annotations

import itertools
import os
import queue
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from gui.worker import collector
from gui.worker.relay import EventRelay
from trainers.control import JobControl
from trainers.events import Failed, Finished, JobFinished, RunKey, Status, tee

BOUNDARY_RESOLUTION = 60
WORKER = RunKey(0, None)
"""The key of events about the worker itself (the engine loading, the run library)."""
ENGINE_NICENESS = 10
"""How many steps of niceness below the GUI thread the engine thread and its pools run."""
GIL_SWITCH_INTERVAL_S = 0.0002
"""How long a thread holds the GIL while another waits for it (Python's default: 5 ms)."""
COLLECT_WAIT_S = 1.0
"""The longest the engine waits for the GUI thread to collect a part's garbage."""


class WorkerSignals(QObject):
    """What the window hears from a worker: the signals `MainWindow` connects to. A stand-in
    worker (a test's, playing recorded events) has these and the requests below."""

    sig_ready = Signal(str)
    """The engine is imported; the argument names the device training will use."""
    sig_events = Signal(object)
    """A batch (list) of `trainers.events` events, in the order the engine reported them."""
    sig_dataset = Signal(object)
    """A dataset description: dict with summary, task, n_classes, columns; or error."""
    sig_saved = Signal(str, str)
    """A run was saved: the folder, and an error message ('' when all went well)."""
    sig_collect = Signal(object)
    """A part of a job has ended and dropped its models (or a piece of what it traced):
    collect the garbage now (the GUI thread's collector does, a part at a time rather than
    all the job's at once), then set the argument, a `threading.Event` the engine waits on."""
    sig_lr_find = Signal(int, object)
    """A learning-rate range test ended: its job number and its `trainers.lr_find.RangeTest`
    (the weights and optimizer state put back), or None when it did not run (`Failed` says
    why). Its steps came before as `RangeSteps` events."""
    sig_benchmark = Signal(int, object)
    """A benchmark job ended: its job number and its `trainers.report.Report` (built here, off
    the UI thread: its bootstrap intervals take a second), whose `result` is the
    `trainers.benchmark.BenchmarkResult`; None when it could not start (`Failed` says why)."""
    sig_landscape = Signal(int, object)
    """A landscape job ended: its job number and its `trainers.landscape.Landscape` (lines,
    slice, paths and the map under them; a stopped one has what was computed), or None when
    it could not be computed (`Failed` says why). Its paths came before as `PathsMoved`."""


class TrainingWorker(WorkerSignals):
    """Runs the engine on its own thread and reports through the `sig_*` signals."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._control: JobControl | None = None
        self._busy = threading.Event()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._numbers = itertools.count(1)
        self._runs_dir: str | None = None  # None: the default folder (see trainers.runs)
        self._tensorboard_dir: str | None = None  # None: no TensorBoard logs
        self._library = None  # opened on the engine thread, for the folder in _library_dir
        self._library_dir: str | None = None
        self._recorded = None  # (RunResult, RunRecorder) of the last run, to note a saved model
        self._relay = EventRelay(self.sig_events.emit)
        self.ready = False  # True once the engine is imported (sig_ready has been sent)
        # Set by EngineThread, which connects sig_collect to the GUI thread's collector.
        self.collects_on_gui = False

    # ------------------------------------------------------------------- requests, any thread
    def request_run(self, config) -> int | None:
        """Queue a run of `config`; its job number, or None (nothing queued) while a job is in
        progress."""
        return self._request(self._run, config)

    def request_compare(
        self, runs: list, target_loss: float | None = None, engine: str = "auto"
    ) -> int | None:
        """Queue a comparison of (label, RunConfig) runs, trained by `engine` (one of
        `trainers.compare.ENGINES`); its job number, or None while a job is in progress."""
        return self._request(self._compare, runs, target_loss, engine)

    def request_benchmark(self, spec) -> int | None:
        """Queue a benchmark (`trainers.benchmark.BenchmarkSpec`); its job number, or None
        while a job is in progress. Its events come as a comparison's do, one member per
        trial; `sig_benchmark` carries the result at the end."""
        return self._request(self._benchmark, spec)

    def request_lr_find(
        self, config, eta_min: float, eta_max: float, steps: int, seeds: list[int]
    ) -> int | None:
        """Queue a learning-rate range test of `config`'s model and optimizer over `seeds`
        (`trainers.lr_find.run_range_test`); its job number, or None while a job is in
        progress. `RangeSteps` events report its steps; `sig_lr_find` carries the result."""
        return self._request(self._lr_find, config, eta_min, eta_max, steps, list(seeds))

    def request_landscape(self, spec) -> int | None:
        """Queue a landscape job (`trainers.landscape.LandscapeSpec`): its runs trained one
        after another from the same weights, then the loss along lines, on a slice and under
        their paths; its job number, or None while a job is in progress. `PathsMoved` events
        bring the paths as they train; `sig_landscape` carries the result."""
        return self._request(self._landscape, spec)

    def _request(self, function, *args) -> int | None:
        with self._lock:
            if self._busy.is_set():
                return None
            self._busy.set()  # here, so a second click before the thread picks it up is refused
            job = next(self._numbers)
            self._control = JobControl()
            self._jobs.put((function, (RunKey(job, None), self._control, *args)))
        return job

    def request_describe(self, request: dict) -> None:
        self._jobs.put((self._describe_dataset, (request,)))

    def request_save(self, result, folder: str) -> None:
        self._jobs.put((self._save_run, (result, folder)))

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
            key = args[0] if args and isinstance(args[0], RunKey) else WORKER
            try:
                function(*args)
            except Exception as exc:  # never let an exception kill the worker thread
                traceback.print_exc()  # for a bug report; the user gets one readable line
                self._done()
                self._relay(Failed(key, _went_wrong(exc)))
                if key != WORKER:  # a comparison's view waits for its job's end
                    self._relay(JobFinished(key, ()))
        if self._library is not None:
            self._library.close()

    # ----------------------------------------------------------- thread-safe, from any thread
    def _control_job(self, action: str) -> None:
        """`JobControl.<action>()` of the job in progress, if any."""
        with self._lock:
            control = self._control
        if control is not None:
            getattr(control, action)()

    def stop(self) -> None:
        self._control_job("stop")

    def pause(self) -> None:
        self._control_job("pause")

    def resume(self) -> None:
        self._control_job("resume")

    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    # ------------------------------------------------------------- jobs, on the worker thread
    def _done(self) -> None:
        """The job in progress is over: the next request may be queued."""
        with self._lock:
            self._control = None
        self._busy.clear()

    def _initialize(self) -> None:
        """Import the engine (TensorFlow, ~3 s) and say which device it found."""
        try:
            self._relay(Status(WORKER, "Preparing TensorFlow..."))
            import trainers.keras_objects  # noqa: F401  (TensorFlow, Keras, our classes)
            from trainers.build import device_description

            # TensorFlow and Keras are alive until exit: keep full collections from walking them.
            collector.freeze_long_lived()
            device = device_description()
            self.ready = True
            self.sig_ready.emit(device)
        except Exception as exc:  # a broken install must still end in a readable message
            self._relay(Failed(WORKER, f"TensorFlow could not be loaded: {exc}"))

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
            self._relay(Status(WORKER, f"This run is not recorded: {exc}"))
        return self._library

    def _listener(self, ends, recording):
        """The job's listener: the run library first, then the relay to the window. The job is
        marked done before the event that `ends(event)` says ends it goes out, so a Train
        pressed the moment a run ends queues behind this job's clean-up, not refused as busy."""

        def relay(event) -> None:
            if ends(event):
                self._done()
            self._relay(event)

        return tee(recording, relay)

    def _warn_unrecorded(self, recording) -> None:
        if recording is not None and recording.error:
            text = f"The run library missed part of this run: {recording.error}"
            self._relay(Status(WORKER, text))

    def _run(self, key: RunKey, control: JobControl, config) -> None:
        """Train `config` (a RunConfig) to the end; `request_run` let only one in."""
        from trainers.errors import DescentError
        from trainers.runs import LibraryRecording
        from trainers.session import TrainingSession

        library = self._open_library()
        recording = None if library is None else LibraryRecording(library, source="window")
        with self._lock:
            logs = self._tensorboard_dir
        if logs is not None:
            from trainers.exports import run_log_folder

            logs = run_log_folder(logs, config)
        member = RunKey(key.job, 0)
        session = TrainingSession(
            config,
            self._listener(lambda e: isinstance(e, Finished | Failed), recording),
            key=member,
            control=control,
            inspect_optimizer=True,
            boundary_resolution=BOUNDARY_RESOLUTION,
            tensorboard_dir=logs,
        )
        try:
            session.run()
        except DescentError:
            pass  # the listener has already sent `Failed` with the message
        finally:
            if recording is not None:
                self._recorded = (session.result, recording.recorder_for(member))
                self._warn_unrecorded(recording)
            self._done()

    def _job_listener(self):
        """(recording, listener) of a job of many members (a comparison, a benchmark): the
        run library records each member; the job ends at its `JobFinished`."""
        from trainers.runs import LibraryRecording

        library = self._open_library()
        recording = (
            None if library is None else LibraryRecording(library, kind="compare", source="window")
        )
        return recording, self._listener(lambda e: isinstance(e, JobFinished), recording)

    def _refused(self, key: RunKey, exc: Exception) -> None:
        """A job refused before it trained: its message, and its end with no rows."""
        self._done()
        self._relay(Failed(key, str(exc)))
        self._relay(JobFinished(key, ()))

    def _compare(
        self, key: RunKey, control: JobControl, runs: list, target_loss, engine: str = "auto"
    ) -> None:
        """Train each (label, config) from the same seed, reporting as they go; after the
        job's end, a `Status` of the job says which engine trained it and why."""
        from trainers.compare import CompareSession
        from trainers.errors import DescentError

        recording, listener = self._job_listener()
        session = CompareSession(
            runs, listener, target_loss, key=key, control=control, engine=engine
        )
        try:
            session.run()
            self._relay(Status(key, f"Engine: {session.engine_note}"))
        except DescentError as exc:
            self._refused(key, exc)
        finally:
            self._warn_unrecorded(recording)
            self._done()

    def _benchmark(self, key: RunKey, control: JobControl, spec) -> None:
        from trainers.benchmark import BenchmarkSession
        from trainers.errors import DescentError

        recording, listener = self._job_listener()
        built = None
        try:
            result = BenchmarkSession(
                spec,
                listener,
                key=key,
                control=control,
                on_part_done=lambda: self._collect_part(control),
            ).run()
            from trainers import report

            built = report.build(result)
        except DescentError as exc:
            self._refused(key, exc)
        finally:
            self._warn_unrecorded(recording)
            self._done()
            self._relay.flush()  # every event of the job goes out before its result
            self.sig_benchmark.emit(key.job, built)

    def _lr_find(
        self,
        key: RunKey,
        control: JobControl,
        config,
        eta_min: float,
        eta_max: float,
        steps: int,
        seeds: list[int],
    ) -> None:
        import numpy as np

        from trainers import lr_find
        from trainers.events import RangeSteps

        def test():
            schedule = lr_find.rates(eta_min, eta_max, steps)

            def on_step(step: int, losses) -> None:
                self._relay(
                    RangeSteps(
                        key, np.array([step]), schedule[step : step + 1], losses[step:].copy()
                    )
                )

            self._relay(Status(key, f"Range test: building {len(seeds)} model(s)..."))
            return lr_find.run_range_test(
                config,
                eta_min=eta_min,
                eta_max=eta_max,
                steps=steps,
                seeds=seeds,
                control=control,
                on_step=on_step,
            )

        self._instrument(key, self.sig_lr_find, test)

    def _landscape(self, key: RunKey, control: JobControl, spec) -> None:
        from trainers.landscape import LandscapeSession

        session = LandscapeSession(spec, self._relay, key=key, control=control)
        self._instrument(key, self.sig_landscape, session.run)

    def _instrument(self, key: RunKey, signal, compute) -> None:
        """An instrument's job: `signal(job, compute())`, or `signal(job, None)` after a
        `Failed` that says why (our error's message, or one line for a bug), once every event
        of the job has gone out."""
        from trainers.errors import DescentError

        result = None
        try:
            result = compute()
        except DescentError as exc:
            self._refused(key, exc)
        except Exception as exc:  # a bug: said in the tab, as the worker's loop would say it
            traceback.print_exc()
            self._refused(key, RuntimeError(_went_wrong(exc)))
        finally:
            self._done()
            self._relay.flush()  # every event goes out before the result
            signal.emit(key.job, result)

    def _collect_part(self, control: JobControl) -> None:
        """Have the GUI thread collect the garbage a part of the job has just left, and wait
        until it has (at most COLLECT_WAIT_S, less once the job is stopped): the next piece
        is dropped only after, so each collection frees one piece, not several at once."""
        if not self.collects_on_gui:
            return
        collected = threading.Event()
        self.sig_collect.emit(collected)
        waited = 0.0
        while not collected.wait(0.05) and not control.stop_requested:
            waited += 0.05
            if waited >= COLLECT_WAIT_S:
                break

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
            if recorded[1] is not None:
                recorded[1].set_model_path(Path(folder).resolve() / "model.keras")
        self.sig_saved.emit(folder, "")


def _went_wrong(exc: Exception) -> str:
    """The one line the user gets for an error that is not one of ours (a bug)."""
    return (
        f"Something went wrong ({type(exc).__name__}: {exc}). Try again; if it happens again, "
        f"please report it with these settings."
    )


def lower_this_threads_priority(steps: int = ENGINE_NICENESS) -> bool:
    """Make the calling thread, and the threads it starts from now on, yield to the GUI thread.

    TensorFlow's thread pools are created by the engine thread, after this call, and inherit
    its priority. On a machine with few cores the GUI thread then wins the core it needs to
    paint instead of sharing it with training; when the GUI thread is idle training gets the
    whole machine, as before. Linux sets a niceness per thread; elsewhere Qt's thread priority
    is lowered instead (what that does is the platform's). Returns whether it was lowered.
    """
    if sys.platform.startswith("linux"):
        tid = threading.get_native_id()
        try:
            current = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, current + steps))
        except OSError:
            return False
        return True
    QThread.currentThread().setPriority(QThread.Priority.LowPriority)
    return True


class EngineThread(QThread):
    """The dedicated training thread: its `run()` is the worker's `serve()`."""

    def __init__(self, worker: TrainingWorker, parent=None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.native_id: int | None = None  # the operating system's id, once it runs
        self.setObjectName("trainingThread")
        # Garbage cycles may hold widgets; they must be collected here, never on this thread.
        worker.sig_collect.connect(collector.install().collect_all)
        worker.collects_on_gui = True
        # While the engine thread runs Python (building models, tracing a step), the GUI thread
        # waits up to the switch interval for the GIL each time it enters Python, many times in
        # one paint. Row 10 of `make bench` (the window while 32 runs set up and train): p99
        # 18-21 ms at 1 ms, 15-18 ms at 0.2 ms; the job took about 5% longer.
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        # TensorFlow traces graphs with deep native recursion: give the thread a stack as big
        # as a main thread's rather than a platform default that may be smaller.
        self.setStackSize(64 * 1024 * 1024)

    def run(self) -> None:
        self.native_id = threading.get_native_id()
        lower_this_threads_priority()
        self.worker.serve()
