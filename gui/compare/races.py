"""The comparison's curves, overlaid one colour per run: the smoothed step loss by update, and the
epoch loss (validation when there is any) by epoch and by seconds of training, which is the fair
axis for batch vs stochastic vs mini-batch gradient descent. Clicking a run's legend entry hides
its curves."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.plots import (
    CurveBuffer,
    DecimatedCurve,
    EmaState,
    dress,
    ema,
    run_style,
    set_title,
    smoothing_alpha,
)
from gui.widgets import named

STEP_TITLE = "Loss by update"
LEGEND_ROWS = 14  # more runs than this: a second legend column
FEW_STEPS = 50  # step curves this short also get a dot per step
RAW_ALPHA = 60


class ToggleLegend(pg.LegendItem):
    """A legend whose labels, not only its line samples, show and hide their curves.

    It lives in the plot's layout, so it is not dragged around like pyqtgraph's floating one.
    """

    def hoverEvent(self, event) -> None:  # noqa: N802 (pyqtgraph override)
        pass  # the base class accepts drags here

    def mouseDragEvent(self, event) -> None:  # noqa: N802 (pyqtgraph override)
        event.ignore()

    def mouseClickEvent(self, event) -> None:  # noqa: N802 (pyqtgraph override)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        for sample, label in self.items:
            if label.isVisible() and label.mapRectToParent(label.boundingRect()).contains(
                event.pos()
            ):
                sample.item.setVisible(not sample.item.isVisible())
                sample.update()
                event.accept()
                self.sigSampleClicked.emit(sample.item)
                return


def averaged_steps(steps_per_epoch: int) -> float:
    """How many steps the moving average of a run with `steps_per_epoch` spans: an EMA of
    weight alpha averages over about 2 / alpha - 1 of them (1: none)."""
    return 2.0 / smoothing_alpha(steps_per_epoch) - 1.0


def step_title(steps_per_epoch: Iterable[int]) -> str:
    """The step plot's title for runs of these steps per epoch: what its lines average over,
    short enough for the plot's width at 1024 pixels (`STEP_TIP` says it in full)."""
    per_epoch = sorted(set(steps_per_epoch))
    if not per_epoch:
        return f"{STEP_TITLE} (averaged)"
    spans = sorted({round(averaged_steps(n)) for n in per_epoch})
    if spans == [1]:
        return f"{STEP_TITLE} (raw, not averaged)"
    if len(spans) > 1:
        return f"{STEP_TITLE} (avg. {spans[0]:,}\u2013{spans[-1]:,} steps, by run)"
    if len(per_epoch) > 1:
        return f"{STEP_TITLE} (avg. ~{spans[0]:,} steps)"
    epochs = averaged_steps(per_epoch[0]) / per_epoch[0]
    fraction = "\u00bc" if round(1 / epochs) == 4 else f"1/{round(1 / epochs)}"
    return f"{STEP_TITLE} (avg. ~{spans[0]:,} steps, {fraction} epoch)"


STEP_TIP = (
    "Each run's line is a moving average of its step losses over about a quarter of one of "
    f"its epochs, at most {round(averaged_steps(10**9)):,} steps and at least 1 (batch descent, "
    "one step an epoch, is not averaged). The title says how many steps that is here."
)


@dataclass
class Race:
    """One run of the comparison: its curves (made once) and what it has reported so far."""

    index: int
    label: str
    color: QColor
    style: Qt.PenStyle
    raw: DecimatedCurve
    smooth: DecimatedCurve
    epoch_curve: pg.PlotDataItem
    time_curve: pg.PlotDataItem
    epochs: CurveBuffer = field(default_factory=lambda: CurveBuffer(64))
    times: CurveBuffer = field(default_factory=lambda: CurveBuffer(64))
    alpha: float = 0.1
    last_ema: EmaState | None = None
    info: object = None
    status: str = "waiting"
    message: str = ""
    summary: object = None
    visible: bool = True
    dirty: bool = False

    @property
    def step_curve(self) -> pg.PlotDataItem:
        return self.smooth.item


class RacePlots(QWidget):
    """The three plots of a comparison, with their log-scale and raw-losses switches."""

    sig_visibility_changed = Signal(int, bool)
    """Run `index`'s curves were shown (True) or hidden (False) from its legend entry."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        self.log_check = named(
            QCheckBox("Log scale"), "compareLogScaleCheck", "Logarithmic loss axis"
        )
        self.log_check.toggled.connect(self._on_log_toggled)
        self.raw_check = named(
            QCheckBox("Raw step losses"),
            "compareRawCheck",
            "Show every step's loss behind the average",
            tip="Show the loss of every update faintly behind its average",
        )
        self.raw_check.toggled.connect(self._on_raw_toggled)
        controls.addWidget(self.log_check)
        controls.addWidget(self.raw_check)
        controls.addStretch(1)
        hint = QLabel("Click a legend entry to hide its run")
        hint.setEnabled(False)
        hint.setWordWrap(True)  # two lines rather than a tab too wide for a 1024-pixel window
        controls.addWidget(hint)
        layout.addLayout(controls)

        self.step_plot = self._plot("compareStepPlot", step_title([]), "step (update)")
        self.step_plot.setToolTip(STEP_TIP)
        # The legend sits beside the plot, in the plot's own layout: inside, any corner would
        # hide some run's curve (a fast run falls to the bottom, a slow one stays at the top).
        self.legend = ToggleLegend(
            frame=False,
            labelTextColor=QApplication.palette().color(QPalette.ColorRole.Text),
            labelTextSize="10pt",
            verSpacing=-4,
        )
        plot_layout = self.step_plot.getPlotItem().layout
        plot_layout.addItem(self.legend, 2, 3)  # row of the view box, right of its right axis
        plot_layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self.legend.sigSampleClicked.connect(self._on_legend_clicked)
        self.step_plot.getViewBox().sigXRangeChanged.connect(self._on_view_changed)
        self.epoch_plot = self._plot("compareEpochPlot", "Validation loss by epoch", "epoch")
        self.time_plot = self._plot(
            "compareTimePlot", "Validation loss by training time", "seconds of training"
        )
        self.time_plot.setToolTip(
            "Seconds of training from each run's first update, validation included. Set-up, "
            "the one-off tracing of the training step and time paused are not counted."
        )
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.epoch_plot)
        bottom.addWidget(self.time_plot)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.step_plot)
        self.splitter.addWidget(bottom)
        layout.addWidget(self.splitter, 1)
        self.races: list[Race] = []
        self.loss_key = "val_loss"

    @staticmethod
    def _plot(object_name: str, title: str, xlabel: str) -> pg.PlotWidget:
        return dress(pg.PlotWidget(), object_name, title, xlabel, "loss", strong_title=True)

    # ============================================================================== runs
    def start(self, labels: list[str], loss_key: str) -> list[Race]:
        """Forget the last comparison and make the curves and legend of the new runs."""
        for race in self.races:
            self.step_plot.removeItem(race.step_curve)
            self.step_plot.removeItem(race.raw.item)
            self.epoch_plot.removeItem(race.epoch_curve)
            self.time_plot.removeItem(race.time_curve)
        self.legend.clear()
        self.loss_key = loss_key
        set_title(self.step_plot, step_title([]))
        what = "Validation loss" if loss_key == "val_loss" else "Training loss"
        set_title(self.epoch_plot, f"{what} by epoch")
        set_title(self.time_plot, f"{what} by training time")
        for plot in (self.epoch_plot, self.time_plot):
            plot.setLabel("left", what.lower())
        self.legend.setColumnCount(max(1, math.ceil(len(labels) / LEGEND_ROWS)))
        self.races = [self._race(index, label) for index, label in enumerate(labels)]
        self._fit_legend()
        for plot in (self.step_plot, self.epoch_plot, self.time_plot):
            plot.enableAutoRange()
        return self.races

    def _race(self, index: int, label: str) -> Race:
        color, style = run_style(index)
        pen = pg.mkPen(color, width=2.5, style=style)
        raw_color = QColor(color)
        raw_color.setAlpha(RAW_ALPHA)
        raw = pg.PlotDataItem([], [], pen=pg.mkPen(raw_color, width=1))
        step = pg.PlotDataItem([], [], pen=pen)
        symbols = {"symbol": "o", "symbolSize": 6, "symbolBrush": color, "symbolPen": None}
        epoch = pg.PlotDataItem([], [], pen=pen, **symbols)
        times = pg.PlotDataItem([], [], pen=pen, **symbols)
        raw.setVisible(self.raw_check.isChecked())
        raw.setZValue(-1)
        self.step_plot.addItem(raw)
        self.step_plot.addItem(step)
        self.epoch_plot.addItem(epoch)
        self.time_plot.addItem(times)
        self.legend.addItem(step, label)
        return Race(
            index, label, color, style, DecimatedCurve(raw), DecimatedCurve(step), epoch, times
        )

    def _fit_legend(self) -> None:
        """Size the legend to its entries, so the plot's layout neither squeezes nor pads it."""
        self.legend.updateSize()
        rect = self.legend.geometry()
        self.legend.setMinimumWidth(rect.width())
        self.legend.setMaximumWidth(rect.width())
        self.legend.setMaximumHeight(rect.height())

    def started(self, race: Race, info) -> None:
        """Run `race` has started: its smoothing follows its epoch, epoch 0 is its baseline."""
        race.info = info
        race.status = "training"
        race.alpha = smoothing_alpha(info.steps_per_epoch)
        started = [r.info.steps_per_epoch for r in self.races if r.info is not None]
        set_title(self.step_plot, step_title(started))
        if info.total_steps <= FEW_STEPS:  # batch descent: a few points, easy to miss as a line
            race.step_curve.setSymbol("o")
            race.step_curve.setSymbolSize(6)
            race.step_curve.setSymbolBrush(race.color)
            race.step_curve.setSymbolPen(None)
        initial = info.initial_logs.get(self.loss_key, info.initial_logs.get("loss"))
        if initial is not None:
            race.epochs.append(np.array([0.0]), np.array([initial]))
            race.times.append(np.array([0.0]), np.array([initial]))
        race.dirty = True

    def add_steps(self, race: Race, steps, losses) -> None:
        if not len(steps):
            return
        losses = np.asarray(losses, dtype=np.float64)
        race.raw.append(steps, losses)
        smooth, race.last_ema = ema(losses, race.alpha, race.last_ema)
        race.smooth.append(steps, smooth)
        race.dirty = True

    def add_epoch(self, race: Race, epoch: int, logs, seconds: float) -> None:
        value = logs.get(self.loss_key, logs.get("loss"))
        if value is not None:
            race.epochs.append(np.array([float(epoch)]), np.array([value]))
            race.times.append(np.array([seconds]), np.array([value]))
            race.dirty = True

    # ======================================================================== visibility
    def set_visible(self, race: Race, visible: bool) -> None:
        """Show or hide every curve of `race` (its legend entry greys with it)."""
        race.visible = bool(visible)
        race.step_curve.setVisible(race.visible)
        race.epoch_curve.setVisible(race.visible)
        race.time_curve.setVisible(race.visible)
        race.raw.item.setVisible(race.visible and self.raw_check.isChecked())
        for sample, label in self.legend.items:
            if sample.item is race.step_curve:
                sample.update()
                text = QApplication.palette().color(
                    QPalette.ColorRole.Text if race.visible else QPalette.ColorRole.PlaceholderText
                )
                label.setText(race.label, color=text)

    @Slot(object)
    def _on_legend_clicked(self, item) -> None:
        for race in self.races:
            if race.step_curve is item:
                self.sig_visibility_changed.emit(race.index, item.isVisible())
                return

    # =========================================================================== drawing
    def redraw(self) -> None:
        view = self.step_plot.getViewBox()
        for race in self.races:
            if not race.dirty:
                continue
            race.dirty = False
            race.smooth.refresh(view)
            if self.raw_check.isChecked():
                race.raw.refresh(view)
            race.epoch_curve.setData(race.epochs.xs, race.epochs.ys, connect="finite")
            race.time_curve.setData(race.times.xs, race.times.ys, connect="finite")

    def _on_view_changed(self, *_) -> None:
        for race in self.races:
            race.dirty = True  # a pan or zoom shows other points

    @Slot(bool)
    def _on_log_toggled(self, on: bool) -> None:
        for plot in (self.step_plot, self.epoch_plot, self.time_plot):
            plot.setLogMode(y=on)

    @Slot(bool)
    def _on_raw_toggled(self, on: bool) -> None:
        for race in self.races:
            race.raw.item.setVisible(on and race.visible)
            race.dirty = True
