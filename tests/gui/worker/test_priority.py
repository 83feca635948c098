"""Training yields the machine to the window: the engine thread, and TensorFlow's threads that
it starts, run at a lower priority than the GUI thread, and hand the GIL back within the
switch interval, so a paint is not held up behind a step's tracing (row 10 of `make bench`).

Checked in a fresh process, as a user starts the window: in this one, an earlier test may
have made TensorFlow's thread pools already, on a thread of normal priority."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gui.worker import engine

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="a niceness per thread is Linux's"
)

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, threading
    from pathlib import Path
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QPushButton, QSpinBox
    app = QApplication([])
    from gui import MainWindow
    from gui.widgets.waiting import wait_for_signal

    def nice(tid):
        return os.getpriority(os.PRIO_PROCESS, tid)

    settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    if not window.ready:
        wait_for_signal(window.sig_ready, 120)
    window.findChild(QSpinBox, "epochsSpin").setValue(1)
    button = window.findChild(QPushButton, "trainButton")
    (status,) = wait_for_signal(
        window.sig_run_finished, 180, lambda: QTest.mouseClick(button, Qt.LeftButton)
    )
    pools = []
    for task in Path("/proc/self/task").iterdir():
        try:
            if (task / "comm").read_text().startswith("tf_"):
                pools.append(nice(int(task.name)))
        except OSError:
            pass
    print(json.dumps({
        "status": status,
        "gui": nice(threading.get_native_id()),
        "engine": nice(window.worker_thread.native_id),
        "pools": pools,
        "switch": sys.getswitchinterval(),
    }))
    window.close()
    """
)


def test_the_engine_and_tensorflows_threads_run_below_the_window(tmp_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DESCENT_RUNS_DIR": str(tmp_path),
        "DESCENT_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "descent.ini")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == "completed"
    lowered = min(19, seen["gui"] + engine.ENGINE_NICENESS)
    assert seen["engine"] == lowered
    assert seen["pools"], "TensorFlow started no threads of its own"
    assert all(nice == lowered for nice in seen["pools"])
    assert seen["switch"] == pytest.approx(engine.GIL_SWITCH_INTERVAL_S)
