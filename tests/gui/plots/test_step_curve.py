"""What the step loss plot draws is true: in every pixel column, the band from the lowest to the
highest loss of the steps in that column, at every run length, zoom, width and scale."""

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from gui.plots import StepLossPlot


def _walk(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1..n of a positive random walk (a noisy loss), with a few diverged steps."""
    rng = np.random.default_rng(seed)
    losses = np.exp(0.05 * np.cumsum(rng.standard_normal(n)) + rng.normal(0.0, 0.3, n))
    if n >= 100:
        losses[rng.integers(0, n, size=max(n // 5_000, 2))] = np.nan
        losses[rng.integers(0, n, size=max(n // 10_000, 1))] = np.inf
    return np.arange(1, n + 1, dtype=np.float64), losses


def _columns(plot: StepLossPlot, xs: np.ndarray) -> tuple[np.ndarray, int]:
    """The pixel column of each x in view (-1 outside): the view's x range cut into as many
    equal columns as the view box is wide in device pixels."""
    view = plot.getViewBox()
    x0, x1 = view.viewRange()[0]
    width = max(int(round(view.width() * plot.devicePixelRatioF())), 1)
    edges = x0 + (x1 - x0) * np.arange(width + 1) / width
    column = np.clip(np.searchsorted(edges, xs, "right") - 1, 0, width - 1)
    return np.where((xs >= x0) & (xs <= x1), column, -1), width


def _bands(column: np.ndarray, ys: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest finite y of each column (NaN for a column with none)."""
    keep = (column >= 0) & np.isfinite(ys)
    low, high = np.full(width, np.inf), np.full(width, -np.inf)
    np.minimum.at(low, column[keep], ys[keep])
    np.maximum.at(high, column[keep], ys[keep])
    empty = np.isinf(low)
    low[empty] = high[empty] = np.nan
    return low, high


def _shown(values: np.ndarray, log: bool) -> np.ndarray:
    """The y a raw value is drawn at: log10 on a log axis, where 0 and below cannot be shown."""
    values = np.where(np.isfinite(values), values, np.nan)
    if not log:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log10(values), np.nan)


def _settle(plot: StepLossPlot) -> None:
    """What the window's frame timer does: refresh, then let Qt lay out and paint."""
    for _ in range(5):
        plot.refresh()
        QApplication.processEvents()
        if not plot.dirty:
            return
    raise AssertionError("the plot still has something new to draw after five frames")


CASES = [  # (steps, widget width): short runs to a million steps, narrow to wide
    (10, 300),
    (1_000, 2_500),
    (20_000, 1_024),
    (20_000, 2_000),
    (150_000, 300),
    (1_000_000, 900),
    (1_000_000, 2_500),
]


@pytest.mark.parametrize("log", [False, True], ids=["linear", "log"])
@pytest.mark.parametrize("zoom", ["all", "middle", "start"])
@pytest.mark.parametrize(("steps", "width"), CASES, ids=[f"{n}x{w}" for n, w in CASES])
def test_every_pixel_column_spans_the_lowest_to_the_highest_loss_in_it(
    qtbot, steps, width, zoom, log
):
    plot = StepLossPlot()
    qtbot.addWidget(plot)
    plot.resize(width, 420)
    plot.show()
    qtbot.waitExposed(plot)
    plot.setLogMode(y=log)
    plot.set_smoothing(0.9)
    xs, losses = _walk(steps, seed=steps + width)
    for chunk in np.array_split(np.arange(steps), 3):  # as a run sends them
        plot.append(xs[chunk], losses[chunk])
    if zoom == "middle":  # a range that starts and ends between steps
        plot.setXRange(0.3 * steps + 0.37, 0.55 * steps + 0.61, padding=0)
    elif zoom == "start":
        plot.setXRange(-0.5, max(steps / 40.0, 3.0), padding=0)
    _settle(plot)

    for item, source in ((plot.raw, plot.buffer), (plot.smooth, plot.smoothed)):
        drawn_x, drawn_y = item.getData()
        assert drawn_x is not None and len(drawn_x)
        raw_columns, columns = _columns(plot, source.xs)
        drawn_columns, _ = _columns(plot, drawn_x)
        raw_low, raw_high = _bands(raw_columns, _shown(source.ys, log), columns)
        low, high = _bands(drawn_columns, drawn_y, columns)
        np.testing.assert_array_equal(low, raw_low)
        np.testing.assert_array_equal(high, raw_high)
        assert len(drawn_x) <= 4 * columns + 2  # a few points a column, whatever the length
