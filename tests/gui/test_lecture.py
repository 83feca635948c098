"""Lecture mode on the real window (a replaying worker, no TensorFlow): zoom scales the
application font, the widgets with a font of their own, the plots' titles, axis labels, ticks
and line widths together and is remembered; high contrast; full screen and the side panel;
the Pause shortcut; Help lists every shortcut from the actions themselves."""

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.lecture import shortcut_rows
from tests.gui.replay import recorded_run, replayed_window


def open_window(qtbot, settings):
    return replayed_window(qtbot, settings, size=(1024, 700))


@pytest.fixture
def window(qtbot, settings):
    win = open_window(qtbot, settings)
    yield win
    win.lecture.set_zoom(1.0)  # the application's font and palette are shared by every test
    win.lecture.set_high_contrast(False)
    win.close()


def action(window, name) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def sizes(window):
    """What zoom must scale: the application font, the update rule's own monospace font, the
    step plot's title, axis label and tick font, its smoothed curve's width, and the text and
    code of the explanation page."""
    QApplication.processEvents()  # Qt posts the font change to each widget as an event
    plot = window.training.step_plot
    axis = plot.getAxis("bottom")
    tick_font = axis.style["tickFont"] or QApplication.font()
    return {
        "app": QApplication.font().pointSizeF(),
        "equation": window.panel.equation_label.font().pointSizeF(),
        "title": float(plot.getPlotItem().titleLabel.opts["size"].rstrip("pt")),
        "axis label": float(
            axis.labelStyle.get("font-size", f"{QApplication.font().pointSizeF()}pt").rstrip("pt")
        ),
        "ticks": tick_font.pointSizeF(),
        "line": plot.smooth.opts["pen"].widthF(),
        # The explanation page's `code`, which Qt's Markdown reader gives a size of its own.
        "page code": min(window.training.explanation.code_sizes()),
        "page text": window.training.explanation.font().pointSizeF(),
    }


def test_zoom_scales_text_and_lines_together_and_a_new_window_remembers_it(qtbot, window, settings):
    before = sizes(window)
    action(window, "zoomInAction").trigger()
    action(window, "zoomInAction").trigger()
    action(window, "zoomInAction").trigger()  # 100% -> 110% -> 125% -> 150%
    assert window.lecture.zoom == 1.5
    after = sizes(window)
    for name, value in before.items():
        assert after[name] == pytest.approx(value * 1.5, rel=0.02), name
    # A curve added after the zoom (a new run's) is as thick as the others.
    curve = window.training.step_plot.plot([1, 2], [1, 2], pen={"color": "r", "width": 2})
    assert pg.mkPen(curve.opts["pen"]).widthF() == pytest.approx(3.0)
    window.close()

    second = open_window(qtbot, settings)
    try:
        assert second.lecture.zoom == 1.5
        assert sizes(second) == pytest.approx(after, rel=0.02)
        action(second, "zoomResetAction").trigger()
        assert sizes(second) == pytest.approx(before, rel=0.02)
    finally:
        second.lecture.set_zoom(1.0)
        second.close()


def test_at_150_percent_on_a_large_screen_the_side_panel_is_not_cut_off(qtbot, window):
    window.resize(1920, 1080)
    scroll = window.panel.parentWidget().parentWidget()  # the panel's scroll area
    window.lecture.set_zoom(1.5)
    qtbot.wait(50)
    # The panel never scrolls sideways: its text fits only if the area is as wide as it needs.
    assert scroll.viewport().width() >= window.panel.minimumSizeHint().width()
    window.lecture.set_zoom(1.0)
    qtbot.wait(50)
    assert scroll.minimumWidth() == 380


def test_zoom_out_stops_at_the_smallest_step(window):
    for _ in range(10):
        action(window, "zoomOutAction").trigger()
    assert window.lecture.zoom == 0.8 and not action(window, "zoomOutAction").isEnabled()


def test_high_contrast_is_white_on_black_with_thicker_lines_and_remembered(qtbot, window, settings):
    width = window.training.step_plot.smooth.opts["pen"].widthF()
    action(window, "highContrastAction").setChecked(True)
    palette = QApplication.palette()
    assert palette.color(QPalette.ColorRole.Window).name() == "#000000"
    assert palette.color(QPalette.ColorRole.WindowText).name() == "#ffffff"
    assert palette.color(QPalette.ColorRole.Highlight).name() == "#ffe600"
    plot = window.training.step_plot
    assert plot.backgroundBrush().color().name() == "#000000"
    assert plot.getAxis("left").textPen().color().name() == "#ffffff"
    assert plot.smooth.opts["pen"].widthF() > width * 1.5
    assert str(settings.value("view/high_contrast")).lower() == "true"
    action(window, "highContrastAction").setChecked(False)
    assert plot.smooth.opts["pen"].widthF() == pytest.approx(width)
    assert QApplication.palette().color(QPalette.ColorRole.Window).name() != "#000000"


def test_the_side_panel_hides_and_the_window_goes_full_screen(window):
    side = window.splitter.widget(0)
    action(window, "sidePanelAction").setChecked(False)
    assert not side.isVisible()
    action(window, "sidePanelAction").setChecked(True)
    assert side.isVisible()
    action(window, "fullScreenAction").setChecked(True)
    assert window.isFullScreen()
    action(window, "fullScreenAction").setChecked(False)
    assert not window.isFullScreen()


def test_ctrl_p_pauses_and_resumes_the_run_even_with_the_side_panel_hidden(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.start_training()
    [(_, config)] = [r for r in window.worker.requests if r[0] == "run"]
    events, _ = recorded_run(window.worker.job, config)
    window.worker.play(events[:2])
    action(window, "sidePanelAction").setChecked(False)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert window.controls.pause_button.isChecked() and window.worker.controls == ["pause"]
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not window.controls.pause_button.isChecked()
    assert window.worker.controls == ["pause", "resume"]


def test_help_lists_every_shortcut_of_the_window_and_the_surfaces_tab(qtbot, window):
    rows = shortcut_rows(window)
    listed = {(what, keys) for _, what, keys in rows}
    for found in window.findChildren(QAction):
        if found.shortcuts() and found.text():
            keys = ", ".join(k.toString(k.SequenceFormat.NativeText) for k in found.shortcuts())
            assert (found.text().replace("&", ""), keys) in listed
    whats = {what for _, what, _ in rows}
    for expected in ("Pause or resume", "Train", "Stop", "Zoom in", "Full screen", "Side panel"):
        assert expected in whats
    surfaces = {(what, keys) for where, what, keys in rows if where == "Loss surfaces"}
    assert surfaces == {
        ("Play or pause the paths", "P"),
        ("Step every path once", "S"),
        ("Back to the start point", "R"),
    }
    action(window, "shortcutsAction").trigger()
    [box] = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert "Pause or resume" in box.text() and "Ctrl+P" in box.text()
    box.close()
