"""Plots by update step: the loss of every update (raw and smoothed), and one quantity per
step on a log axis (the optimizer's inside view)."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from gui.plots.curves import REFIT_INTERVAL_S, DecimatedCurve, ema
from gui.plots.theme import COLORS, RAW_ALPHA, add_legend, dress


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
        dress(
            self,
            "stepLossPlot",
            "Loss of each update",
            "step (update)",
            "loss",
            accessible="Step loss plot",
        )
        self.legend = add_legend(self)
        raw_color = QColor(COLORS["train"])
        raw_color.setAlpha(RAW_ALPHA)
        self.raw = self.plot([], [], pen=pg.mkPen(raw_color, width=1), name="step loss")
        self.smooth = self.plot([], [], pen=pg.mkPen(COLORS["smooth"], width=2), name="smoothed")
        self.raw_curve = DecimatedCurve(self.raw)
        self.smooth_curve = DecimatedCurve(self.smooth)
        self.buffer = self.raw_curve.buffer  # every step's loss, as received
        self.smoothed = self.smooth_curve.buffer
        self.alpha = 0.1
        self._last = None
        self._dirty = False
        self.following = False
        self._last_fit = 0.0
        view = self.getViewBox()
        view.sigXRangeChanged.connect(self._on_view_changed)
        view.sigRangeChangedManually.connect(self._on_user_range)

    def clear_curves(self) -> None:
        self.raw_curve.clear()
        self.smooth_curve.clear()
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
        self.raw_curve.append(steps, losses)
        smooth, self._last = ema(np.asarray(losses, dtype=np.float64), self.alpha, self._last)
        self.smooth_curve.append(steps, smooth)
        self._dirty = True

    def set_smoothing(self, amount: float) -> None:
        """0 = raw values, close to 1 = very smooth; recomputes the whole smoothed curve."""
        self.alpha = max(1.0 - float(amount), 0.001)
        self.smooth_curve.clear()
        self._last = None
        if self.buffer.n:
            smooth, self._last = ema(self.buffer.ys, self.alpha, None)
            self.smooth_curve.append(self.buffer.xs, smooth)
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
        raw = self.raw_curve.refresh(view)
        self.smooth_curve.refresh(view)
        if self.following:
            self._fit_losses(raw)

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


class LogStepPlot(pg.PlotWidget):
    """One quantity per step on a log axis (update sizes, effective rates)."""

    def __init__(self, object_name: str, title: str, ylabel: str, color: QColor) -> None:
        super().__init__()
        dress(self, object_name, title, "step (update)", ylabel)
        self.setLogMode(y=True)
        self.curve = self.plot([], [], pen=pg.mkPen(color, width=1.5))
        self.decimated = DecimatedCurve(self.curve)
        self.buffer = self.decimated.buffer
        self._dirty = False
        self.getViewBox().sigXRangeChanged.connect(self._on_view_changed)

    def clear_curve(self) -> None:
        self.decimated.clear()
        self._dirty = True
        self.enableAutoRange()

    def append(self, steps: np.ndarray, values: np.ndarray) -> None:
        # A log axis cannot show 0 (a step that changed nothing): leave such points out.
        keep = values > 0
        self.decimated.append(steps[keep], values[keep])
        self._dirty = True

    def _on_view_changed(self, *_) -> None:
        self._dirty = True  # a pan or zoom shows other points

    @property
    def dirty(self) -> bool:
        return self._dirty

    def refresh(self) -> None:
        if self._dirty:
            self._dirty = False
            self.decimated.refresh(self.getViewBox())
