"""The data behind every live curve: buffers that grow by doubling, the moving average, and
the one way curves are thinned for drawing.

Curves are made once and fed with `setData` from `CurveBuffer`s; a `DecimatedCurve` hands
pyqtgraph, for each pixel column of the view, only the points a line through every step would
show there (`visible_points`), so a million-point curve stays true and smooth to pan and zoom.
Every step-indexed curve of the window (the step loss, the optimizer's inside view, the
comparison's races, the recorded runs) draws through it.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

REFIT_INTERVAL_S = 1.0
"""Following a run, the loss axis is refitted at most this often (sooner if a point leaves it)."""
FEW_POINTS = 4
"""A pixel column with at most this many points is drawn from all of them."""
EMA_BLOCK = 4096
"""Values of the moving average computed together in closed form (see `ema`)."""


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


@dataclass(frozen=True)
class EmaState:
    """Where `ema` stopped, so the next call continues exactly as one call over all values
    would: the finite values seen, the accumulator at the start of the block of `EMA_BLOCK`
    they end in and that block's running sum, and the last smoothed value."""

    count: int = 0
    base: float = 0.0
    partial: float = 0.0
    last: float = math.nan


@functools.lru_cache(maxsize=16)
def _powers(decay: float) -> np.ndarray:
    """decay^1 .. decay^L for one block: L <= EMA_BLOCK, and small enough that decay^-L stays
    far from overflow (decay^-L <= e^300)."""
    block = max(1, min(EMA_BLOCK, int(300.0 / -math.log(decay))))
    powers = decay ** np.arange(1, block + 1, dtype=np.float64)
    powers.setflags(write=False)
    return powers


def ema(
    values: np.ndarray, alpha: float, state: EmaState | None = None
) -> tuple[np.ndarray, EmaState]:
    """Exponential moving average of `values` with TensorBoard's debiasing, continuing from
    `state` (None: the start); returns (smoothed, state to continue from).

    The accumulator starts at 0 and each value is divided by 1 - (1 - alpha)^count, the weight
    the accumulator has gathered, so the line neither climbs from 0 nor lags behind the first
    steps: its first value is the first loss. Non-finite values (a diverged step) are skipped
    and show the last smoothed value, so the line stops instead of vanishing.

    Per block of values the recursion a_i = d a_(i-1) + alpha x_i (d = 1 - alpha) has the
    closed form a_i = d^i (a_0 + alpha sum_(j<=i) x_j d^-j), one vectorized pass: a million
    values take milliseconds. Blocks are counted from the first value ever and `state` carries
    the running sum, so values fed in chunks give the same numbers, to the bit, as fed at once.
    """
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"The smoothing weight must be in (0, 1]. Received: alpha={alpha}")
    values = np.asarray(values, dtype=np.float64)
    state = state or EmaState()
    finite = np.isfinite(values)
    picked = values[finite]
    count, base, partial = state.count, state.base, state.partial
    decay = 1.0 - alpha
    if decay <= 0.0:  # no memory: the average is the value itself
        smoothed = picked.copy()
        count += len(picked)
    else:
        powers = _powers(decay)
        block = len(powers)
        smoothed = np.empty(len(picked))
        done = 0
        while done < len(picked):
            offset = count % block
            take = min(block - offset, len(picked) - done)
            scale = powers[offset : offset + take]
            # The running sum goes first, so cumsum adds in the same order as in one call.
            sums = np.cumsum(np.concatenate(([partial], picked[done : done + take] / scale)))[1:]
            accumulated = scale * (base + alpha * sums)
            weight = 1.0 - decay ** (count - offset) * scale  # 1 - d^count, the debiasing
            smoothed[done : done + take] = accumulated / weight
            count += take
            done += take
            if count % block:
                partial = float(sums[-1])
            else:
                base, partial = float(accumulated[-1]), 0.0
    out = np.empty(len(values))
    out[finite] = smoothed
    if not finite.all():
        index = np.where(finite, np.arange(len(values)), -1)
        np.maximum.accumulate(index, out=index)
        out = np.where(index >= 0, out[np.maximum(index, 0)], state.last)
    last = float(smoothed[-1]) if len(smoothed) else state.last
    return out, EmaState(count, base, partial, last)


def visible_points(
    source: CurveBuffer, x_range: tuple[float, float] | None, pixels: float, log: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """What to hand pyqtgraph for the x range in view (None: all of it) `pixels` wide.

    The range is cut into `pixels` equal columns. A column of up to `FEW_POINTS` points gives
    them all; a fuller one gives its first point, its lowest and highest (placed inside it) and
    its last: what a line through all of them draws there, the band from the lowest to the
    highest value and the same joins to the columns beside. One point beyond each edge makes
    the line run off the plot. Non-finite values (and, on a `log` axis, 0 and below, which it
    cannot show) become NaN, gaps that `connect="finite"` leaves undrawn. Steps are increasing,
    so the columns are found by bisection and summarized by `reduceat`: O(points in view), a
    few milliseconds for a million.
    """
    xs, ys = source.xs, source.ys
    if not source.n:
        return xs.copy(), ys.copy()
    x0, x1 = (float(xs[0]), float(xs[-1])) if x_range is None else x_range
    columns = max(int(round(pixels)), 1)
    begin = int(np.searchsorted(xs, x0, "left"))
    end = int(np.searchsorted(xs, x1, "right"))
    edges = x0 + (x1 - x0) * np.arange(columns + 1) / columns
    bounds = np.searchsorted(xs[begin:end], edges[1:-1], "left") + begin
    bounds = np.concatenate(([begin], bounds, [end]))
    starts, counts = bounds[:-1], np.diff(bounds)
    starts, counts = starts[counts > 0], counts[counts > 0]
    low, high = _extremes(ys[begin:end], starts - begin, log)
    # The points of each column in order: all of a few; else first, lowest, highest, last.
    kept = np.minimum(counts, FEW_POINTS)
    column = np.repeat(np.arange(len(counts)), kept)
    slot = np.arange(len(column)) - np.repeat(np.cumsum(kept) - kept, kept)
    full = counts[column] > FEW_POINTS
    last = full & (slot == FEW_POINTS - 1)
    index = starts[column] + np.where(last, counts[column] - 1, slot)
    ahead = min(begin, 1)  # the step before the range, if any, and the one after it
    index = np.concatenate(
        (np.arange(begin - ahead, begin), index, np.arange(end, min(end + 1, source.n)))
    )
    px, py = xs[index], ys[index]
    for which, values in ((1, low), (2, high)):
        inside = np.flatnonzero(full & (slot == which))
        within = column[inside]
        px[inside + ahead] = 0.5 * (xs[starts[within]] + xs[starts[within] + counts[within] - 1])
        py[inside + ahead] = values[within]
    return px, _drawable(py, log)


def _extremes(ys: np.ndarray, starts: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest drawable value of the columns of `ys` from `starts` (NaN: none)."""
    if not len(starts):
        return np.empty(0), np.empty(0)
    low, high = np.fmin.reduceat(ys, starts), np.fmax.reduceat(ys, starts)
    # fmin and fmax skip NaN only; an infinity, or 0 on a log axis, is rare: cleaned only then.
    if np.isinf(low).any() or np.isinf(high).any() or (log and (low <= 0).any()):
        ys = _drawable(ys, log)
        low, high = np.fmin.reduceat(ys, starts), np.fmax.reduceat(ys, starts)
    return low, high


def _drawable(ys: np.ndarray, log: bool) -> np.ndarray:
    """`ys` with what the axis cannot show (non-finite; 0 and below on a log axis) as NaN."""
    shown = np.isfinite(ys)
    if log:
        shown &= ys > 0
    return ys if shown.all() else np.where(shown, ys, np.nan)


class DecimatedCurve:
    """A `pg.PlotDataItem` fed from a `CurveBuffer` through `visible_points`.

    `append` adds points; `refresh(view)` hands the item, for each pixel column of the view
    box, what the points in it draw, and returns the y values drawn (for fitting an axis to
    them). pyqtgraph's own downsampling and clipping are kept off: they would thin it again.
    """

    def __init__(self, item: pg.PlotDataItem, capacity: int = 1024) -> None:
        self.item = item
        self.buffer = CurveBuffer(capacity)
        item.setDownsampling(ds=1, auto=False)
        item.setClipToView(False)

    def clear(self) -> None:
        self.buffer.clear()

    def append(self, xs: np.ndarray, ys: np.ndarray) -> None:
        self.buffer.append(xs, ys)

    def refresh(self, view: pg.ViewBox) -> np.ndarray:
        if view.autoRangeEnabled()[0]:
            # Fitted to the data, the view's x range depends on the curve's ends alone: hand
            # the item its two ends, let the view take its range from them now (not at the
            # next paint), then draw the columns of that range.
            ends = [0, self.buffer.n - 1] if self.buffer.n else []
            ys = _drawable(self.buffer.ys[ends], self._log)
            self.item.setData(self.buffer.xs[ends], ys, connect="finite")
            view.updateAutoRange()
        return self._draw(view, tuple(view.viewRange()[0]))

    @property
    def _log(self) -> bool:
        return bool(self.item.opts["logMode"][1])

    def _draw(self, view: pg.ViewBox, x_range: tuple[float, float]) -> np.ndarray:
        widget = view.getViewWidget()
        pixels = view.width() * (widget.devicePixelRatioF() if widget is not None else 1.0)
        xs, ys = visible_points(self.buffer, x_range, pixels, self._log)
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


def fit_loss_axis(plot: pg.PlotWidget, losses: np.ndarray, last_fit: float) -> float:
    """Fit `plot`'s loss axis to `losses` if `REFIT_INTERVAL_S` has passed since `last_fit`
    (a `time.monotonic()`), or at once if one is out of view, rather than at every frame
    (each refit repaints the axis and its grid); returns when it last fitted."""
    log = bool(plot.getAxis("left").logMode)
    values = losses[np.isfinite(losses) & (losses > 0)] if log else losses[np.isfinite(losses)]
    if not len(values):
        return last_fit
    if log:
        values = np.log10(values)
    low, high = float(values.min()), float(values.max())
    bottom, top = plot.getViewBox().viewRange()[1]
    now = time.monotonic()
    if now - last_fit < REFIT_INTERVAL_S and bottom <= low and high <= top:
        return last_fit
    # setYRange adds the padding; it takes log10 units in log mode, as viewRange gives.
    plot.getViewBox().setYRange(low, high, padding=0.05)
    return now
