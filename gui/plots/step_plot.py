"""Plots by update step: the loss of every update (raw and smoothed), and one quantity per
step on a log axis (the optimizer's inside view)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from gui.plots.curves import DecimatedCurve, ema, fit_loss_axis
from gui.plots.theme import COLORS, RAW_ALPHA, add_legend, dress

SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class LogAxis(pg.AxisItem):
    """An axis that, on a log scale, labels at least two values in view.

    pyqtgraph labels a log axis at the powers of ten and, between them, their multiples 2 to 9:
    on a range narrower than the step between two of these (effective rates from 0.011 to
    0.019) one label or none is left, and the axis cannot be read. Then the ticks are round
    values of the range itself (0.012, 0.014, ...), labelled with the digits they need.
    """

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 (pyqtgraph's)
        ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
        shown = sum(minVal <= value <= maxVal for _, values in ticks for value in values)
        if shown >= 2:
            return ticks
        low, high = 10.0**minVal, 10.0**maxVal
        values = np.empty(0)
        for spacing, _ in self.tickSpacing(low, high, size):
            values = np.arange(math.ceil(low / spacing), math.floor(high / spacing) + 1) * spacing
            if len(values) >= 2:
                break
        return [(None, np.log10(values[values > 0]).tolist())]

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's)
        strings = super().logTickStrings(values, scale, spacing)  # one digit: 2, 0.05, 3·10⁻⁵
        for i, number in enumerate(10.0 ** np.asarray(values, dtype=float) * scale):
            digits = next((d for d in range(1, 7) if _rounds_to(number, d)), 6)
            if digits > 1:
                mantissa, _, power = f"{number:.{digits}g}".partition("e")
                exponent = "·10" + str(int(power)).translate(SUPERSCRIPTS) if power else ""
                strings[i] = mantissa + exponent
        return strings


def _rounds_to(number: float, digits: int) -> bool:
    """Whether `number` written with `digits` significant digits is still `number`."""
    return math.isclose(float(f"{number:.{digits}g}"), number, rel_tol=1e-6)


class StepLossPlot(pg.PlotWidget):
    """The loss of every update (faint) and its exponential moving average (bold).

    What is drawn is true at any length and zoom: each frame hands pyqtgraph, for every pixel
    column, the points that show the band from the lowest to the highest loss of the steps in
    it (`visible_points`), a few thousand points for a million steps. The moving average is
    computed on every step as it arrives (`ema`), then drawn the same way. While a run is
    followed, the step axis spans the whole run from its start (the curve grows into it; its
    ticks are laid out once) and the loss axis is refitted about once a second: relaying out
    both axes at every frame cost the training thread a quarter of its speed on two cores
    (bench/bench_throughput.py); when the run ends (`end_following`), both axes fit the steps
    it trained. Any zoom or pan by the user ends the following; the "A" button of the plot
    auto-ranges again.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent, axisItems={"left": LogAxis("left")})
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
        self._ema = None  # where the moving average stopped (`EmaState`)
        self._dirty = False
        self.following = False
        self._last_fit = 0.0
        view = self.getViewBox()
        view.sigXRangeChanged.connect(self._on_view_changed)
        view.sigResized.connect(self._on_view_changed)
        view.sigRangeChangedManually.connect(self._on_user_range)

    def clear_curves(self) -> None:
        self.raw_curve.clear()
        self.smooth_curve.clear()
        self._ema = None
        self._dirty = True
        self.following = False
        self.enableAutoRange()

    def follow_run(self, total_steps: int) -> None:
        """Show the whole run's steps from its start and keep the loss axis fitted."""
        self.following = True
        self._last_fit = 0.0
        self.getViewBox().disableAutoRange()
        self.setXRange(0, max(total_steps, 1), padding=0.02)

    def end_following(self) -> None:
        """The run has ended: if the plot still follows it, fit both axes to the steps it
        trained, which a stopped or failed run leaves short of the planned ones."""
        if self.following:
            self.following = False
            self.enableAutoRange()

    def append(self, steps: np.ndarray, losses: np.ndarray) -> None:
        if not len(steps):
            return
        self.raw_curve.append(steps, losses)
        smooth, self._ema = ema(np.asarray(losses, dtype=np.float64), self.alpha, self._ema)
        self.smooth_curve.append(steps, smooth)
        self._dirty = True

    def set_smoothing(self, amount: float) -> None:
        """0 = raw values, close to 1 = very smooth; recomputes the whole smoothed curve."""
        self.alpha = max(1.0 - float(amount), 0.001)
        self.smooth_curve.clear()
        self._ema = None
        if self.buffer.n:
            smooth, self._ema = ema(self.buffer.ys, self.alpha)
            self.smooth_curve.append(self.buffer.xs, smooth)
        self._dirty = True

    @property
    def dirty(self) -> bool:
        """Whether `refresh()` has something new to draw."""
        return self._dirty

    def _on_view_changed(self, *_) -> None:
        self._dirty = True  # a pan, a zoom or a new width shows other points

    def _on_user_range(self, *_) -> None:
        self.following = False

    def refresh(self) -> None:
        if not self._dirty:
            return
        view = self.getViewBox()
        # The smoothed line first: fitting the view to the data, its wider pen pads the range
        # more, and the raw line drawn second is then drawn for the range both leave.
        self.smooth_curve.refresh(view)
        shown = view.viewRange()[0]
        raw = self.raw_curve.refresh(view)
        # Both are drawn for the range the view has now, unless the raw line moved it.
        self._dirty = view.viewRange()[0] != shown
        if self.following:
            self._fit_losses(raw)

    def _fit_losses(self, losses: np.ndarray) -> None:
        """Refit the loss axis to `losses` once a second, or now if one is out of view."""
        self._last_fit = fit_loss_axis(self, losses, self._last_fit)


class LogStepPlot(pg.PlotWidget):
    """One quantity per step on a log axis (update sizes, effective rates)."""

    def __init__(self, object_name: str, title: str, ylabel: str, color: QColor) -> None:
        super().__init__(axisItems={"left": LogAxis("left")})
        dress(self, object_name, title, "step (update)", ylabel)
        self.setLogMode(y=True)
        self.curve = self.plot([], [], pen=pg.mkPen(color, width=1.5))
        self.decimated = DecimatedCurve(self.curve)
        self.buffer = self.decimated.buffer
        self._dirty = False
        self.getViewBox().sigXRangeChanged.connect(self._on_view_changed)
        self.getViewBox().sigResized.connect(self._on_view_changed)

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
        self._dirty = True  # a pan, a zoom or a new width shows other points

    @property
    def dirty(self) -> bool:
        return self._dirty

    def refresh(self) -> None:
        if self._dirty:
            self.decimated.refresh(self.getViewBox())
            self._dirty = False  # drawn for the range its drawing left the view in
