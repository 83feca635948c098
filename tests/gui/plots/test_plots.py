"""The step plot: what it hands pyqtgraph zoomed out and in, and how it follows a run."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from gui.plots import (
    ENVELOPE_BLOCK,
    CurveBuffer,
    Envelope,
    EpochPlot,
    StepLossPlot,
    epoch_plot,
    visible_points,
)


def _buffer(ys) -> CurveBuffer:
    buffer = CurveBuffer()
    buffer.append(np.arange(1, len(ys) + 1, dtype=float), np.asarray(ys, dtype=float))
    return buffer


def test_envelope_holds_each_blocks_min_and_max_whether_fed_at_once_or_in_pieces():
    ys = np.random.default_rng(0).normal(size=10 * ENVELOPE_BLOCK + 17)
    whole = Envelope()
    whole.update(_buffer(ys))
    assert whole.covered == 10 * ENVELOPE_BLOCK
    blocks = ys[: whole.covered].reshape(10, ENVELOPE_BLOCK)
    np.testing.assert_array_equal(whole.points.ys[0::2], blocks.min(axis=1))
    np.testing.assert_array_equal(whole.points.ys[1::2], blocks.max(axis=1))

    pieces, growing = Envelope(), CurveBuffer()
    for chunk in np.array_split(ys, 37):
        start = growing.n
        growing.append(np.arange(start + 1, start + len(chunk) + 1, dtype=float), chunk)
        pieces.update(growing)
    np.testing.assert_array_equal(pieces.points.xs, whole.points.xs)
    np.testing.assert_array_equal(pieces.points.ys, whole.points.ys)


def test_envelope_skips_non_finite_losses_and_leaves_a_gap_for_a_block_of_them():
    ys = np.ones(3 * ENVELOPE_BLOCK)
    ys[5] = np.nan
    ys[6] = 7.0
    ys[ENVELOPE_BLOCK : 2 * ENVELOPE_BLOCK] = np.inf
    envelope = Envelope()
    envelope.update(_buffer(ys))
    assert list(envelope.points.ys[:2]) == [1.0, 7.0]
    assert np.isnan(envelope.points.ys[2:4]).all()
    assert list(envelope.points.ys[4:]) == [1.0, 1.0]


def test_zoomed_out_few_points_keep_every_peak_and_zoomed_in_every_point():
    n = 1_000_000 + 123
    ys = np.random.default_rng(1).lognormal(size=n)
    buffer = _buffer(ys)
    x, y = visible_points(buffer, Envelope(), None, pixels=900)
    assert len(x) < 9_000  # about 2 per block, plus the unfinished block
    assert y.min() == ys.min() and y.max() == ys.max()
    assert x[0] == 1 and x[-1] == n and np.all(np.diff(x) >= 0)

    x, y = visible_points(buffer, Envelope(), (500_000.0, 501_000.0), pixels=900)
    np.testing.assert_array_equal(y, ys[499_998:501_001])  # one point beyond each edge
    # A middle range wider than the pixels: the blocks in view, no more.
    x, y = visible_points(buffer, Envelope(), (200_000.0, 400_000.0), pixels=900)
    assert x[0] <= 200_000 < 400_000 <= x[-1] and x[0] > 199_000 and x[-1] < 401_000
    in_view = ys[199_998:400_001]
    assert y.min() <= in_view.min() and y.max() >= in_view.max()


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
