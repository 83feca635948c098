"""The live plots: step loss (raw and smoothed), epoch losses, and the task's metric.

Curves are made once and fed with `setData` from buffers that grow by doubling; the window
redraws them from a 10 Hz timer, only when new points arrived. The step plot hands pyqtgraph
only the points in view, or a min/max envelope of them, so a million-point curve stays smooth
to pan and zoom.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsItem

RAW_ALPHA = 70
COLORS = {
    "train": QColor(31, 119, 180),
    "val": QColor(255, 127, 14),
    "smooth": QColor(31, 119, 180),
}


class CurveBuffer:
    """x/y arrays that grow by doubling, so appending is amortized O(1) and never copies all."""

    def __init__(self, capacity: int = 1024) -> None:
        self.x = np.empty(capacity, dtype=np.float64)
        self.y = np.empty(capacity, dtype=np.float64)
        self.n = 0

    def append(self, xs: np.ndarray, ys: np.ndarray) -> None:
        k = len(xs)
        need = self.n + k
        if need > len(self.x):
            size = max(need, 2 * len(self.x))
            self.x = np.resize(self.x, size)
            self.y = np.resize(self.y, size)
        self.x[self.n : need] = xs
        self.y[self.n : need] = ys
        self.n = need

    def clear(self) -> None:
        self.n = 0

    @property
    def xs(self) -> np.ndarray:
        return self.x[: self.n]

    @property
    def ys(self) -> np.ndarray:
        return self.y[: self.n]


def _ema(values: np.ndarray, alpha: float, start: float | None) -> tuple[np.ndarray, float]:
    """Exponential moving average of `values` continuing from `start`; returns (ema, last).

    Non-finite values (a diverged step) are carried over from the last finite one, so the
    smoothed line stops rising instead of vanishing.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        index = np.where(finite, np.arange(len(values)), -1)
        np.maximum.accumulate(index, out=index)
        fill = start if start is not None and np.isfinite(start) else np.nan
        values = np.where(index >= 0, values[np.maximum(index, 0)], fill)
    if start is None or not np.isfinite(start):
        first = values[np.isfinite(values)]
        start = float(first[0]) if len(first) else 0.0
    decay = 1.0 - alpha
    if decay <= 0.0 or not len(values):
        return values.copy(), float(values[-1]) if len(values) else start
    # Closed form per block: y_i = d^(i+1) s + alpha d^(i+1) sum_{j<=i} x_j d^-(j+1). Blocks are
    # short enough that d^-L stays far from overflow (d^-L <= e^300), so the vectorized form is
    # exact to rounding; a million points take a few milliseconds.
    block = max(1, int(300.0 / -np.log(decay)))
    out = np.empty_like(values)
    s = float(start)
    for begin in range(0, len(values), block):
        x = values[begin : begin + block]
        powers = decay ** np.arange(1, len(x) + 1)
        y = powers * (s + alpha * np.cumsum(x / powers))
        out[begin : begin + block] = y
        s = float(y[-1])
    return out, s


def add_legend(plot: pg.PlotWidget, corner: str = "top-right") -> pg.LegendItem:
    """A legend with a background, so it stays readable over the curves."""
    palette = QApplication.palette()
    brush = QColor(palette.color(QPalette.ColorRole.Base))
    brush.setAlpha(210)
    legend = plot.addLegend(brush=brush, labelTextColor=palette.color(QPalette.ColorRole.Text))
    place_legend(legend, corner)
    return legend


def place_legend(legend: pg.LegendItem, corner: str) -> None:
    """Anchor the legend in a corner of the plot: "top-right" or "bottom-right"."""
    y = 0 if corner.startswith("top") else 1
    legend.anchor(itemPos=(1, y), parentPos=(1, y), offset=(-10, 10 if y == 0 else -40))


def themed(plot: pg.PlotWidget) -> None:
    """Colour a plot from the application palette, so it reads in light and dark themes."""
    palette = QApplication.palette()
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    text = palette.color(QPalette.ColorRole.Text)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(text)
        axis.setTextPen(text)
        axis.enableAutoSIPrefix(False)  # "loss (x0.001)" reads worse than 0.25
        # Major and minor ticks, no third level: a third level of labels and grid lines made
        # every repaint after a range change a third slower.
        axis.setStyle(maxTickLevel=1)
        # The axis draws its labels and its grid lines across the whole plot, so every new
        # point of a curve repainted them. Kept as a pixmap, they are drawn again only when
        # the axis changes (a new range, a resize): a frame then costs the curve alone.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.showGrid(x=True, y=True, alpha=0.2)


ENVELOPE_BLOCK = 256
"""Raw points per block of the zoomed-out envelope (its min and max are drawn)."""
POINTS_PER_PIXEL = 2
"""Above this many visible points per horizontal pixel, the envelope is drawn instead."""
REFIT_INTERVAL_S = 1.0
"""Following a run, the loss axis is refitted at most this often (sooner if a point leaves it)."""


class Envelope:
    """The min and max of each complete block of `ENVELOPE_BLOCK` points of a `CurveBuffer`.

    Updated only for blocks completed since the last call, so a frame costs what arrived, not
    the whole curve. Each block gives two points, (first x, min) and (last x, max): at fewer
    than one block per pixel that draws the same band as every raw point. Non-finite losses (a
    diverged step) are skipped; a block with none finite gives NaN, a gap in the line.
    """

    def __init__(self) -> None:
        self.points = CurveBuffer()
        self.covered = 0  # raw points summarized so far: a multiple of ENVELOPE_BLOCK

    def clear(self) -> None:
        self.points.clear()
        self.covered = 0

    def update(self, source: CurveBuffer) -> None:
        blocks = (source.n - self.covered) // ENVELOPE_BLOCK
        if blocks <= 0:
            return
        end = self.covered + blocks * ENVELOPE_BLOCK
        xs = source.x[self.covered : end].reshape(blocks, ENVELOPE_BLOCK)
        ys = source.y[self.covered : end].reshape(blocks, ENVELOPE_BLOCK)
        finite = np.isfinite(ys)
        low = np.where(finite, ys, np.inf).min(axis=1)
        high = np.where(finite, ys, -np.inf).max(axis=1)
        empty = ~finite.any(axis=1)
        low[empty] = high[empty] = np.nan
        px = np.empty(2 * blocks)
        py = np.empty(2 * blocks)
        px[0::2], px[1::2] = xs[:, 0], xs[:, -1]
        py[0::2], py[1::2] = low, high
        self.points.append(px, py)
        self.covered = end


def visible_points(
    source: CurveBuffer, envelope: Envelope, x_range: tuple[float, float] | None, pixels: float
) -> tuple[np.ndarray, np.ndarray]:
    """What to hand pyqtgraph for the x range in view (None: all of it) `pixels` wide.

    Zoomed in, the raw points in view (and one beyond each edge, so the line runs off the
    plot); zoomed out past `POINTS_PER_PIXEL`, the envelope's blocks in view plus the raw
    points not yet in a complete block. Steps are increasing, so the range is found by bisection.
    """
    xs, ys = source.xs, source.ys
    begin, end = 0, source.n
    if x_range is not None and end:
        begin = max(int(np.searchsorted(xs, x_range[0], "left")) - 1, 0)
        end = min(int(np.searchsorted(xs, x_range[1], "right")) + 1, source.n)
    if end - begin <= POINTS_PER_PIXEL * max(pixels, 1.0):
        return xs[begin:end], ys[begin:end]
    envelope.update(source)
    first_block = begin // ENVELOPE_BLOCK
    last_block = min(-(-end // ENVELOPE_BLOCK), envelope.covered // ENVELOPE_BLOCK)
    ex = envelope.points.xs[2 * first_block : 2 * last_block]
    ey = envelope.points.ys[2 * first_block : 2 * last_block]
    tail = max(envelope.covered, begin)
    if tail >= end:
        return ex, ey
    return np.concatenate([ex, xs[tail:end]]), np.concatenate([ey, ys[tail:end]])


class StepLossPlot(pg.PlotWidget):
    """The loss of every update (faint) and its exponential moving average (bold).

    A run of a million steps stays smooth to draw: each frame hands pyqtgraph only what can be
    seen, either the raw points in view or, zoomed out, a min/max envelope of blocks of 256
    steps (`visible_points`). While a run is followed, the step axis spans the whole run from its
    start (the curve grows into it; its ticks are laid out once) and the loss axis is refitted
    about once a second: relaying out both axes at every frame cost the training thread a
    quarter of its speed on two cores (bench/bench_throughput.py). Any zoom or pan by the user
    ends the following; the "A" button of the plot auto-ranges again.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("stepLossPlot")
        self.setAccessibleName("Step loss plot")
        themed(self)
        self.setLabel("bottom", "step (update)")
        self.setLabel("left", "loss")
        self.setTitle("Loss of each update")
        self.legend = add_legend(self)
        raw_color = QColor(COLORS["train"])
        raw_color.setAlpha(RAW_ALPHA)
        self.raw = self.plot([], [], pen=pg.mkPen(raw_color, width=1), name="step loss")
        self.smooth = self.plot([], [], pen=pg.mkPen(COLORS["smooth"], width=2), name="smoothed")
        self.buffer = CurveBuffer()
        self.smoothed = CurveBuffer()
        self.raw_envelope = Envelope()
        self.smooth_envelope = Envelope()
        self.alpha = 0.1
        self._last = None
        self._dirty = False
        self.following = False
        self._last_fit = 0.0
        view = self.getViewBox()
        view.sigXRangeChanged.connect(self._on_view_changed)
        view.sigRangeChangedManually.connect(self._on_user_range)

    def clear_curves(self) -> None:
        self.buffer.clear()
        self.smoothed.clear()
        self.raw_envelope.clear()
        self.smooth_envelope.clear()
        self._last = None
        self._dirty = True
        self.following = False
        self.enableAutoRange()

    def follow_run(self, total_steps: int) -> None:
        """Show the whole run's steps from its start and keep the loss axis fitted."""
        self.following = True
        self._last_fit = 0.0
        self.getViewBox().disableAutoRange()
        self.setXRange(0, max(total_steps, 1), padding=0.02)

    def append(self, steps: np.ndarray, losses: np.ndarray) -> None:
        if not len(steps):
            return
        self.buffer.append(steps, losses)
        ema, self._last = _ema(np.asarray(losses, dtype=np.float64), self.alpha, self._last)
        self.smoothed.append(steps, ema)
        self._dirty = True

    def set_smoothing(self, amount: float) -> None:
        """0 = raw values, close to 1 = very smooth; recomputes the whole smoothed curve."""
        self.alpha = max(1.0 - float(amount), 0.001)
        self.smoothed.clear()
        self.smooth_envelope.clear()
        self._last = None
        if self.buffer.n:
            ema, self._last = _ema(self.buffer.ys, self.alpha, None)
            self.smoothed.append(self.buffer.xs, ema)
        self._dirty = True

    @property
    def dirty(self) -> bool:
        """Whether `refresh()` has something new to draw."""
        return self._dirty

    def _on_view_changed(self, *_) -> None:
        self._dirty = True  # a pan or zoom shows other points

    def _on_user_range(self, *_) -> None:
        self.following = False

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        view = self.getViewBox()
        x_range = None if view.autoRangeEnabled()[0] else tuple(view.viewRange()[0])
        pixels = view.width()
        raw = visible_points(self.buffer, self.raw_envelope, x_range, pixels)
        smooth = visible_points(self.smoothed, self.smooth_envelope, x_range, pixels)
        self.raw.setData(*raw, connect="finite")
        self.smooth.setData(*smooth, connect="finite")
        if self.following:
            self._fit_losses(raw[1])

    def _fit_losses(self, losses: np.ndarray) -> None:
        """Refit the loss axis to `losses` once a second, or now if one is out of view."""
        log = bool(self.getAxis("left").logMode)
        values = losses[np.isfinite(losses) & (losses > 0)] if log else losses[np.isfinite(losses)]
        if not len(values):
            return
        if log:
            values = np.log10(values)
        low, high = float(values.min()), float(values.max())
        shown = self.getViewBox().viewRange()[1]
        now = time.monotonic()
        if now - self._last_fit < REFIT_INTERVAL_S and shown[0] <= low and high <= shown[1]:
            return
        self._last_fit = now
        # setYRange adds the padding; it takes log10 units in log mode, as viewRange gives.
        self.getViewBox().setYRange(low, high, padding=0.05)


EPOCH_REDRAW_INTERVAL_S = 0.5


class EpochPlot(pg.PlotWidget):
    """Training and validation values of one quantity (loss or metric) by epoch.

    Drawing a new epoch costs ~6 ms of the UI thread (its value axis moves); when epochs take
    less than `EPOCH_REDRAW_INTERVAL_S`, the plot says it is `dirty` at most that often, and
    the window's frames draw several epochs at once. `refresh()` itself always draws.
    """

    def __init__(self, object_name: str, title: str, ylabel: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName(title)
        themed(self)
        self.setTitle(title)
        self.setLabel("bottom", "epoch")
        self.setLabel("left", ylabel)
        self.legend = add_legend(self)
        self.train = self.plot(
            [],
            [],
            pen=pg.mkPen(COLORS["train"], width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush=COLORS["train"],
            name="training",
        )
        self.val = self.plot(
            [],
            [],
            pen=pg.mkPen(COLORS["val"], width=2),
            symbol="s",
            symbolSize=5,
            symbolBrush=COLORS["val"],
            name="validation",
        )
        self.train_buf = CurveBuffer(64)
        self.val_buf = CurveBuffer(64)
        self._dirty = False
        self._drawn_at = 0.0

    def set_ylabel(self, text: str) -> None:
        self.setLabel("left", text)

    def clear_curves(self) -> None:
        self.train_buf.clear()
        self.val_buf.clear()
        self._dirty = True
        self.enableAutoRange()

    def follow_run(self, epochs: int) -> None:
        """Show all the run's epochs (0 to `epochs`) from its start, the value axis fitted to
        the points: an epoch's point then moves one axis, not both (a range change repaints
        the axis' labels and grid lines)."""
        self.enableAutoRange(y=True)
        self.setXRange(0, max(epochs, 1), padding=0.04)  # and x is no longer fitted

    def append(self, epoch: int, train: float | None, val: float | None) -> None:
        x = np.array([epoch], dtype=np.float64)
        if train is not None:
            self.train_buf.append(x, np.array([train]))
        if val is not None:
            self.val_buf.append(x, np.array([val]))
        self._dirty = True

    @property
    def dirty(self) -> bool:
        """Whether `refresh()` has something new to draw, and the last drawing is
        `EPOCH_REDRAW_INTERVAL_S` old."""
        return self._dirty and time.monotonic() - self._drawn_at >= EPOCH_REDRAW_INTERVAL_S

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self._drawn_at = time.monotonic()
        self.train.setData(self.train_buf.xs, self.train_buf.ys, connect="finite")
        self.val.setData(self.val_buf.xs, self.val_buf.ys, connect="finite")
