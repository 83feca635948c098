"""The Loss surfaces tab's keys: P plays and pauses, S steps, R goes back to the start, each
as its button does, and only while the tab is on screen."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QWidget

from gui.surfaces import SurfaceView

TIMEOUT = 60_000


def test_p_s_and_r_play_step_and_reset_the_paths_while_the_tab_is_shown(qtbot):
    window = QMainWindow()
    tabs = QTabWidget()
    view = SurfaceView()
    other = QWidget()
    tabs.addTab(view, "Loss surfaces")
    tabs.addTab(other, "Other")
    window.setCentralWidget(tabs)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    try:
        with qtbot.waitSignal(view.sig_paths_ready, timeout=TIMEOUT):
            view.set_start(*view.start)
        qtbot.keyClick(tabs, Qt.Key.Key_S)
        assert view.current_step == 1
        qtbot.keyClick(tabs, Qt.Key.Key_S)
        assert view.current_step == 2
        qtbot.keyClick(tabs, Qt.Key.Key_P)
        assert view.is_playing
        qtbot.keyClick(tabs, Qt.Key.Key_P)
        assert not view.is_playing
        qtbot.keyClick(tabs, Qt.Key.Key_R)
        assert view.current_step == 0
        view.step(3)
        tabs.setCurrentWidget(other)  # the tab hidden: its keys do nothing
        qtbot.keyClick(tabs, Qt.Key.Key_R)
        assert view.current_step == 3
    finally:
        view.shutdown()
        window.close()
