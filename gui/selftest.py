"""`main.py --self-test` (and `descent --self-test` in the packaged app): check an install works.

First the engine's checks (`trainers.selftest`: every optimizer and loss trains a few steps on
data that ships with Descent, a model saves and reloads), then the window's: it opens offscreen,
its engine thread loads TensorFlow, the icon renders, one short run trains through the worker,
and the window closes with its thread joined. One line per check, then a summary; the exit status
is 0 when every check passed, 1 otherwise. Settings and recorded runs go to a temporary folder,
never the user's.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from pathlib import Path

READY_TIMEOUT_MS = 300_000  # TensorFlow's first import from a cold disk can take minutes
RUN_TIMEOUT_MS = 300_000
WINDOW_EPOCHS = 1


def run_self_test(write=print) -> int:
    """Run every check and write the report; returns the exit status (0: all passed)."""
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no screen needed, nothing flashes up
    frozen = "packaged" if getattr(sys, "frozen", False) else "from source"
    write(f"Descent self-test ({frozen}, Python {platform.python_version()}, {sys.platform})")
    try:  # TensorFlow and Keras load here: a broken install or backend stops everything else
        import trainers.keras_objects  # noqa: F401  (TensorFlow, Keras and our classes)
        from trainers import selftest as engine
    except Exception as exc:
        traceback.print_exc()
        write(f"FAIL engine loads: {type(exc).__name__}: {exc}")
        write("self-test FAILED: the engine could not load, so nothing else was checked")
        return 1
    with tempfile.TemporaryDirectory(prefix="descent-self-test-") as tmp:
        workdir = Path(tmp)
        # The window records its runs in the run library: this one, not the user's.
        os.environ["DESCENT_RUNS_DIR"] = str(workdir / "runs")
        window = WindowChecks(workdir, engine.CheckFailed)
        checks = [
            engine.Check("engine loads", engine.versions),
            *engine.engine_checks(workdir),
            *window.checks(engine.Check),
        ]
        passed, failed = engine.run_checks(checks, write)
        window.close()
    if failed:
        write(f"self-test FAILED: {failed} of {passed + failed} checks failed")
        return 1
    write(f"self-test passed: {passed} checks")
    return 0


def self_test_main() -> int:
    """The `--self-test` entry point: run, then end the process with the report's status.

    Like `gui.app.run_app`, it ends with `os._exit` once the window has closed and its thread
    is joined: Qt and TensorFlow teardown at interpreter exit crashed now and then, and a crash
    there would turn a passed self-test into a failed one.
    """
    try:
        status = run_self_test()
    except BaseException:  # a self-test that breaks must still say so and exit nonzero
        traceback.print_exc()
        print("self-test FAILED: the self-test itself stopped with an error (above)")
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


class WindowChecks:
    """The window's checks, which share one QApplication and one MainWindow."""

    def __init__(self, workdir: Path, check_failed: type[Exception]) -> None:
        self.workdir = workdir
        self.failed = check_failed  # trainers.selftest.CheckFailed, imported once it can load
        self.app = None
        self.window = None

    def checks(self, check: type) -> list:
        return [
            check("window opens and its engine is ready", self.open_window),
            check("application icon", self.icon),
            check("window trains a run", self.train),
            check("window closes and joins its engine thread", self.close_window),
        ]

    def open_window(self) -> str:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from gui.main_window import MainWindow

        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        settings = QSettings(str(self.workdir / "descent.ini"), QSettings.Format.IniFormat)
        self.window = MainWindow(settings=settings)
        self.window.show()
        if not self.window.ready and not _wait(self.window.sig_ready, READY_TIMEOUT_MS):
            said = self.window.banner.label.text() or self.window.status_label.text()
            raise self.failed(
                f"the engine was not ready after {READY_TIMEOUT_MS // 1000} s: {said}"
            )
        window = self.window
        optimizers = window.panel.optimizer_combo.count()
        from trainers import catalog

        if optimizers != len(catalog.OPTIMIZERS):
            raise self.failed(f"the optimizer list has {optimizers} entries")
        return (
            f"{self.app.platformName()} platform, {optimizers} optimizers listed, "
            f"device {window.device}"
        )

    def icon(self) -> str:
        from PySide6.QtGui import QIcon

        from assets import ICON

        pixmap = QIcon(str(ICON)).pixmap(64, 64)
        if pixmap.isNull():
            raise self.failed(f"{ICON.name} does not render (is Qt's SVG image plugin there?)")
        return f"{ICON.name} renders at {pixmap.width()}x{pixmap.height()}"

    def train(self) -> str:
        window = self._opened()
        if not window.select_dataset("moons"):
            raise self.failed("the moons dataset is not in the dataset list")
        window.panel.epochs_spin.setValue(WINDOW_EPOCHS)
        statuses: list[str] = []
        window.sig_run_finished.connect(statuses.append)
        window.start_training()
        if not window.running:
            raise self.failed(f"the run did not start: {window.banner.label.text()}")
        if not _wait(window.sig_run_finished, RUN_TIMEOUT_MS):
            window.stop_training()
            raise self.failed(f"the run did not end within {RUN_TIMEOUT_MS // 1000} s")
        result = window.last_result
        if statuses != ["completed"] or result is None:
            raise self.failed(f"the run ended {statuses}: {window.banner.label.text()}")
        if result.epochs_done != WINDOW_EPOCHS or len(result.step_losses) == 0:
            raise self.failed(
                f"{result.epochs_done} epochs and {len(result.step_losses)} step losses"
            )
        return (
            f"{result.epochs_done} epoch of {result.config.optimizer} on moons, "
            f"{len(result.step_losses)} steps through the worker thread"
        )

    def close_window(self) -> str:
        window = self._opened()
        window.close()
        if window.worker_thread.isRunning():
            raise self.failed("the engine thread is still running after the window closed")
        return "settings saved, engine thread ended"

    def close(self) -> None:
        """Close the window if a failed check left it open (its thread must end first)."""
        if self.window is not None and self.window.worker_thread.isRunning():
            self.window.close()

    def _opened(self):
        if self.window is None or not self.window.ready:
            raise self.failed("the window did not open (see above)")
        return self.window


def _wait(signal, timeout_ms: int) -> bool:
    """Run Qt's event loop until `signal` fires (True) or `timeout_ms` passes (False)."""
    from gui.widgets.waiting import wait_for_signal

    return wait_for_signal(signal, timeout_ms / 1000) is not None
