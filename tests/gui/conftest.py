"""GUI test fixtures: an isolated settings file, and no test may leave a worker thread running."""

import pytest
from PySide6.QtCore import QSettings

from gui.worker import engine as worker


@pytest.fixture(autouse=True)
def no_thread_left_running(monkeypatch):
    """Fail a test that leaves an engine thread running (as napari's conftest does)."""
    started = []
    original = worker.EngineThread.start

    def start(self, *args):
        started.append(self)
        return original(self, *args)

    monkeypatch.setattr(worker.EngineThread, "start", start)
    yield
    still = [t for t in started if t.isRunning()]
    for thread in still:  # end them, so one failure does not hang the rest of the session
        thread.worker.stop()
        thread.worker.request_quit()
        thread.wait(30_000)
    if still:
        pytest.fail(f"{len(still)} engine thread(s) left running after the test")


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "descent.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    """A real MainWindow, shown offscreen, with the engine loaded."""
    from gui import MainWindow

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    if not win.ready:
        with qtbot.waitSignal(win.sig_ready, timeout=120_000):
            pass
    yield win
    win.close()
