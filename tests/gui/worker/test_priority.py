"""Training yields the machine to the window: the engine thread, and TensorFlow's threads that
it starts, run at a lower priority than the GUI thread, and hand the GIL back within the
switch interval, so a paint is not held up behind a step's tracing (row 10 of `make bench`)."""

import os
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QSpinBox

from gui.worker import engine

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="a niceness per thread is Linux's"
)


def nice_of(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


def tensorflow_threads() -> list[int]:
    found = []
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:  # ended meanwhile
            continue
        if name.startswith("tf_"):
            found.append(int(task.name))
    return found


def test_the_engine_and_tensorflows_threads_run_below_the_window(window, qtbot):
    gui = nice_of(threading.get_native_id())
    thread = window.worker_thread
    assert thread.native_id is not None
    assert nice_of(thread.native_id) == min(19, gui + engine.ENGINE_NICENESS)
    assert sys.getswitchinterval() == pytest.approx(engine.GIL_SWITCH_INTERVAL_S)

    window.findChild(QSpinBox, "epochsSpin").setValue(1)
    with qtbot.waitSignal(window.sig_run_finished, timeout=180_000) as finished:
        qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    assert finished.args[0] == "completed"
    pools = tensorflow_threads()
    assert pools, "TensorFlow started no threads of its own"
    assert all(nice_of(tid) >= gui + engine.ENGINE_NICENESS for tid in pools)
