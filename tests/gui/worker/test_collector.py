"""Garbage cycles die on the GUI thread, whatever thread dropped them."""

import gc
import threading

from PySide6.QtCore import QCoreApplication, QEvent

from gui.worker import collector

CYCLES = 5000
CHECK_MS = collector.CHECK_INTERVAL_MS


class _Cycle:
    died_on: list[str] = []

    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector can free it

    def __del__(self) -> None:
        _Cycle.died_on.append(threading.current_thread().name)


def test_cycles_dropped_on_another_thread_are_collected_on_the_gui_thread(qtbot):
    installed = collector.install()
    assert collector.install() is installed  # one per process
    assert not gc.isenabled()
    _Cycle.died_on.clear()
    # Objects freed meanwhile lower the count that starts a collection (as in CPython itself):
    # let an earlier test's widgets die first, so the cycles below alone decide when it comes.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(CHECK_MS * 2)

    def churn() -> None:
        for _ in range(CYCLES):  # far more tracked objects than the 700 that start a collection
            _Cycle()

    thread = threading.Thread(target=churn, name="not-the-gui")
    thread.start()
    thread.join()
    assert _Cycle.died_on == []  # nothing was collected on the other thread

    qtbot.waitUntil(lambda: len(_Cycle.died_on) == CYCLES, timeout=10_000)
    assert set(_Cycle.died_on) == {threading.main_thread().name}


def test_install_refuses_a_thread_other_than_the_gui_thread(qtbot):
    errors = []

    def other() -> None:
        try:
            collector.install()
        except RuntimeError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert errors and "GUI thread" in errors[0]


def test_the_engine_waits_for_each_part_to_be_collected_on_the_gui_thread(qtbot):
    """A part's garbage dropped on the engine thread is freed on the GUI thread before the
    engine goes on to drop the next piece (`TrainingWorker._collect_part`)."""
    from gui.worker.engine import TrainingWorker
    from trainers.control import JobControl

    worker = TrainingWorker()
    worker.sig_collect.connect(collector.install().collect_all)
    worker.collects_on_gui = True
    _Cycle.died_on.clear()
    seen_after_each_part: list[int] = []

    def engine() -> None:
        for _part in range(3):
            for _ in range(100):
                _Cycle()
            worker._collect_part(JobControl())
            seen_after_each_part.append(len(_Cycle.died_on))

    thread = threading.Thread(target=engine, name="engine")
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
    assert seen_after_each_part == [100, 200, 300]
    assert set(_Cycle.died_on) == {threading.main_thread().name}
