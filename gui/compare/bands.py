"""A run repeated over seeds, drawn as one: the median of its seeds' curves and a shaded band.

The band is the seeds' range (min-max) or their interquartile range, chosen in the Compare tab;
the legend and the plot titles say which. Per epoch, the seeds that have reached that epoch
count (while they train one after another, the band grows as each seed ends). On the time
plot, each epoch's point and band stand at the median of the seeds' seconds. The step plot
shows the median of the seeds' averaged step losses only: its band would cost a pass over every
step of every seed at each frame, and its lines are already noisy.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from gui.plots import DecimatedCurve, dots

BAND_KINDS = {"minmax": "min-max", "iqr": "interquartile"}
"""The bands offered: key -> the words the legend and the titles use."""
BAND_ALPHA = 60  # the shade's opacity, 0-255: the median and other groups show through


def epoch_matrix(series: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The seeds' values by epoch, one row per seed: `series[i]` is seed i's (epochs, values);
    an epoch a seed has not reached, or a non-finite value (a divergence), is NaN."""
    last = max((int(xs[-1]) for xs, _ in series if len(xs)), default=-1)
    matrix = np.full((len(series), last + 1), np.nan)
    for row, (xs, ys) in enumerate(series):
        if len(xs):
            matrix[row, xs.astype(int)] = ys
    matrix[~np.isfinite(matrix)] = np.nan
    return matrix


def median_and_band(matrix: np.ndarray, kind: str) -> tuple[np.ndarray, ...]:
    """Per column of `matrix` (seeds x points): the columns some seed has, and their median,
    lower and upper band edge (min and max, or the 25th and 75th percentiles)."""
    has = ~np.all(np.isnan(matrix), axis=0)
    values = matrix[:, has]
    if not values.shape[1]:
        empty = np.empty(0)
        return np.flatnonzero(has), empty, empty, empty
    median = np.nanmedian(values, axis=0)
    if kind == "iqr":
        low, high = np.nanpercentile(values, [25, 75], axis=0)
    else:
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    return np.flatnonzero(has), median, low, high


@dataclass
class BandCurves:
    """On one plot: the median line, the band's two edges and the shade between them."""

    median: pg.PlotDataItem
    low: pg.PlotDataItem
    high: pg.PlotDataItem
    fill: pg.FillBetweenItem

    @classmethod
    def make(cls, plot: pg.PlotWidget, color: QColor, pen) -> BandCurves:
        edge = QColor(color)
        edge.setAlpha(BAND_ALPHA * 2)
        shade = QColor(color)
        shade.setAlpha(BAND_ALPHA)
        # Data items (not bare curves): they follow the plot's log scale, and the shade with them.
        low = pg.PlotDataItem([], [], pen=pg.mkPen(edge, width=1))
        high = pg.PlotDataItem([], [], pen=pg.mkPen(edge, width=1))
        fill = pg.FillBetweenItem(low, high, brush=pg.mkBrush(shade))
        median = pg.PlotDataItem([], [], pen=pen, **dots(color, 6))
        for item in (fill, low, high):
            item.setZValue(-2)  # under every line
            plot.addItem(item)
        plot.addItem(median)
        return cls(median, low, high, fill)

    def items(self) -> tuple:
        return (self.fill, self.low, self.high, self.median)

    def set_visible(self, visible: bool) -> None:
        for item in self.items():
            item.setVisible(visible)

    def remove_from(self, plot: pg.PlotWidget) -> None:
        for item in self.items():
            plot.removeItem(item)

    def show(self, xs: np.ndarray, median, low, high) -> None:
        self.median.setData(xs, median)
        self.low.setData(xs, low)
        self.high.setData(xs, high)


@dataclass
class SeedBand:
    """A group: one run of the plan repeated over seeds, and what the tab shows of it.

    `index`, `label`, `color`, `style`, `status`, `summary` and `message` are what the results
    table shows of a row (as for a `Race`); `spread` is the group's `GroupSummary` once some
    seed has ended. `step_from` is the first step index whose median must be recomputed.
    """

    index: int
    label: str
    color: QColor
    style: Qt.PenStyle
    members: list = field(default_factory=list)  # its seeds' Races
    step: DecimatedCurve | None = None
    epoch: BandCurves | None = None
    time: BandCurves | None = None
    status: str = "waiting"
    summary: object = None
    spread: object = None
    message: str = ""
    visible: bool = True
    stale: set = field(default_factory=set)  # the plots it has news for: step, epoch, time
    step_from: int = 0

    @property
    def step_curve(self) -> pg.PlotDataItem:
        return self.step.item

    def refresh_steps(self, view: pg.ViewBox) -> None:
        """The median of the seeds' averaged step losses, recomputed from `step_from` on."""
        buffers = [race.smooth.buffer for race in self.members]
        longest = max((b.n for b in buffers), default=0)
        start = min(self.step_from, self.step.buffer.n, longest)
        if longest > start:
            block = np.full((len(buffers), longest - start), np.nan)
            for row, buffer in enumerate(buffers):
                if buffer.n > start:
                    block[row, : buffer.n - start] = buffer.ys[start:]
            block[~np.isfinite(block)] = np.nan
            with _quiet_nan_warnings():
                median = np.nanmedian(block, axis=0)
            # The seeds of a group take the same steps: the longest one's numbers are theirs.
            steps = next(b.xs[start:] for b in buffers if b.n == longest)
            self.step.buffer.n = start
            self.step.append(steps, median)
        self.step_from = longest
        self.step.refresh(view)

    def refresh_epochs(self, band_kind: str, by_time: bool = False) -> None:
        """The median and band of the seeds' epoch losses, by epoch or (`by_time`) by seconds."""
        losses = epoch_matrix([(r.epochs.xs, r.epochs.ys) for r in self.members])
        with _quiet_nan_warnings():
            epochs, median, low, high = median_and_band(losses, band_kind)
            if not by_time:
                self.epoch.show(epochs.astype(float), median, low, high)
                return
            seconds = epoch_matrix([(r.epochs.xs, r.times.xs) for r in self.members])
            times = np.nanmedian(seconds[:, epochs], axis=0) if len(epochs) else epochs
        self.time.show(times, median, low, high)


@contextlib.contextmanager
def _quiet_nan_warnings():
    """numpy warns on an all-NaN slice (a step no seed has reached yet): expected, not news."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
