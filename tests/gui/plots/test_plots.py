"""The step plot: what it hands pyqtgraph zoomed out and in, and how it follows a run."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QWheelEvent
from PySide6.QtWidgets import QApplication

from gui.plots import (
    CurveBuffer,
    EpochPlot,
    LogStepPlot,
    StepLossPlot,
    epoch_plot,
    visible_points,
)


def _buffer(ys) -> CurveBuffer:
    buffer = CurveBuffer()
    buffer.append(np.arange(1, len(ys) + 1, dtype=float), np.asarray(ys, dtype=float))
    return buffer


def test_a_column_of_many_points_draws_four_and_one_of_few_draws_them_all():
    ys = np.array([3.0, 1.0, 7.0, 2.0, 5.0, 4.0, 6.0, 0.5, 9.0, 8.0])
    x, y = visible_points(_buffer(ys), (1.0, 10.0), pixels=1)  # one column of ten steps
    assert y.tolist() == [3.0, 0.5, 9.0, 8.0]  # first, lowest, highest, last
    assert x[0] == 1 and x[-1] == 10 and 1 < x[1] == x[2] < 10
    x, y = visible_points(_buffer(ys), (1.0, 10.0), pixels=5)  # two steps a column: all
    np.testing.assert_array_equal(y, ys)
    ys = np.concatenate((np.ones(10), np.full(10, np.nan), np.ones(10)))
    _, y = visible_points(_buffer(ys), (1.0, 30.0), pixels=3)  # a column of diverged steps
    assert np.isnan(y[4:8]).all() and (np.delete(y, range(4, 8)) == 1.0).all()  # a gap


def test_a_zoomed_range_draws_one_step_beyond_each_edge_and_gaps_for_what_cannot_be_shown():
    ys = np.array([1.0, 2.0, np.inf, 4.0, 0.0, -1.0, np.nan, 8.0, 9.0, 10.0])
    x, y = visible_points(_buffer(ys), (3.5, 7.5), pixels=100)
    assert x.tolist() == [3, 4, 5, 6, 7, 8]
    np.testing.assert_array_equal(y, [np.nan, 4.0, 0.0, -1.0, np.nan, 8.0])
    _, y = visible_points(_buffer(ys), (3.5, 7.5), pixels=100, log=True)
    np.testing.assert_array_equal(y, [np.nan, 4.0, np.nan, np.nan, np.nan, 8.0])
    x, y = visible_points(_buffer(ys), None, pixels=1, log=True)  # one column: skip them
    assert y.tolist() == [1.0, 1.0, 10.0, 10.0] and x.tolist()[::3] == [1, 10]


def _wheel(plot: StepLossPlot) -> None:
    center = QPointF(plot.viewport().rect().center())
    event = QWheelEvent(
        center,
        QPointF(plot.viewport().mapToGlobal(center.toPoint())),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(plot.viewport(), event)


@pytest.mark.parametrize("log", [False, True])
def test_a_followed_run_spans_its_steps_and_fits_its_losses_until_the_user_zooms(qtbot, log):
    plot = StepLossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.show()
    plot.setLogMode(y=log)
    plot.follow_run(total_steps=2_000)
    losses = np.linspace(5.0, 0.5, 1_000)
    plot.append(np.arange(1, 1_001, dtype=float), losses)
    plot.refresh()
    view = plot.getViewBox()
    (x0, x1), (y0, y1) = view.viewRange()
    assert x0 <= 0 and 2_000 <= x1 < 2_100  # the whole run, from the first step
    low, high = (np.log10(0.5), np.log10(5.0)) if log else (0.5, 5.0)
    assert y0 <= low < high <= y1 and (y1 - y0) < 1.3 * (high - low)

    plot.append(np.array([1_001.0]), np.array([50.0]))  # out of view: refitted at once
    plot.refresh()
    assert view.viewRange()[1][1] >= (np.log10(50.0) if log else 50.0)

    _wheel(plot)  # the user zooms: the view stays where they put it
    assert not plot.following
    zoomed = view.viewRange()
    plot.append(np.arange(1_002, 1_500, dtype=float), np.full(498, 500.0))
    plot.refresh()
    np.testing.assert_allclose(view.viewRange(), zoomed)


def test_an_epoch_plot_draws_quick_epochs_together_and_everything_when_asked(qtbot, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(epoch_plot.time, "monotonic", lambda: clock[0])
    plot = EpochPlot("epochs", "Loss by epoch", "loss")
    qtbot.addWidget(plot)
    plot.append(0, 1.0, 1.1)
    assert plot.dirty
    plot.refresh()
    plot.append(1, 0.8, 0.9)
    clock[0] += epoch_plot.EPOCH_REDRAW_INTERVAL_S / 2
    assert not plot.dirty  # drawn too recently: the next frames leave it
    clock[0] += epoch_plot.EPOCH_REDRAW_INTERVAL_S / 2
    assert plot.dirty
    plot.append(2, 0.7, 0.8)
    plot.refresh()  # the end of a run draws whatever is waiting
    assert plot.train.xData.tolist() == [0, 1, 2]
    assert plot.val.yData.tolist() == [1.1, 0.9, 0.8]
    assert not plot.dirty


def test_a_live_epoch_curve_renders_its_dots_once_however_often_it_is_redrawn(qtbot):
    """pyqtgraph renders a symbol once per pen and brush object: given fresh ones at each
    update, every redraw of a live curve rendered its dots again and kept them all."""
    plot = EpochPlot("epochs", "Loss by epoch", "loss")
    qtbot.addWidget(plot)
    plot.show()
    for epoch in range(60):
        plot.append(epoch, 1.0 / (epoch + 1), 1.1 / (epoch + 1))
        plot.refresh()
        plot.grab()  # painted, as a frame of the window would be
    for curve in (plot.train, plot.val):
        assert len(curve.xData) == 60
        assert len(curve.scatter.fragmentAtlas) == 1  # one dot, rendered once


@pytest.mark.parametrize("user_zoomed", [False, True])
def test_a_run_that_ends_early_fits_the_steps_it_trained(qtbot, user_zoomed):
    plot = StepLossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.show()
    plot.follow_run(total_steps=10_000)
    plot.append(np.arange(1, 1_201, dtype=float), np.linspace(2.0, 0.3, 1_200))
    plot.refresh()
    view = plot.getViewBox()
    assert view.viewRange()[0][1] >= 10_000  # followed: the planned steps
    if user_zoomed:
        _wheel(plot)
    zoomed = view.viewRange()
    plot.end_following()  # stopped at step 1,200 of 10,000
    plot.refresh()
    QApplication.processEvents()
    if user_zoomed:  # the user's view stays
        np.testing.assert_allclose(view.viewRange(), zoomed)
        return
    (x0, x1), (y0, y1) = view.viewRange()
    assert x0 <= 1 and 1_200 <= x1 < 1_300
    assert y0 <= 0.3 and 2.0 <= y1 < 2.3


def _labels(axis) -> list[str]:
    """The tick labels `axis` draws at its current range and size."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        return [text for *_, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()


def _number(label: str) -> float:
    """The value a tick label reads: 0.012, or 3.2·10⁻⁵ as pyqtgraph writes powers of ten."""
    mantissa, _, power = label.partition("·10")
    digits = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    return float(mantissa) * 10.0 ** int(power.translate(digits) or 0)


@pytest.mark.parametrize(("low", "high"), [(0.011, 0.019), (0.015, 0.025), (3.2e-5, 3.9e-5)])
def test_a_log_axis_narrower_than_a_decade_still_shows_two_labelled_values(qtbot, low, high):
    plot = LogStepPlot("effectiveRatePlot", "Effective learning rate", "rate", QColor("red"))
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.show()
    qtbot.waitExposed(plot)
    plot.append(np.arange(1, 201, dtype=float), np.linspace(low, high, 200))
    plot.refresh()
    QApplication.processEvents()
    axis = plot.getAxis("left")
    # The axis widens to its labels after a first paint: wait for that layout.
    qtbot.waitUntil(lambda: len(set(_labels(axis))) >= 2, timeout=3_000)
    labels = _labels(axis)
    values = [_number(text) for text in labels]
    assert all(0.8 * low <= value <= 1.2 * high for value in values), labels
    bottom, top = axis.range
    ticks = [v for _, level in axis.tickValues(bottom, top, axis.height()) for v in level]
    assert len([v for v in ticks if bottom <= v <= top]) >= 2
