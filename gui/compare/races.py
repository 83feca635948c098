"""The comparison's curves, overlaid one colour per run: the smoothed step loss by update, and the
epoch loss (validation when there is any) by epoch and by seconds of training, which is the fair
axis for batch vs stochastic vs mini-batch gradient descent. Clicking a run's legend entry hides
its curves.

Runs repeated over seeds are drawn one colour per group (`gui.compare.bands`): the median of
its seeds with a shaded band (min-max or interquartile), each seed's own thin line on request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.compare.bands import BAND_KINDS, BandCurves, SeedBand
from gui.plots import (
    CurveBuffer,
    DecimatedCurve,
    EmaState,
    dots,
    dress,
    ema,
    run_style,
    set_title,
    smoothing_alpha,
)
from gui.plots.curves import fit_loss_axis
from gui.widgets import named

STEP_TITLE = "Loss by update"
LEGEND_ROWS = 14  # more runs than this: a second legend column
FEW_STEPS = 50  # step curves this short also get a dot per step
RAW_ALPHA = 60
SEED_ALPHA = 150  # each seed's own line, under its group's median


SIDE_BY_SIDE_MIN_WIDTH = 520
FRAME_BUDGET_S = 0.004  # a frame's drawing stops after this long; the rest goes in the next
EPOCH_PLOT_INTERVAL_S = 0.5  # the epoch and time plots are redrawn at most this often
PLOTS = ("step", "epoch", "time")  # the plots, in the order frames take turns on them


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
            if getattr(sample.item, "note_only", False):
                continue  # an explanation (the band's), not a run
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
TIME_TIP = (
    "Seconds of training from each run's first update, validation included. Set-up, "
    "the one-off tracing of the training step and time paused are not counted."
)
SEEDED_STEP_TIP = (
    f"{STEP_TIP}\n\nRepeated over seeds, each run's line is the median of its seeds' lines, "
    "without a band (the epoch and time plots show the spread); 'Show each seed' draws them."
)


def band_label(kind: str, seeds: int) -> str:
    """The legend's entry for the shade around each median: what the band is."""
    return f"band: {BAND_KINDS[kind]} over {seeds} seeds"


BAND_TIP = (
    "Each line is the median of its run's seeds, the shade around it their {band}; on the "
    "time plot each point stands at the median of the seeds' seconds."
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
    stale: set = field(default_factory=set)  # the plots it has news for: step, epoch, time
    band: SeedBand | None = None  # the group it is a seed of, when runs repeat over seeds
    plotted: bool = False  # its curves are on the plots (a seed's only once it is shown)

    @property
    def step_curve(self) -> pg.PlotDataItem:
        return self.smooth.item

    def curves(self) -> tuple:
        return (self.step_curve, self.epoch_curve, self.time_curve)


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
        self.each_seed_check = named(
            QCheckBox("Show each seed"),
            "compareEachSeedCheck",
            "Show each seed's own curves",
            tip="With seeds, also draw every seed's own thin curve in its group's colour",
        )
        self.each_seed_check.toggled.connect(self._on_each_seed_toggled)
        self.band_combo = named(
            QComboBox(),
            "compareBandCombo",
            "Band over seeds",
            tip="The shade around each group's median: the range of its seeds (min-max) or "
            "their middle half (interquartile, 25th to 75th percentile)",
        )
        for key, text in BAND_KINDS.items():
            self.band_combo.addItem(text, key)
        self.band_combo.currentIndexChanged.connect(self._on_band_kind_changed)
        # The seed controls are placed by the view, in the side panel beside the Seeds box:
        # this row has no room for them at 1024 pixels.
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
        self.time_plot.setToolTip(TIME_TIP)
        self.bottom = bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.epoch_plot)
        bottom.addWidget(self.time_plot)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.step_plot)
        self.splitter.addWidget(bottom)
        layout.addWidget(self.splitter, 1)
        self.races: list[Race] = []
        self.bands: list[SeedBand] = []
        self.following = False  # the axes span the plan (see `_follow`)
        self._fitted_at = dict.fromkeys(PLOTS, -math.inf)  # when each loss axis was last fitted
        self._seconds_spanned: float | None = None  # the seconds the time axis spans
        self._draw_cursor: dict[str, int] = {}  # per plot, where its next frame starts
        self._drawn_at: dict[str, float] = {}  # per plot, when a frame last drew on it
        self._last_plot = PLOTS[-1]
        for plot in (self.step_plot, self.epoch_plot, self.time_plot):
            plot.getViewBox().sigRangeChangedManually.connect(self._on_user_range)
        self.band_note: pg.PlotDataItem | None = None  # the legend's entry for the band
        self.seeds = 1
        self.loss_key = "val_loss"
        self._set_seeded(False)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Side by side, the epoch and time plots need about `SIDE_BY_SIDE_MIN_WIDTH` pixels;
        narrower (the Compare tab of a 1024x700 window), one above the other: beside each
        other they reached past the tab's edge and lost their titles' ends."""
        super().resizeEvent(event)
        wide = self.width() >= SIDE_BY_SIDE_MIN_WIDTH
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.bottom.orientation() != orientation:
            self.bottom.setOrientation(orientation)
            # Stacked, the two plots below need more of the height than one row of them (the
            # view may keep a table in a third pane, below them).
            shares = (0.44, 0.33, 0.23) if wide else (0.32, 0.48, 0.20)
            height = self.splitter.height()
            count = self.splitter.count()
            self.splitter.setSizes([int(height * share) for share in shares[:count]])

    @staticmethod
    def _plot(object_name: str, title: str, xlabel: str) -> pg.PlotWidget:
        return dress(pg.PlotWidget(), object_name, title, xlabel, "loss", strong_title=True)

    # ============================================================================== runs
    def start(self, labels: list[str], loss_key: str, groups: list | None = None) -> list[Race]:
        """Forget the last comparison and make the curves and legend of the new runs.

        `groups`, for runs repeated over seeds: each group's (label, member indices); the
        legend then names the groups, each drawn as its seeds' median and band (`bands`).
        """
        for race in self.races:
            self.step_plot.removeItem(race.step_curve)
            self.step_plot.removeItem(race.raw.item)
            self.epoch_plot.removeItem(race.epoch_curve)
            self.time_plot.removeItem(race.time_curve)
        for band in self.bands:
            self.step_plot.removeItem(band.step_curve)
            band.epoch.remove_from(self.epoch_plot)
            band.time.remove_from(self.time_plot)
        self.legend.clear()
        self.band_note = None
        self.loss_key = loss_key
        seeded = bool(groups) and any(len(members) > 1 for _, members in groups)
        self._set_seeded(seeded)
        self.seeds = max((len(members) for _, members in groups), default=1) if seeded else 1
        set_title(self.step_plot, step_title([]))
        what = self._what()
        for plot in (self.epoch_plot, self.time_plot):
            plot.setLabel("left", what.lower())
        entries = len(groups) if seeded else len(labels)
        self.legend.setColumnCount(max(1, math.ceil(entries / LEGEND_ROWS)))
        self.bands = []
        self._draw_cursor.clear()
        if seeded:
            races = [None] * len(labels)
            for number, (label, members) in enumerate(groups):
                band = self._band(number, label)
                for index in members:
                    race = self._race(index, labels[index], band)
                    band.members.append(race)
                    races[index] = race
                self.bands.append(band)
            self.races = races
        else:
            self.races = [self._race(index, label) for index, label in enumerate(labels)]
        self._retitle()
        self._fit_legend()
        for plot in (self.step_plot, self.epoch_plot, self.time_plot):
            plot.enableAutoRange()
        self.following = True
        self._fitted_at = dict.fromkeys(PLOTS, -math.inf)
        self._seconds_spanned = None  # the seconds the time axis was last set to span
        return self.races

    def _follow(self) -> None:
        """While the runs train, the step and epoch axes span the planned steps and epochs of
        those started, so a new point moves at most the loss axis (a range change repaints
        an axis' labels and grid lines, and with 32 runs a plot's paint took 15-40 ms when
        every epoch refitted its axes). The loss axes are fitted by `_fit_axes`, and the
        time axis spans the projected seconds. A pan or zoom by the user ends it."""
        infos = [race.info for race in self.races if race.info is not None]
        if not self.following or not infos:
            return
        self.step_plot.setXRange(0, max(i.total_steps for i in infos), padding=0.02)
        self.epoch_plot.setXRange(0, max(i.config.epochs for i in infos), padding=0.04)
        for plot in (self.step_plot, self.epoch_plot):
            plot.getViewBox().disableAutoRange(axis=pg.ViewBox.YAxis)
        self.time_plot.getViewBox().disableAutoRange()

    def _projected_seconds(self) -> float:
        """The seconds of training the time axis should span: the longest run's seconds so
        far, or its projection to its planned epochs at its pace so far, if longer."""
        longest = 0.0
        for race in self.races:
            if race.times.n and race.info is not None:
                seconds, epoch = float(race.times.xs[-1]), float(race.epochs.xs[-1])
                pace = seconds / epoch if epoch > 0 else 0.0
                longest = max(longest, seconds, pace * race.info.config.epochs)
        return longest

    def _fit_axes(self, plot: str) -> None:
        """While following, fit `plot`'s loss axis to the lines it shows (once a second, or at
        once when one leaves the view: `fit_loss_axis`); on the time plot, the seconds too."""
        if plot == "step":
            if self.each_seed_shown or not self.bands:
                shown = [race for race in self.races if race.step_curve.isVisible()]
                buffers = [race.smooth.buffer for race in shown]
                if self.raw_check.isChecked():
                    buffers += [race.raw.buffer for race in shown]
            else:
                buffers = []
            buffers += [band.step.buffer for band in self.bands if band.step_curve.isVisible()]
            values = np.concatenate([b.ys for b in buffers]) if buffers else np.empty(0)
            self._fitted_at[plot] = fit_loss_axis(self.step_plot, values, self._fitted_at[plot])
            return
        widget = self.epoch_plot if plot == "epoch" else self.time_plot
        shown = [
            item
            for item in widget.getPlotItem().listDataItems()
            if item.isVisible() and item.yData is not None and len(item.yData)
        ]
        if not shown:
            return
        values = np.concatenate([item.yData for item in shown])
        self._fitted_at[plot] = fit_loss_axis(widget, values, self._fitted_at[plot])
        xs = np.concatenate([item.xData for item in shown])
        xs = xs[np.isfinite(xs)]
        if plot == "time" and len(xs):
            seconds = float(xs.max())
            projected = max(self._projected_seconds(), seconds)
            spanned = self._seconds_spanned
            # Refit when a point is past the span, or the span is far more than the projection.
            if projected > 0 and (
                spanned is None or seconds > spanned or spanned > 1.5 * projected
            ):
                self.time_plot.setXRange(0, projected, padding=0.04)
                self._seconds_spanned = projected

    def end_following(self) -> None:
        """The comparison has ended: fit every axis to what was trained (a stopped run is
        short of its plan), unless the user has set a range."""
        if self.following:
            self.following = False
            for plot in (self.step_plot, self.epoch_plot, self.time_plot):
                plot.enableAutoRange()

    def _on_user_range(self, *_) -> None:
        self.following = False

    def _what(self) -> str:
        return "Validation loss" if self.loss_key == "val_loss" else "Training loss"

    def _retitle(self) -> None:
        """The titles name what is drawn; with seeds, the legend's last entry says what the
        band is (the plots are too narrow at 1024 pixels for it in their titles)."""
        what = self._what()
        set_title(self.epoch_plot, f"{what} by epoch")
        set_title(self.time_plot, f"{what} by training time")
        tip = BAND_TIP.format(band=BAND_KINDS[self.band_kind]) if self.bands else ""
        self.epoch_plot.setToolTip(tip)
        self.time_plot.setToolTip(f"{TIME_TIP}\n\n{tip}" if tip else TIME_TIP)
        if self.bands:
            if self.band_note is None:
                shade = QColor(QApplication.palette().color(QPalette.ColorRole.Text))
                shade.setAlpha(70)
                # Never added to a plot: it only gives the legend a shaded swatch.
                self.band_note = pg.PlotDataItem(
                    [0, 1], [0, 0], pen=None, fillLevel=1, brush=pg.mkBrush(shade)
                )
                self.band_note.note_only = True
                self.legend.addItem(self.band_note, "")
            text = band_label(self.band_kind, self.seeds)
            for sample, label in self.legend.items:
                if sample.item is self.band_note:
                    label.setText(text)
            self.legend.setMaximumWidth(16777215)  # let a longer entry widen it again
            self._fit_legend()

    @property
    def band_text(self) -> str:
        """The legend's entry for the band ("" without seeds)."""
        for sample, label in self.legend.items:
            if sample.item is self.band_note:
                return label.text
        return ""

    def _set_seeded(self, seeded: bool) -> None:
        self.step_plot.setToolTip(SEEDED_STEP_TIP if seeded else STEP_TIP)

    @property
    def band_kind(self) -> str:
        """The band drawn around each group's median: "minmax" or "iqr"."""
        return self.band_combo.currentData() or "minmax"

    @property
    def each_seed_shown(self) -> bool:
        return self.each_seed_check.isChecked()

    def _band(self, number: int, label: str) -> SeedBand:
        color, style = run_style(number)
        pen = pg.mkPen(color, width=2.5, style=style)
        step = pg.PlotDataItem([], [], pen=pen)
        self.step_plot.addItem(step)
        self.legend.addItem(step, label)
        band = SeedBand(number, label, color, style, step=DecimatedCurve(step))
        band.epoch = BandCurves.make(self.epoch_plot, color, pen)
        band.time = BandCurves.make(self.time_plot, color, pen)
        return band

    def _race(self, index: int, label: str, band: SeedBand | None = None) -> Race:
        color, style = run_style(index if band is None else band.index)
        pen = pg.mkPen(color, width=2.5, style=style)
        symbols = dots(color, 6)
        if band is not None:  # a seed: a thin line under its group's median, no dots
            thin = QColor(color)
            thin.setAlpha(SEED_ALPHA)
            pen = pg.mkPen(thin, width=1)
            symbols = {}
        raw_color = QColor(color)
        raw_color.setAlpha(RAW_ALPHA)
        raw = pg.PlotDataItem([], [], pen=pg.mkPen(raw_color, width=1))
        step = pg.PlotDataItem([], [], pen=pen)
        epoch = pg.PlotDataItem([], [], pen=pen, **symbols)
        times = pg.PlotDataItem([], [], pen=pen, **symbols)
        raw.setVisible(self.raw_check.isChecked() and band is None)
        raw.setZValue(-1)
        race = Race(
            index, label, color, style, DecimatedCurve(raw), DecimatedCurve(step), epoch, times
        )
        if band is None:
            self._plot_race(race)
            self.legend.addItem(step, label)
        else:
            race.band = band
            for curve in race.curves():
                curve.setZValue(-1)
            self._show_seed(race)
        return race

    def _plot_race(self, race: Race) -> None:
        """Put `race`'s curves on the plots. A seed's hidden lines are left off them until
        they are shown: 32 hidden curves made every range change of a plot ~10% slower."""
        if not race.plotted:
            race.plotted = True
            self.step_plot.addItem(race.raw.item)
            self.step_plot.addItem(race.step_curve)
            self.epoch_plot.addItem(race.epoch_curve)
            self.time_plot.addItem(race.time_curve)

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
        self._follow()
        if info.total_steps <= FEW_STEPS:  # batch descent: a few points, easy to miss as a line
            curve = race.step_curve if race.band is None else race.band.step_curve
            marks = dots(race.color, 6)
            curve.setSymbol(marks["symbol"])
            curve.setSymbolSize(marks["symbolSize"])
            curve.setSymbolBrush(marks["symbolBrush"])
            curve.setSymbolPen(marks["symbolPen"])
        initial = info.initial_logs.get(self.loss_key, info.initial_logs.get("loss"))
        if initial is not None:
            race.epochs.append(np.array([0.0]), np.array([initial]))
            race.times.append(np.array([0.0]), np.array([initial]))
        self._touch(race, epochs=True)

    def add_steps(self, race: Race, steps, losses) -> None:
        if not len(steps):
            return
        losses = np.asarray(losses, dtype=np.float64)
        race.raw.append(steps, losses)
        smooth, race.last_ema = ema(losses, race.alpha, race.last_ema)
        if race.band is not None:  # its group's median changes from here on
            race.band.step_from = min(race.band.step_from, race.smooth.buffer.n)
        race.smooth.append(steps, smooth)
        self._touch(race)

    def add_epoch(self, race: Race, epoch: int, logs, seconds: float) -> None:
        value = logs.get(self.loss_key, logs.get("loss"))
        if value is not None:
            race.epochs.append(np.array([float(epoch)]), np.array([value]))
            race.times.append(np.array([seconds]), np.array([value]))
            self._touch(race, epochs=True)

    @staticmethod
    def _touch(race: Race, epochs: bool = False) -> None:
        """Mark `race` (and its group) to be drawn: its steps, or with `epochs` its epochs."""
        for item in [race] if race.band is None else [race, race.band]:
            item.stale.update(("epoch", "time") if epochs else ("step",))

    # ======================================================================== visibility
    def set_visible(self, race: Race | SeedBand, visible: bool) -> None:
        """Show or hide every curve of `race`, a run or a group of seeds (its legend entry
        greys with it)."""
        race.visible = bool(visible)
        if isinstance(race, SeedBand):
            race.step_curve.setVisible(race.visible)
            race.epoch.set_visible(race.visible)
            race.time.set_visible(race.visible)
            for member in race.members:
                self._show_seed(member)
        else:
            for curve in race.curves():
                curve.setVisible(race.visible)
            race.raw.item.setVisible(race.visible and self.raw_check.isChecked())
        for sample, label in self.legend.items:
            if sample.item is race.step_curve:
                sample.update()
                text = QApplication.palette().color(
                    QPalette.ColorRole.Text if race.visible else QPalette.ColorRole.PlaceholderText
                )
                label.setText(race.label, color=text)

    def _show_seed(self, race: Race) -> None:
        """A seed's own curves show when its group does and "Show each seed" is ticked."""
        shown = race.band.visible and self.each_seed_shown
        race.visible = race.band.visible
        if shown:
            self._plot_race(race)
        for curve in race.curves():
            curve.setVisible(shown)
        race.raw.item.setVisible(shown and self.raw_check.isChecked())
        race.stale.update(PLOTS)

    @Slot(object)
    def _on_legend_clicked(self, item) -> None:
        for race in self.bands or self.races:
            if race.step_curve is item:
                self.sig_visibility_changed.emit(race.index, item.isVisible())
                return

    # =========================================================================== drawing
    def redraw(self, budget_s: float = FRAME_BUDGET_S) -> None:
        """Draw a frame: what changed on one plot. Each frame takes the next plot in turn (step,
        epoch, time) that has something new, so the plots never all repaint in one frame; the
        epoch and time plots at most every `EPOCH_PLOT_INTERVAL_S`. A frame stops once it has
        taken `budget_s` (at least one curve drawn) and the next frame on that plot starts
        where it stopped, so the window answers between frames however many runs train. An
        infinite budget draws everything that changed, on every plot, at once."""
        items = [*self.bands, *self.races]
        if not items:
            return
        now = time.perf_counter()
        if math.isinf(budget_s):
            for plot in PLOTS:
                self._draw_plot(plot, items, budget_s, now)
            return
        turn = PLOTS.index(self._last_plot) + 1
        for plot in PLOTS[turn:] + PLOTS[:turn]:
            if plot != "step" and now - self._drawn_at.get(plot, -math.inf) < EPOCH_PLOT_INTERVAL_S:
                continue
            if any(plot in item.stale for item in items if self._drawable(item)):
                self._last_plot = plot
                self._draw_plot(plot, items, budget_s, now)
                return

    def _drawable(self, item: Race | SeedBand) -> bool:
        # A seed's own lines are drawn once they are shown.
        return isinstance(item, SeedBand) or item.band is None or self.each_seed_shown

    def _draw_plot(self, plot: str, items: list, budget_s: float, started: float) -> None:
        self._drawn_at[plot] = started
        start = self._draw_cursor.get(plot, 0) % len(items)
        for offset in range(len(items)):
            item = items[(start + offset) % len(items)]
            if plot not in item.stale or not self._drawable(item):
                continue
            item.stale.discard(plot)
            self._draw(item, plot)
            if time.perf_counter() - started > budget_s:
                self._draw_cursor[plot] = start + offset + 1
                break
        else:
            self._draw_cursor[plot] = 0
        if self.following:
            self._fit_axes(plot)

    def _draw(self, item: Race | SeedBand, plot: str) -> None:
        """Draw `item`'s curves on `plot` (step, epoch or time)."""
        if isinstance(item, SeedBand):
            if plot == "step":
                item.refresh_steps(self.step_plot.getViewBox())
            else:
                item.refresh_epochs(self.band_kind, by_time=plot == "time")
        elif plot == "step":
            item.smooth.refresh(self.step_plot.getViewBox())
            if self.raw_check.isChecked():
                item.raw.refresh(self.step_plot.getViewBox())
        elif plot == "epoch":
            item.epoch_curve.setData(item.epochs.xs, item.epochs.ys, connect="finite")
        else:
            item.time_curve.setData(item.times.xs, item.times.ys, connect="finite")

    def _on_view_changed(self, *_) -> None:
        for race in [*self.races, *self.bands]:
            race.stale.add("step")  # a pan or zoom shows other points

    @Slot(bool)
    def _on_each_seed_toggled(self, _on: bool) -> None:
        for race in self.races:
            if race.band is not None:
                self._show_seed(race)
        self.redraw(budget_s=math.inf)

    @Slot(int)
    def _on_band_kind_changed(self, _index: int) -> None:
        if self.bands:
            self._retitle()
        for band in self.bands:
            band.stale.update(("epoch", "time"))
        self.redraw(budget_s=math.inf)

    @Slot(bool)
    def _on_log_toggled(self, on: bool) -> None:
        for plot in (self.step_plot, self.epoch_plot, self.time_plot):
            plot.setLogMode(y=on)

    @Slot(bool)
    def _on_raw_toggled(self, on: bool) -> None:
        for race in self.races:
            seed_hidden = race.band is not None and not self.each_seed_shown
            race.raw.item.setVisible(on and race.visible and not seed_hidden)
            race.stale.add("step")
