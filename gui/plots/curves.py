"""The data behind every live curve: buffers that grow by doubling, the moving average, and
the one way curves are thinned for drawing.

Curves are made once and fed with `setData` from `CurveBuffer`s; a `DecimatedCurve` hands
pyqtgraph only what can be seen, either the raw points in view or, zoomed out, a min/max
envelope of them, so a million-point curve stays smooth to pan and zoom. Every step-indexed
curve of the window (the step loss, the optimizer's inside view, the comparison's races) draws
through it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

REFIT_INTERVAL_S = 1.0
"""Following a run, the loss axis is refitted at most this often (sooner if a point leaves it)."""
ENVELOPE_BLOCK = 256
"""Raw points per block of the zoomed-out envelope (its min and max are drawn)."""
POINTS_PER_PIXEL = 2
"""Above this many visible points per horizontal pixel, the envelope is drawn instead."""


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


def ema(values: np.ndarray, alpha: float, start: float | None) -> tuple[np.ndarray, float]:
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


class DecimatedCurve:
    """A `pg.PlotDataItem` fed from a `CurveBuffer` through `visible_points`.

    `append` adds points; `refresh(view)` hands the item what the view box shows at its width
    and returns the y values drawn (for fitting an axis to them).
    """

    def __init__(self, item: pg.PlotDataItem, capacity: int = 1024) -> None:
        self.item = item
        self.buffer = CurveBuffer(capacity)
        self.envelope = Envelope()

    def clear(self) -> None:
        self.buffer.clear()
        self.envelope.clear()

    def append(self, xs: np.ndarray, ys: np.ndarray) -> None:
        self.buffer.append(xs, ys)

    def refresh(self, view: pg.ViewBox) -> np.ndarray:
        x_range = None if view.autoRangeEnabled()[0] else tuple(view.viewRange()[0])
        xs, ys = visible_points(self.buffer, self.envelope, x_range, view.width())
        self.item.setData(xs, ys, connect="finite")
        return ys


def smoothing_alpha(steps_per_epoch: int) -> float:
    """EMA weight of the newest step: averages over about a quarter of an epoch.

    One fixed weight would flatten batch gradient descent (one step an epoch) into a lagging
    line and barely smooth stochastic gradient descent (hundreds a epoch); a span tied to the
    epoch treats every run alike.
    """
    span = max(steps_per_epoch / 4.0, 1.0)
    return float(min(max(2.0 / (span + 1.0), 0.01), 1.0))
