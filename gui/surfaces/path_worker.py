"""The thread that computes the optimizers' paths across a surface, off the UI thread.

Four optimizers x 500 steps take ~1.05 s the first time (tracing each optimizer's path function,
measured on 2 shared cores) and ~0.15 s when re-run from a new start or rate. Both are over the
~100 ms a click may freeze the window, so `PathWorker` computes on its own plain Python thread
(not a QThread with queued slots, which crashed TensorFlow's graph building in `gui.worker`),
keeps its `PathComputer` there (Keras state is per thread) and hands results back through a
queued signal. Only the newest request counts: older ones still queued are skipped.
"""

from __future__ import annotations

import queue
import threading
import traceback

from PySide6.QtCore import QObject, Signal

THREAD_NAME = "surfacePaths"


class PathWorker(QObject):
    """Computes paths on its own thread; reports each finished request by `sig_done`."""

    sig_done = Signal(int, object)
    """A request finished: its id, and a dict optimizer -> `PathResult` or error message."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def request(self, request_id: int, surface, start, steps: int, configs: dict) -> None:
        """Queue the paths of `configs` (optimizer -> hyperparameters) from `start`."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._serve, name=THREAD_NAME, daemon=True)
            self._thread.start()
        self._jobs.put((request_id, surface, start, steps, dict(configs)))

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread after the request in progress; wait up to `timeout` seconds."""
        thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._jobs.put(None)
            thread.join(timeout)

    def _serve(self) -> None:
        from trainers.surfaces import PathComputer

        computer = PathComputer()
        while (job := self._jobs.get()) is not None:
            try:  # only the newest request matters: skip the ones it replaced
                while True:
                    newer = self._jobs.get_nowait()
                    if newer is None:
                        return
                    job = newer
            except queue.Empty:
                pass
            request_id, surface, start, steps, configs = job
            results = {}
            for name, hyperparameters in configs.items():
                try:
                    results[name] = computer.path(surface, name, start, steps, **hyperparameters)
                except ValueError as exc:
                    results[name] = str(exc)
                except Exception as exc:  # never let one bad path end the thread
                    traceback.print_exc()
                    results[name] = f"{type(exc).__name__}: {exc}"
            try:
                self.sig_done.emit(request_id, results)
            except RuntimeError:  # the view, and this object with it, is gone
                return
