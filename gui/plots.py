"""The live plots: step loss (raw and smoothed), epoch losses, and the task's metric.

Curves are made once and fed with `setData` from buffers that grow by doubling; the window
redraws them from a ~25 Hz timer, only when new points arrived. Peak downsampling and
clip-to-view keep a million-point curve smooth to pan and zoom.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

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
    plot.showGrid(x=True, y=True, alpha=0.2)


class StepLossPlot(pg.PlotWidget):
    """The loss of every update (faint) and its exponential moving average (bold)."""

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
        for item in (self.raw, self.smooth):
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
        self.buffer = CurveBuffer()
        self.smoothed = CurveBuffer()
        self.alpha = 0.1
        self._last = None
        self._dirty = False

    def clear_curves(self) -> None:
        self.buffer.clear()
        self.smoothed.clear()
        self._last = None
        self._dirty = True
        self.enableAutoRange()

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
        self._last = None
        if self.buffer.n:
            ema, self._last = _ema(self.buffer.ys, self.alpha, None)
            self.smoothed.append(self.buffer.xs, ema)
        self._dirty = True

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.raw.setData(self.buffer.xs, self.buffer.ys, connect="finite")
        self.smooth.setData(self.smoothed.xs, self.smoothed.ys, connect="finite")


class EpochPlot(pg.PlotWidget):
    """Training and validation values of one quantity (loss or metric) by epoch."""

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

    def set_ylabel(self, text: str) -> None:
        self.setLabel("left", text)

    def clear_curves(self) -> None:
        self.train_buf.clear()
        self.val_buf.clear()
        self._dirty = True
        self.enableAutoRange()

    def append(self, epoch: int, train: float | None, val: float | None) -> None:
        x = np.array([epoch], dtype=np.float64)
        if train is not None:
            self.train_buf.append(x, np.array([train]))
        if val is not None:
            self.val_buf.append(x, np.array([val]))
        self._dirty = True

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.train.setData(self.train_buf.xs, self.train_buf.ys, connect="finite")
        self.val.setData(self.val_buf.xs, self.val_buf.ys, connect="finite")
