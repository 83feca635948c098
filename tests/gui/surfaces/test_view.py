"""The surface view, driven offscreen: surfaces, start points, stepping, playing, divergence."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSlider, QTreeWidget

from gui.surfaces import SurfaceView, save_screenshot
from gui.surfaces.drawing import contour_segments

TIMEOUT = 60_000


def _path_threads():
    return [t for t in threading.enumerate() if t.name == "surfacePaths" and t.is_alive()]


@pytest.fixture
def view(qtbot):
    widget = SurfaceView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    yield widget
    widget.close()
    assert not _path_threads(), "the path thread outlived its view"


def compute_from(qtbot, view, x, y):
    with qtbot.waitSignals([view.sig_start_changed, view.sig_paths_ready], timeout=TIMEOUT):
        view.set_start(x, y)


def drawn(view, name):
    return view._curves[name].getData()


def path_points(view, name):
    xs, _ = drawn(view, name)
    return 0 if xs is None else len(xs)


def loss_points(view, name):
    xs, _ = view._loss_curves[name].getData()
    return 0 if xs is None else len(xs)


def test_view_builds_with_named_controls(view):
    for cls, name in [
        (QComboBox, "surfaceCombo"),
        (QTreeWidget, "surfaceOptimizerList"),
        (QPushButton, "surfacePlayButton"),
        (QPushButton, "surfaceStepButton"),
        (QPushButton, "surfaceResetButton"),
        (QSlider, "surfaceSpeedSlider"),
        (QLabel, "surfaceLesson"),
    ]:
        widget = view.findChild(cls, name)
        assert widget is not None, name
        assert widget.accessibleName()
    assert view.objectName() == "surfaceView"
    assert view.findChild(object, "surfacePathLossPlot") is view.loss_plot
    assert view.optimizer_list.topLevelItemCount() == 10
    assert view.checked_optimizers() == ["sgd", "momentum", "rmsprop", "adam"]
    assert view.lesson_label.text() == view.surface.lesson
    assert "Click" in view.note_label.text()


@pytest.mark.parametrize(
    "name", ["bowl", "rosenbrock", "beale", "himmelblau", "saddle", "two_valleys"]
)
def test_each_surface_can_be_chosen(view, name):
    view.set_surface(name)
    surface = view.surface
    assert surface.name == name
    assert view.surface_combo.currentData() == name
    assert view.lesson_label.text() == surface.lesson
    assert view.start == surface.start
    assert view.image.image.shape == (200, 200)
    assert np.isfinite(view.image.image).all()
    assert len(view.contour_lines.getData()[0]) > 100
    assert len(view.minima_marker.data) == len(surface.minima)
    assert view.rate_spins["adam"].value() == pytest.approx(surface.learning_rate("adam"))
    assert view.loss_plot.getPlotItem().getAxis("left").logMode == (surface.f_min is not None)
    assert view.paths == {}


def test_a_start_point_computes_the_ticked_paths(qtbot, view):
    view.set_surface("rosenbrock")
    view.set_optimizers(["sgd", "adam"])
    compute_from(qtbot, view, -1.0, 2.0)
    assert set(view.paths) == {"sgd", "adam"}
    for name, path in view.paths.items():
        assert path.steps == 500 and not path.diverged
        np.testing.assert_allclose(path.positions[0], (-1.0, 2.0))
        assert path.hyperparameters["learning_rate"] == pytest.approx(view.learning_rate(name))
        xs, ys = drawn(view, name)
        assert (len(xs), xs[0], ys[0]) == (1, -1.0, 2.0)
    assert path_points(view, "momentum") == 0
    assert view.current_step == 0


def test_step_grows_the_path_and_the_loss_plot_and_reset_goes_back(qtbot, view):
    view.set_surface("two_valleys")
    view.set_optimizers(["momentum"])
    compute_from(qtbot, view, 1.5, 1.0)
    path = view.paths["momentum"]

    qtbot.mouseClick(view.step_button, Qt.MouseButton.LeftButton)
    xs, ys = drawn(view, "momentum")
    np.testing.assert_allclose(np.c_[xs, ys], path.positions[:2])
    assert loss_points(view, "momentum") == 2
    assert view.current_step == 1

    view.step(9)
    assert len(drawn(view, "momentum")[0]) == 11
    assert loss_points(view, "momentum") == 11
    assert "step 10" in view.step_label.text()

    qtbot.mouseClick(view.reset_button, Qt.MouseButton.LeftButton)
    xs, ys = drawn(view, "momentum")
    assert (len(xs), xs[0], ys[0]) == (1, 1.5, 1.0)
    assert loss_points(view, "momentum") == 1
    assert view.current_step == 0 and not view.is_playing


def test_play_animates_to_the_end_and_pause_stops(qtbot, view):
    view.set_surface("bowl")
    view.set_optimizers(["adam"])
    compute_from(qtbot, view, -5.0, 1.0)
    view.set_speed(0)
    qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
    assert view.is_playing and view.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: view.current_step >= 3, timeout=TIMEOUT)
    qtbot.mouseClick(view.play_button, Qt.MouseButton.LeftButton)
    assert not view.is_playing
    assert not view._timer.isActive()

    view.set_speed(view.speed_slider.maximum())
    view.play()
    qtbot.waitUntil(lambda: not view.is_playing, timeout=TIMEOUT)
    assert view.current_step == 500
    assert len(drawn(view, "adam")[0]) == 501


def test_a_diverging_rate_says_so(qtbot, view):
    view.set_surface("bowl")
    view.set_optimizers(["sgd", "adam"])
    view.set_learning_rate("sgd", 0.2)
    compute_from(qtbot, view, -5.0, 1.0)
    path = view.paths["sgd"]
    assert path.diverged and not view.paths["adam"].diverged
    assert f"diverged at step {path.diverged_at}" in view.note_label.text()
    labels = [label.text for _, label in view.loss_legend.items]
    assert any("SGD" in text and "diverged" in text for text in labels)
    view.step(500)
    assert view._items["sgd"].text(2).startswith("diverged")
    # Drawn to where it left the map, and marked there (tests/gui/surfaces/test_diverged_paths).
    assert len(view._curves["sgd"].exit_mark.getData()[0]) == 1


def test_changing_a_rate_or_the_ticks_recomputes(qtbot, view):
    view.set_surface("himmelblau")
    view.set_optimizers(["sgd"])
    compute_from(qtbot, view, 0.0, 0.0)
    with qtbot.waitSignal(view.sig_paths_ready, timeout=TIMEOUT):
        view.set_learning_rate("sgd", 0.002)
    assert view.paths["sgd"].hyperparameters["learning_rate"] == pytest.approx(0.002)
    with qtbot.waitSignal(view.sig_paths_ready, timeout=TIMEOUT):
        view.set_optimizers(["rmsprop"])
    assert set(view.paths) == {"rmsprop"}
    assert path_points(view, "sgd") == 0
    view.set_optimizers([])
    qtbot.waitUntil(lambda: "Tick at least one" in view.note_label.text(), timeout=TIMEOUT)
    assert view.paths == {} and path_points(view, "rmsprop") == 0


def test_a_click_on_the_map_starts_there_and_plays(qtbot, view):
    view.set_surface("bowl")
    view.set_optimizers(["adam"])
    box = view.contour_plot.getPlotItem().getViewBox()
    centre = box.mapViewToScene(box.viewRect().center())
    point = view.contour_plot.mapFromScene(centre)
    with qtbot.waitSignals([view.sig_start_changed, view.sig_paths_ready], timeout=TIMEOUT):
        qtbot.mouseClick(view.contour_plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point))
    x, y = view.start
    assert x == pytest.approx(0.0, abs=0.1) and y == pytest.approx(0.0, abs=0.1)
    assert view.is_playing
    qtbot.waitUntil(lambda: view.current_step > 0, timeout=TIMEOUT)


def test_screenshot_is_written(qtbot, tmp_path):
    path = save_screenshot(tmp_path / "surface.png", "rosenbrock", ["sgd"], steps=30)
    assert path.stat().st_size > 10_000
    assert not _path_threads()


def test_contour_segments_lie_on_the_level_set():
    xs = np.linspace(-2.0, 2.0, 81)
    ys = np.linspace(-1.5, 1.5, 61)
    values = xs[:, None] ** 2 + ys[None, :] ** 2
    x, y = contour_segments(xs, ys, values, 1.0)
    assert len(x) == len(y) and len(x) % 2 == 0 and len(x) > 100
    # Linear interpolation across cells 0.05 wide: within a few thousandths of the circle.
    np.testing.assert_allclose(np.hypot(x, y), 1.0, atol=3e-3)
    lengths = np.hypot(x[1::2] - x[0::2], y[1::2] - y[0::2])
    assert lengths.sum() == pytest.approx(2 * np.pi, rel=1e-2)
    assert len(contour_segments(xs, ys, values, 100.0)[0]) == 0
