"""Python's cyclic garbage is collected on the GUI thread only.

A garbage cycle can hold Qt widgets (a closed window, a menu, a plot). CPython runs its cyclic
collector in whichever thread happens to allocate when a threshold is crossed, and Keras's
`clear_session()` calls `gc.collect()` itself; when that is the engine thread, the widgets'
C++ destructors run there. Qt widgets must die on the GUI thread: here this deadlocked a test
run (the engine thread in `~QMenu` waiting for the GIL, the GUI thread in `~QObject` waiting for
a Qt mutex) and is the likeliest cause of the heap corruption once seen at exit.

So, once an engine thread exists, automatic collection is switched off and a timer on the GUI
thread collects instead, generation by generation, when the same thresholds CPython would use
are crossed. pyqtgraph ships a class with the same idea (`pyqtgraph.util.GarbageCollector`).
Objects that live for the whole session (TensorFlow, Keras, the engine's modules) are moved to
the permanent generation with `freeze()`, so a full collection does not walk them every time.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

CHECK_INTERVAL_MS = 200

_installed: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    """Disables automatic collection and collects on a GUI-thread timer instead."""

    def __init__(self, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__()
        self.thresholds = gc.get_threshold()
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        gc.disable()
        self._timer.start()

    def check(self) -> None:
        """Collect the oldest generation whose count has passed its threshold, as CPython does."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                self.collections += 1
                return

    def collect_all(self, done=None) -> None:
        """A full collection now: the engine says a part of its job has just dropped its
        models, or a piece of what it traced (`trainers.fused.FusedGroup.release`). Freed a
        piece at a time, a benchmark's garbage costs the window stalls of tens of ms instead
        of one of 0.8 s when the thresholds are next crossed (row 11 of `make bench`).
        `done`, a `threading.Event` the engine waits on, is set after."""
        try:
            gc.collect()
            self.collections += 1
        finally:
            if done is not None:
                done.set()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()


def install() -> GuiThreadCollector:
    """Start collecting on the GUI thread (once per process); call it from the GUI thread."""
    global _installed
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("gui.worker.collector.install() must be called on the GUI thread")
    if _installed is None:
        _installed = GuiThreadCollector()
        _installed.setParent(app)  # lives as long as the application
    return _installed


def freeze_long_lived() -> None:
    """Move every object alive now into the permanent generation (after the engine's imports)."""
    gc.freeze()
