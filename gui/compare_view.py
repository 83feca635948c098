"""Compare runs side by side: several optimizers, rates, losses or batch sizes on one dataset.

The dataset, model, epochs and seed come from the main form (`base_config`); this view picks what
varies. `trainers.compare.plan` turns the choices into labelled `RunConfig`s, the window's one
`TrainingWorker` trains them one after another from the same initial weights and data order, and
each run's curves grow here, overlaid, one colour per run: the smoothed step loss by update, the
epoch loss (validation when there is any) by epoch, and the same by seconds of training, which
is the fair axis for batch vs stochastic vs mini-batch gradient descent. A sortable table fills
in as runs finish. Clicking a run's legend entry, or unticking its row, hides its curves.

Importing this module does not import TensorFlow. The choices are filled from the engine's
catalog once the worker reports the engine loaded (at once if it already has).
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.plots import CurveBuffer, _ema, themed

REDRAW_INTERVAL_MS = 100  # 10 Hz, as the main window: frames take CPU from training
DEFAULT_OPTIMIZERS = ("sgd", "adam")
GD_MINIBATCH = 32
MAX_RUNS = 48
TIE = 0.005  # final losses within 0.5% of the best are called a tie
LEGEND_ROWS = 14  # more runs than this: a second legend column
FEW_STEPS = 50  # step curves this short also get a dot per step
RAW_ALPHA = 60
# Tableau 10 without its grey: distinct hues that read on light and dark plot backgrounds.
PALETTE = (
    QColor(31, 119, 180),
    QColor(255, 127, 14),
    QColor(44, 160, 44),
    QColor(214, 39, 40),
    QColor(148, 103, 189),
    QColor(23, 190, 207),
    QColor(227, 119, 194),
    QColor(140, 86, 75),
    QColor(188, 189, 34),
)
# After the palette runs out, the colours come back dashed, then dotted.
DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)
SEVERITY_STYLE = {
    "info": "background: rgba(40, 120, 220, 40); border: 1px solid rgba(40, 120, 220, 120);",
    "warning": "background: rgba(230, 160, 20, 60); border: 1px solid rgba(230, 160, 20, 160);",
    "error": "background: rgba(220, 50, 50, 50); border: 1px solid rgba(220, 50, 50, 160);",
}
SEPARATORS = re.compile(r"[,;\s]+")

# Table columns: (header, the SummaryRow field it shows, or None when it needs more than one).
COL_RUN, COL_STATUS, COL_LOSS, COL_BEST_LOSS, COL_VAL, COL_BEST_VAL, COL_METRIC = range(7)
COL_TIME, COL_TARGET = 7, 8
COLUMNS = (
    ("Run", None),
    ("Status", None),
    ("Final loss", "final_loss"),
    ("Best loss", "best_loss"),
    ("Final val loss", "final_val_loss"),
    ("Best val loss", "best_val_loss"),
    ("Metric", None),
    ("Time (s)", "wall_time_s"),
    ("Step to target", "step_to_target"),
)


def parse_learning_rates(text: str) -> list[float]:
    """Positive numbers separated by commas (or spaces); ValueError naming a bad entry."""
    rates = []
    for part in _parts(text):
        try:
            rate = float(part)
        except ValueError:
            raise ValueError(
                f"Learning rates must be numbers separated by commas, like 0.1, 0.01. "
                f"{part!r} is not a number."
            ) from None
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"A learning rate must be above 0. Received: {part}")
        rates.append(rate)
    return _unique(rates)


def parse_batch_sizes(text: str) -> list[int | str]:
    """Whole numbers of samples, or `full`, separated by commas; ValueError naming a bad one."""
    sizes: list[int | str] = []
    for part in _parts(text):
        if part.lower() in ("full", "batch", "all"):
            sizes.append("full")
            continue
        try:
            size = float(part)
        except ValueError:
            size = math.nan
        if not (math.isfinite(size) and size == int(size) and size >= 1):
            raise ValueError(
                f"Batch sizes must be whole numbers of samples (1 or more) or `full`, separated "
                f"by commas, like 1, 32, full. Received: {part!r}"
            )
        sizes.append(int(size))
    return _unique(sizes)


def smoothing_alpha(steps_per_epoch: int) -> float:
    """EMA weight of the newest step: averages over about a quarter of an epoch.

    One fixed weight would flatten batch gradient descent (one step an epoch) into a lagging
    line and barely smooth stochastic gradient descent (hundreds a epoch); a span tied to the
    epoch treats every run alike.
    """
    span = max(steps_per_epoch / 4.0, 1.0)
    return float(min(max(2.0 / (span + 1.0), 0.01), 1.0))


def _parts(text: str) -> list[str]:
    return [p for p in SEPARATORS.split(text.strip()) if p]


def _unique(values: list) -> list:
    seen, out = set(), []
    for value in values:
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def _name(widget: QWidget, object_name: str, accessible: str) -> None:
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)


def _set_title(plot: pg.PlotWidget, text: str) -> None:
    """A plot title in the palette's text colour (pyqtgraph's default grey reads faintly)."""
    plot.setTitle(text, color=QApplication.palette().color(QPalette.ColorRole.Text), size="11pt")


def _swatch(color: QColor, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    pen = QPen(color, 3)
    pen.setStyle(style)
    painter.setPen(pen)
    painter.drawLine(0, 7, 14, 7)
    painter.end()
    return QIcon(pixmap)


def _and(names: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _format(value: float | int | None, kind: str = "loss") -> str:
    if value is None:
        return ""
    if kind == "int":
        return str(int(value))
    if kind == "seconds":
        return f"{value:.1f}"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def _engine_loaded() -> bool:
    """True once `trainers` has finished importing (its last line sets `__all__`)."""
    module = sys.modules.get("trainers")
    return module is not None and hasattr(module, "__all__")


class _SortItem(QTableWidgetItem):
    """A cell that sorts by its number (empty cells last), or by text when it has none."""

    def __init__(self, text: str = "", value: float | None = None) -> None:
        super().__init__(text)
        self.value = value

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine = getattr(self, "value", None)
        theirs = getattr(other, "value", None)
        if mine is None and theirs is None:
            return self.text().lower() < other.text().lower()
        if mine is None or theirs is None:
            # Empty cells after the numbers, whichever way the column is sorted.
            ascending = self.tableWidget() is None or (
                self.tableWidget().horizontalHeader().sortIndicatorOrder()
                == Qt.SortOrder.AscendingOrder
            )
            return (mine is not None) == ascending
        return mine < theirs


class _ToggleLegend(pg.LegendItem):
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


@dataclass
class _Run:
    """One run of the comparison: its curves (made once) and what it has reported so far."""

    index: int
    label: str
    color: QColor
    style: Qt.PenStyle
    step_curve: pg.PlotDataItem
    raw_curve: pg.PlotDataItem
    epoch_curve: pg.PlotDataItem
    time_curve: pg.PlotDataItem
    raw: CurveBuffer = field(default_factory=CurveBuffer)
    smooth: CurveBuffer = field(default_factory=CurveBuffer)
    epochs: CurveBuffer = field(default_factory=lambda: CurveBuffer(64))
    times: CurveBuffer = field(default_factory=lambda: CurveBuffer(64))
    alpha: float = 0.1
    last_ema: float | None = None
    info: object = None
    result: object = None
    summary: object = None
    status: str = "waiting"
    visible: bool = True
    dirty: bool = False


class CompareView(QWidget):
    """Choose what varies, train every combination, and watch the runs race on shared axes.

    Args:
        worker: the window's `gui.worker.TrainingWorker` (one run or comparison at a time).
        base_config: returns the main form's `RunConfig`; everything not varied comes from it.
    """

    sig_comparison_started = Signal(int)
    """A comparison of this many runs was handed to the worker."""
    sig_comparison_finished = Signal(object)
    """The comparison ended (completed, stopped or failed): the `SummaryRow`s, maybe empty."""
    sig_run_visibility_changed = Signal(int, bool)
    """Run `index`'s curves were shown (True) or hidden (False)."""

    def __init__(self, worker, base_config: Callable[[], object], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self.setAccessibleName("Compare runs")
        self.worker = worker
        self.base_config = base_config
        self._catalog = None
        self._runs: list[_Run] = []
        self._rows: list = []
        self._comparing = False
        self._stopping = False
        self._epochs = 0
        self._started_at = 0.0
        self._target: float | None = None
        self._loss_key = "val_loss"
        self._file_tasks: dict[str, str] = {}
        self._build()
        self._set_idle_controls()

        worker.sig_compare_started.connect(self._on_run_started)
        worker.sig_compare_steps.connect(self._on_run_steps)
        worker.sig_compare_epoch.connect(self._on_run_epoch)
        worker.sig_compare_run_finished.connect(self._on_run_finished)
        worker.sig_compare_finished.connect(self._on_compare_finished)
        worker.sig_failed.connect(self._on_failed)
        worker.sig_dataset.connect(self._on_dataset_described)
        if _engine_loaded():
            self._on_engine_ready()
        else:
            worker.sig_ready.connect(self._on_engine_ready)

        self.redraw_timer = QTimer(self)
        self.redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self.redraw_timer.timeout.connect(self._on_redraw)
        self.redraw_timer.start()

    # ================================================================================ building
    def _build(self) -> None:
        side = QWidget()
        side_layout = QVBoxLayout(side)

        optimizers = QGroupBox("Optimizers")
        optimizers_layout = QVBoxLayout(optimizers)
        self.optimizer_list = QListWidget()
        _name(self.optimizer_list, "compareOptimizerList", "Optimizers to compare")
        self.optimizer_list.itemChanged.connect(self._on_choices_changed)
        optimizers_layout.addWidget(self.optimizer_list)
        side_layout.addWidget(optimizers)

        losses = QGroupBox("Losses (none ticked: the main form's)")
        losses_layout = QVBoxLayout(losses)
        self.loss_list = QListWidget()
        _name(self.loss_list, "compareLossList", "Losses to compare")
        self.loss_list.setToolTip("Tick several to compare losses. None ticked: the form's loss.")
        self.loss_list.itemChanged.connect(self._on_choices_changed)
        losses_layout.addWidget(self.loss_list)
        side_layout.addWidget(losses)
        for widget in (self.optimizer_list, self.loss_list):
            widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            widget.setTextElideMode(Qt.TextElideMode.ElideRight)

        varied = QGroupBox("Also vary")
        form = QFormLayout(varied)
        self.rates_edit = QLineEdit()
        _name(self.rates_edit, "compareLearningRatesEdit", "Learning rates to compare")
        self.rates_edit.setPlaceholderText("each optimizer's default")
        self.rates_edit.setToolTip(
            "Learning rates separated by commas, e.g. 0.1, 0.01, 0.001: every ticked optimizer "
            "runs with each. Empty: each optimizer's default rate."
        )
        self.rates_edit.textChanged.connect(self._on_choices_changed)
        form.addRow("Learning rates", self.rates_edit)
        self.batch_edit = QLineEdit()
        _name(self.batch_edit, "compareBatchSizesEdit", "Batch sizes to compare")
        self.batch_edit.setPlaceholderText("the main form's")
        self.batch_edit.setToolTip(
            "Batch sizes separated by commas, e.g. 1, 32, full. Empty: the main form's batch."
        )
        self.batch_edit.textChanged.connect(self._on_choices_changed)
        form.addRow("Batch sizes", self.batch_edit)
        self.target_spin = QDoubleSpinBox()
        _name(self.target_spin, "compareTargetSpin", "Target loss")
        self.target_spin.setRange(0.0, 1e6)
        self.target_spin.setDecimals(4)
        self.target_spin.setSingleStep(0.05)
        self.target_spin.setSpecialValueText("none")
        self.target_spin.setToolTip(
            "The table says at which step each run's loss first reached this value: "
            "'how fast' as a number. 0: no target."
        )
        form.addRow("Target loss", self.target_spin)
        side_layout.addWidget(varied)

        self.plan_label = QLabel()
        _name(self.plan_label, "comparePlanLabel", "Runs planned")
        self.plan_label.setWordWrap(True)
        side_layout.addWidget(self.plan_label)

        buttons = QHBoxLayout()
        self.compare_button = QPushButton("Compare")
        _name(self.compare_button, "compareButton", "Compare")
        self.compare_button.setToolTip("Train every combination, one after another")
        self.compare_button.clicked.connect(self.start_comparison)
        self.stop_button = QPushButton("Stop")
        _name(self.stop_button, "compareStopButton", "Stop the comparison")
        self.stop_button.clicked.connect(self.stop)
        buttons.addWidget(self.compare_button, 1)
        buttons.addWidget(self.stop_button)
        side_layout.addLayout(buttons)
        self.gd_button = QPushButton("Batch vs stochastic vs mini-batch")
        _name(self.gd_button, "gdVariantsButton", "Compare batch, stochastic and mini-batch")
        self.gd_button.setToolTip(
            "Train the main form's optimizer three times: on all samples per update (batch), on "
            f"one sample (stochastic) and on {GD_MINIBATCH} (mini-batch; or the first batch size "
            "above). Watch the loss by seconds: cheap updates are noisy, exact ones are slow."
        )
        self.gd_button.clicked.connect(self.start_gd_variants)
        side_layout.addWidget(self.gd_button)

        self.status_label = QLabel("")
        _name(self.status_label, "compareStatusLabel", "Comparison status")
        self.status_label.setWordWrap(True)
        side_layout.addWidget(self.status_label)
        note = QLabel(
            "Dataset, model, epochs, seed and the rest come from the main form. Every run "
            "starts from the same weights and sees the data in the same order."
        )
        note.setWordWrap(True)
        note.setEnabled(False)  # greyed: a hint, not a control
        side_layout.addWidget(note)
        side_layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(300)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        self.message_frame = QFrame()
        _name(self.message_frame, "compareMessageFrame", "Message")
        message_layout = QHBoxLayout(self.message_frame)
        message_layout.setContentsMargins(8, 4, 4, 4)
        self.message_label = QLabel()
        _name(self.message_label, "compareMessageLabel", "Message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        _name(close, "compareMessageCloseButton", "Dismiss message")
        close.setText("\u2715")
        close.clicked.connect(self.message_frame.hide)
        message_layout.addWidget(self.message_label, 1)
        message_layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.message_frame.hide()
        right_layout.addWidget(self.message_frame)

        plot_controls = QHBoxLayout()
        self.log_check = QCheckBox("Log scale")
        _name(self.log_check, "compareLogScaleCheck", "Logarithmic loss axis")
        self.log_check.toggled.connect(self._on_log_toggled)
        self.raw_check = QCheckBox("Raw step losses")
        _name(self.raw_check, "compareRawCheck", "Show every step's loss behind the average")
        self.raw_check.setToolTip("Show the loss of every update faintly behind its average")
        self.raw_check.toggled.connect(self._on_raw_toggled)
        plot_controls.addWidget(self.log_check)
        plot_controls.addWidget(self.raw_check)
        plot_controls.addStretch(1)
        hint = QLabel("Click a legend entry to hide its run")
        hint.setEnabled(False)
        plot_controls.addWidget(hint)
        right_layout.addLayout(plot_controls)

        self.step_plot = self._plot(
            "compareStepPlot", "Loss of each update (average over ~\u00bc epoch)", "step (update)"
        )
        # Set on the plot, which passes them to every curve added (it overrides the curve's own).
        self.step_plot.setDownsampling(auto=True, mode="peak")
        self.step_plot.setClipToView(True)
        # The legend sits beside the plot, in the plot's own layout: inside, any corner would
        # hide some run's curve (a fast run falls to the bottom, a slow one stays at the top).
        self.legend = _ToggleLegend(
            frame=False,
            labelTextColor=QApplication.palette().color(QPalette.ColorRole.Text),
            labelTextSize="10pt",
            verSpacing=-4,
        )
        layout = self.step_plot.getPlotItem().layout
        layout.addItem(self.legend, 2, 3)  # row of the view box, right of its right axis
        layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self.legend.sigSampleClicked.connect(self._on_legend_clicked)
        self.epoch_plot = self._plot("compareEpochPlot", "Validation loss by epoch", "epoch")
        self.time_plot = self._plot(
            "compareTimePlot", "Validation loss by training time", "seconds of training"
        )
        self.time_plot.setToolTip(
            "Seconds from each run's first update, validation included. The first epoch also "
            "holds the one-off tracing of the training step, so later epochs show the pace."
        )

        self.table = QTableWidget(0, len(COLUMNS))
        _name(self.table, "compareTable", "Comparison results")
        self.table.setHorizontalHeaderLabels([header for header, _ in COLUMNS])
        self.table.horizontalHeaderItem(COL_TIME).setToolTip(
            "Seconds from the first update to the end of the last epoch, validation included"
        )
        self.table.horizontalHeaderItem(COL_TARGET).setToolTip(
            "The first step at which the step loss, averaged over about ten steps, reached "
            "the target loss"
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # training order until a click
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)  # a stretched last column pushes its numbers away
        self.table.setWordWrap(False)
        self.table.itemChanged.connect(self._on_table_item_changed)
        self.verdict_label = QLabel("")
        _name(self.verdict_label, "compareVerdictLabel", "Which run did best")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextFormat(Qt.TextFormat.RichText)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.verdict_label)
        results_layout.addWidget(self.table, 1)

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.epoch_plot)
        bottom.addWidget(self.time_plot)
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(self.step_plot)
        vertical.addWidget(bottom)
        vertical.addWidget(results)
        vertical.setSizes([380, 280, 200])
        right_layout.addWidget(vertical, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 1000])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    @staticmethod
    def _plot(object_name: str, title: str, xlabel: str) -> pg.PlotWidget:
        plot = pg.PlotWidget()
        _name(plot, object_name, title)
        themed(plot)
        _set_title(plot, title)
        plot.setLabel("bottom", xlabel)
        plot.setLabel("left", "loss")
        return plot

    # ================================================================================ choices
    @Slot()
    def _on_engine_ready(self, *_) -> None:
        if self._catalog is not None:
            return
        from trainers import catalog

        self._catalog = catalog
        self.optimizer_list.blockSignals(True)
        for info in catalog.OPTIMIZERS:
            item = QListWidgetItem(info.display_name)
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = info.name in DEFAULT_OPTIMIZERS
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            item.setToolTip(f"{info.summary}\n\n{info.equation}")
            self.optimizer_list.addItem(item)
        self.optimizer_list.blockSignals(False)
        _fit_rows(self.optimizer_list, self.optimizer_list.count())
        self.refresh_choices()
        self._set_idle_controls()

    def refresh_choices(self) -> None:
        """Show the losses that fit the main form's dataset (call when that may have changed)."""
        if self._catalog is None:
            return
        task = self._task_of(self._base_dataset())
        ticked = set(self.checked_losses())
        self.loss_list.blockSignals(True)
        self.loss_list.clear()
        infos = self._catalog.losses_for(task) if task else self._catalog.LOSSES
        for info in infos:
            item = QListWidgetItem(info.display_name)
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if info.name in ticked else Qt.CheckState.Unchecked
            )
            item.setToolTip(f"{info.summary}\n\n{info.equation}")
            self.loss_list.addItem(item)
        self.loss_list.blockSignals(False)
        _fit_rows(self.loss_list, min(max(self.loss_list.count(), 1), 5))
        self._on_choices_changed()

    def _base_dataset(self) -> str:
        try:
            return str(self.base_config().dataset or "")
        except Exception:  # a half-built form: no dataset yet
            return ""

    def _task_of(self, dataset: str) -> str | None:
        if not dataset:
            return None
        try:
            return self._catalog.dataset_info(dataset).task
        except ValueError:  # a user file: its task is known once the window has described it
            return self._file_tasks.get(dataset)

    @Slot(object)
    def _on_dataset_described(self, description: dict) -> None:
        request = description.get("request") or {}
        if "task" in description and request.get("dataset"):
            self._file_tasks[request["dataset"]] = description["task"]
            if request["dataset"] == self._base_dataset():
                self.refresh_choices()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._comparing:
            self.refresh_choices()  # the main form may have changed dataset meanwhile

    def checked_optimizers(self) -> list[str]:
        """The names of the ticked optimizers, in list order."""
        return _checked(self.optimizer_list)

    def set_optimizers(self, names: Iterable[str]) -> None:
        """Tick exactly the optimizers in `names` (catalog names: sgd, adam ...)."""
        _set_checked(self.optimizer_list, names)

    def checked_losses(self) -> list[str]:
        """The names of the ticked losses (empty: the main form's loss)."""
        return _checked(self.loss_list)

    def set_losses(self, names: Iterable[str]) -> None:
        """Tick exactly the losses in `names` that fit the dataset."""
        _set_checked(self.loss_list, names)

    @Slot()
    def _on_choices_changed(self, *_) -> None:
        if self._comparing:
            return
        try:
            runs = self.planned_runs()
        except Exception as exc:  # shown beside the buttons; Compare then says it in full
            self.plan_label.setText(f"\u26a0 {_readable(exc)}")
            return
        n = len(runs)
        text = f"{n} run{'s' if n != 1 else ''}"
        if n <= 4:
            text += ": " + ", ".join(label for label, _ in runs)
        self.plan_label.setText(text)

    def planned_runs(self) -> list[tuple[str, object]]:
        """The (label, RunConfig) runs the choices describe; ValueError with a readable message.

        The configs are not yet validated against the dataset: `start_comparison` does that.
        """
        if self._catalog is None:
            raise ValueError("The engine is still loading.")
        from trainers.compare import plan

        optimizers = self.checked_optimizers()
        if not optimizers:
            raise ValueError("Tick at least one optimizer to compare.")
        rates = parse_learning_rates(self.rates_edit.text())
        batches = parse_batch_sizes(self.batch_edit.text())
        base = self.base_config()
        if not rates:
            # No rates typed: each optimizer's default, not the form's rate for its optimizer
            # (plan() would give that rate to every run, unfair to the others).
            hyperparameters = dict(base.hyperparameters)
            hyperparameters.pop("learning_rate", None)
            base = dataclasses.replace(base, hyperparameters=hyperparameters)
        return plan(
            base,
            optimizers=optimizers,
            learning_rates=rates or None,
            losses=self.checked_losses() or None,
            batch_sizes=batches or None,
        )

    # ================================================================================ running
    @property
    def is_comparing(self) -> bool:
        """True from a comparison's start until the worker reports it over."""
        return self._comparing

    @Slot()
    def start_comparison(self) -> bool:
        """Plan the runs from the choices and hand them to the worker; False if refused."""
        try:
            runs = self.planned_runs()
        except Exception as exc:  # a choice the engine refuses is a message, never a traceback
            self.show_message(_readable(exc), "error")
            return False
        return self._start(runs)

    @Slot()
    def start_gd_variants(self) -> bool:
        """Train the form's optimizer as batch, stochastic and mini-batch GD; False if refused."""
        if self._catalog is None:
            self.show_message("The engine is still loading.", "info")
            return False
        try:
            numbers = [b for b in parse_batch_sizes(self.batch_edit.text()) if b != "full"]
        except ValueError as exc:
            self.show_message(str(exc), "error")
            return False
        minibatch = next((b for b in numbers if b > 1), GD_MINIBATCH)
        try:
            from trainers.compare import gd_variants

            runs = gd_variants(self.base_config(), minibatch=minibatch)
        except Exception as exc:
            self.show_message(_readable(exc), "error")
            return False
        return self._start(runs)

    def _start(self, runs: list) -> bool:
        if self._comparing or self.worker.busy:
            self.show_message(
                "A training run is in progress: stop it or let it end, then compare.", "info"
            )
            return False
        if not runs:
            self.show_message("Nothing to compare: tick at least one optimizer.", "error")
            return False
        if len(runs) > MAX_RUNS:
            self.show_message(
                f"That is {len(runs)} runs, more than the {MAX_RUNS} one comparison can show "
                f"readably. Tick fewer optimizers, rates, losses or batch sizes.",
                "error",
            )
            return False
        from trainers.errors import DescentError

        checked = []
        for label, config in runs:
            try:
                checked.append((label, config.validate()))
            except DescentError as exc:
                self.show_message(
                    f"Run {label}: {exc}\nCorrect it and press Compare again.", "error"
                )
                return False
        target = self.target_spin.value() or None
        if not self.worker.request_compare(checked, target):
            self.show_message("The worker is busy: wait for the run in progress to end.", "info")
            return False
        self._target = target
        self._epochs = checked[0][1].epochs
        self._loss_key = "val_loss" if checked[0][1].validation_split > 0 else "loss"
        self._start_runs([label for label, _ in checked])
        losses = {config.loss for _, config in checked}
        if len(losses) > 1:
            self.show_message(
                "Different losses measure different things: compare how fast each curve falls, "
                "not how high it lies. The metric column compares them on one scale.",
                "info",
            )
        else:
            self.message_frame.hide()
        self._comparing = True
        self._stopping = False
        self._started_at = time.monotonic()
        self._set_running_controls()
        self.status_label.setText(f"Preparing {len(checked)} runs...")
        self.sig_comparison_started.emit(len(checked))
        return True

    @Slot()
    def stop(self) -> None:
        """Stop the run in training; the runs not yet started are skipped."""
        if self._comparing:
            self._stopping = True
            self.worker.stop()
            self.stop_button.setEnabled(False)
            self.status_label.setText("Stopping after the steps in progress...")

    def _set_running_controls(self) -> None:
        for widget in (
            self.optimizer_list,
            self.rates_edit,
            self.batch_edit,
            self.loss_list,
            self.target_spin,
            self.compare_button,
            self.gd_button,
        ):
            widget.setEnabled(False)
        self.stop_button.setEnabled(True)

    def _set_idle_controls(self) -> None:
        ready = self._catalog is not None
        for widget in (
            self.optimizer_list,
            self.rates_edit,
            self.batch_edit,
            self.loss_list,
            self.target_spin,
            self.compare_button,
            self.gd_button,
        ):
            widget.setEnabled(ready)
        self.stop_button.setEnabled(False)

    # ------------------------------------------------------------------- runs and their curves
    def _start_runs(self, labels: list[str]) -> None:
        """Forget the last comparison and make the curves, legend and rows of the new runs."""
        for run in self._runs:
            self.step_plot.removeItem(run.step_curve)
            self.step_plot.removeItem(run.raw_curve)
            self.epoch_plot.removeItem(run.epoch_curve)
            self.time_plot.removeItem(run.time_curve)
        self.legend.clear()
        self._runs = []
        self._rows = []
        self.verdict_label.setText("")
        what = "Validation loss" if self._loss_key == "val_loss" else "Training loss"
        _set_title(self.epoch_plot, f"{what} by epoch")
        _set_title(self.time_plot, f"{what} by training time")
        for plot in (self.epoch_plot, self.time_plot):
            plot.setLabel("left", what.lower())
        self.legend.setColumnCount(max(1, math.ceil(len(labels) / LEGEND_ROWS)))
        self.table.setColumnHidden(COL_TARGET, self._target is None)
        if self._target is not None:
            self.table.horizontalHeaderItem(COL_TARGET).setText(f"Step to {self._target:g}")
        for index, label in enumerate(labels):
            color = PALETTE[index % len(PALETTE)]
            style = DASHES[(index // len(PALETTE)) % len(DASHES)]
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
            run = _Run(index, label, color, style, step, raw, epoch, times)
            self._runs.append(run)
        self._fit_legend()
        self._fill_table()
        for plot in (self.step_plot, self.epoch_plot, self.time_plot):
            plot.enableAutoRange()

    def _fit_legend(self) -> None:
        """Size the legend to its entries, so the plot's layout neither squeezes nor pads it."""
        self.legend.updateSize()
        rect = self.legend.geometry()
        self.legend.setMinimumWidth(rect.width())
        self.legend.setMaximumWidth(rect.width())
        self.legend.setMaximumHeight(rect.height())

    @Slot(int, str, object)
    def _on_run_started(self, index: int, label: str, info) -> None:
        run = self._run(index)
        if run is None:
            return
        run.info = info
        run.status = "training"
        run.alpha = smoothing_alpha(info.steps_per_epoch)
        if info.total_steps <= FEW_STEPS:  # batch descent: a few points, easy to miss as a line
            run.step_curve.setSymbol("o")
            run.step_curve.setSymbolSize(6)
            run.step_curve.setSymbolBrush(run.color)
            run.step_curve.setSymbolPen(None)
        initial = info.initial_logs.get(self._loss_key, info.initial_logs.get("loss"))
        if initial is not None:
            run.epochs.append(np.array([0.0]), np.array([initial]))
            run.times.append(np.array([0.0]), np.array([initial]))
        run.dirty = True
        self._update_row(run)
        self.status_label.setText(f"Run {index + 1} of {len(self._runs)}: {label}")

    @Slot(int, object, object)
    def _on_run_steps(self, index: int, steps, losses) -> None:
        run = self._run(index)
        if run is None or not len(steps):
            return
        losses = np.asarray(losses, dtype=np.float64)
        run.raw.append(steps, losses)
        ema, run.last_ema = _ema(losses, run.alpha, run.last_ema)
        run.smooth.append(steps, ema)
        run.dirty = True

    @Slot(int, int, object, float)
    def _on_run_epoch(self, index: int, epoch: int, logs: dict, seconds: float) -> None:
        run = self._run(index)
        if run is None:
            return
        value = logs.get(self._loss_key, logs.get("loss"))
        if value is not None:
            run.epochs.append(np.array([float(epoch)]), np.array([value]))
            run.times.append(np.array([seconds]), np.array([value]))
            run.dirty = True
        if not self._stopping:
            self.status_label.setText(
                f"Run {index + 1} of {len(self._runs)}: {run.label} · epoch {epoch}/{self._epochs}"
            )

    @Slot(int, object)
    def _on_run_finished(self, index: int, result) -> None:
        run = self._run(index)
        if run is None:
            return
        run.result = result
        run.status = result.status
        run.summary = self._summarize(run)
        self._update_row(run)

    @Slot(object)
    def _on_compare_finished(self, rows) -> None:
        if not self._comparing:
            return
        rows = list(rows or [])
        for run, row in zip(self._runs, rows, strict=False):
            run.summary = row
            run.status = row.status
            self._update_row(run)
        for run in self._runs:  # runs never reached: say so rather than "waiting"
            if run.status in ("waiting", "training"):
                run.status = "skipped" if run.status == "waiting" else "stopped"
                self._update_row(run)
        self._rows = rows
        self._on_redraw()
        self._comparing = False
        elapsed = time.monotonic() - self._started_at
        done = sum(run.result is not None for run in self._runs)
        if self._stopping:
            self.status_label.setText(f"Stopped after {done} of {len(self._runs)} runs.")
        elif rows:
            self.status_label.setText(f"Compared {len(rows)} runs in {elapsed:.0f} s.")
        self._stopping = False
        self._set_idle_controls()
        self._mark_best()
        self.verdict_label.setText(self._verdict())
        self._on_choices_changed()
        self.sig_comparison_finished.emit(rows)

    @Slot(str, object)
    def _on_failed(self, message: str, result) -> None:
        if not self._comparing:
            return  # a failure of the main window's own run: the window shows it
        self.show_message(message, "error")
        self.status_label.setText("The comparison failed.")
        if not self.worker.busy:  # the job is over: no sig_compare_finished may follow
            self._on_compare_finished([])

    def _run(self, index: int) -> _Run | None:
        return self._runs[index] if 0 <= index < len(self._runs) else None

    def _summarize(self, run: _Run):
        from trainers.compare import summarize

        return summarize(run.label, run.result, self._target)

    # ================================================================================= table
    def _fill_table(self) -> None:
        self.table.setSortingEnabled(False)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self._runs))
        for row, run in enumerate(self._runs):
            name = _SortItem(run.label)
            name.setData(Qt.ItemDataRole.UserRole, run.index)
            name.setIcon(_swatch(run.color, run.style))
            name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Checked)
            name.setToolTip("Untick to hide this run's curves")
            self.table.setItem(row, COL_RUN, name)
            for col in range(1, len(COLUMNS)):
                self.table.setItem(row, col, _SortItem(""))
            self.table.item(row, COL_STATUS).setText(run.status)
        self.table.blockSignals(False)
        self.table.setSortingEnabled(True)

    def _row_of(self, run: _Run) -> int:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, COL_RUN)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == run.index:
                return row
        return -1

    def _update_row(self, run: _Run) -> None:
        row = self._row_of(run)
        if row < 0:
            return
        sorting = self.table.isSortingEnabled()
        self.table.setSortingEnabled(False)  # else the row moves while we fill it
        self.table.blockSignals(True)
        self.table.item(row, COL_STATUS).setText(run.status)
        summary = run.summary
        if summary is not None:
            for col, (_, attr) in enumerate(COLUMNS):
                if attr is None:
                    continue
                value = getattr(summary, attr)
                if attr == "wall_time_s" and summary.epochs_done == 0:
                    value = None  # skipped or failed before training: no time to show
                kind = {"wall_time_s": "seconds", "step_to_target": "int"}.get(attr, "loss")
                self._set_number(row, col, value, kind)
            metric = summary.final_val_metric
            if metric is None:
                metric = summary.final_metric
            self._set_number(row, COL_METRIC, metric)
            if summary.metric:  # a skipped run has none: keep what a trained one said
                self._set_metric_header(summary.metric, summary.final_val_metric is not None)
            if run.result is not None and run.result.message:
                self.table.item(row, COL_STATUS).setToolTip(run.result.message)
        self.table.blockSignals(False)
        self.table.setSortingEnabled(sorting)

    def _set_number(self, row: int, col: int, value, kind: str = "loss") -> None:
        item = self.table.item(row, col)
        number = None if value is None else float(value)
        item.value = number if number is None or math.isfinite(number) else math.inf
        item.setText(_format(value, kind))
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _set_metric_header(self, metric: str, validation: bool) -> None:
        name = {"mae": "MAE"}.get(metric, metric or "metric")
        text = f"Val {name}" if validation else name[:1].upper() + name[1:]
        self.table.horizontalHeaderItem(COL_METRIC).setText(text)

    def _mark_best(self) -> None:
        """Bold the best value of each loss, metric and target column: the winners at a glance.

        Time is left plain: the quickest run is often the one that learned least.
        """
        higher_better = {COL_METRIC: self._metric_higher_is_better()}
        for col in (COL_LOSS, COL_BEST_LOSS, COL_VAL, COL_BEST_VAL, COL_METRIC, COL_TARGET):
            items = [self.table.item(r, col) for r in range(self.table.rowCount())]
            values = [i.value for i in items if i is not None and i.value is not None]
            best = None
            if values:
                best = max(values) if higher_better.get(col, False) else min(values)
            for item in items:
                if item is None:
                    continue
                font = QFont(item.font())
                font.setBold(best is not None and item.value == best and math.isfinite(best))
                item.setFont(font)

    def _metric_higher_is_better(self) -> bool:
        metric = next((r.summary.metric for r in self._runs if r.summary is not None), "")
        return metric == "accuracy"

    def _verdict(self) -> str:
        """A few sentences: which run did best (ties said as such), which got to the target
        first, which failed, and the idea of the winning optimizer."""
        done = [r for r in self._runs if r.summary is not None]
        if not done:
            return ""
        key = "final_val_loss" if self._loss_key == "val_loss" else "final_loss"
        what = "validation loss" if self._loss_key == "val_loss" else "training loss"

        def value(run: _Run) -> float | None:
            number = getattr(run.summary, key)
            return number if number is not None and math.isfinite(number) else None

        ranked = sorted(
            (r for r in done if r.status in ("completed", "stopped") and value(r) is not None),
            key=value,
        )
        parts = []
        if ranked:
            best = value(ranked[0])
            tied = [r for r in ranked if value(r) <= best + TIE * abs(best)]
            names = _and(escape(r.label) for r in tied)
            if len(tied) == 1:
                sentence = f"<b>Lowest final {what}: {names} ({best:.4g})</b>"
            else:
                sentence = f"<b>{names} tie for the lowest final {what} ({best:.4g})</b>"
            rest = ranked[len(tied) :]
            others = ", ".join(f"{escape(r.label)} {value(r):.4g}" for r in rest)
            parts.append(f"{sentence}{'; then ' + others if others else ''}.")
            parts.extend(escape(note) for note in self._optimizer_notes(tied))
        if self._target is not None:
            reached = [r for r in done if r.summary.step_to_target is not None]
            if reached:
                step = min(r.summary.step_to_target for r in reached)
                first = [r for r in reached if r.summary.step_to_target == step]
                parts.append(
                    f"First to loss {self._target:g}: "
                    f"{_and(escape(r.label) for r in first)}, at step {step}."
                )
            else:
                parts.append(f"No run reached loss {self._target:g}.")
        bad = [r for r in done if r.status in ("diverged", "failed")]
        if bad:
            names = ", ".join(escape(r.label) for r in bad)
            parts.append(
                f"{names}: {' / '.join(sorted({r.status for r in bad}))}; the status cell's "
                "tooltip says why (often a learning rate too high)."
            )
        return " ".join(parts)

    def _optimizer_notes(self, winners: list[_Run]) -> list[str]:
        """The winning optimizers' one-line ideas, when the runs differ by optimizer."""
        configs = [r.result.config for r in self._runs if r.result is not None]
        if len({c.optimizer for c in configs}) < 2:
            return []
        names = _unique([r.result.config.optimizer for r in winners if r.result is not None])
        if len(names) > 2:
            return []
        infos = [self._catalog.optimizer_info(name) for name in names]
        return [f"{info.display_name}: {info.summary}" for info in infos]

    # ============================================================================ visibility
    def set_run_visible(self, index: int, visible: bool) -> None:
        """Show or hide every curve of run `index` (its legend entry and row follow)."""
        run = self._run(index)
        if run is None:
            return
        run.visible = bool(visible)
        run.step_curve.setVisible(run.visible)
        run.epoch_curve.setVisible(run.visible)
        run.time_curve.setVisible(run.visible)
        run.raw_curve.setVisible(run.visible and self.raw_check.isChecked())
        for sample, label in self.legend.items:
            if sample.item is run.step_curve:
                sample.update()
                text = QApplication.palette().color(
                    QPalette.ColorRole.Text if run.visible else QPalette.ColorRole.PlaceholderText
                )
                label.setText(run.label, color=text)
        row = self._row_of(run)
        if row >= 0:
            item = self.table.item(row, COL_RUN)
            state = Qt.CheckState.Checked if run.visible else Qt.CheckState.Unchecked
            if item.checkState() != state:
                self.table.blockSignals(True)
                item.setCheckState(state)
                self.table.blockSignals(False)
        self.sig_run_visibility_changed.emit(index, run.visible)

    def is_run_visible(self, index: int) -> bool:
        run = self._run(index)
        return run is not None and run.visible

    def curves(self, index: int) -> dict[str, pg.PlotDataItem]:
        """Run `index`'s curves: "step" (smoothed), "raw", "epoch" and "time"."""
        run = self._runs[index]
        return {
            "step": run.step_curve,
            "raw": run.raw_curve,
            "epoch": run.epoch_curve,
            "time": run.time_curve,
        }

    def run_info(self, index: int):
        """Run `index`'s `RunInfo` (sizes, steps per epoch ...), or None before it starts."""
        run = self._run(index)
        return run.info if run is not None else None

    def run_labels(self) -> list[str]:
        """The labels of the runs of the current (or last) comparison, in training order."""
        return [run.label for run in self._runs]

    def summary_rows(self) -> list:
        """The `SummaryRow`s of the last finished comparison (empty before one)."""
        return list(self._rows)

    @Slot(object)
    def _on_legend_clicked(self, item) -> None:
        for run in self._runs:
            if run.step_curve is item:
                self.set_run_visible(run.index, item.isVisible())
                return

    @Slot(QTableWidgetItem)
    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != COL_RUN:
            return
        index = item.data(Qt.ItemDataRole.UserRole)
        visible = item.checkState() == Qt.CheckState.Checked
        if index is not None and self.is_run_visible(index) != visible:
            self.set_run_visible(index, visible)

    # ================================================================================= plots
    @Slot()
    def _on_redraw(self) -> None:
        for run in self._runs:
            if not run.dirty:
                continue
            run.dirty = False
            run.step_curve.setData(run.smooth.xs, run.smooth.ys, connect="finite")
            if self.raw_check.isChecked():
                run.raw_curve.setData(run.raw.xs, run.raw.ys, connect="finite")
            run.epoch_curve.setData(run.epochs.xs, run.epochs.ys, connect="finite")
            run.time_curve.setData(run.times.xs, run.times.ys, connect="finite")

    @Slot(bool)
    def _on_log_toggled(self, on: bool) -> None:
        for plot in (self.step_plot, self.epoch_plot, self.time_plot):
            plot.setLogMode(y=on)

    @Slot(bool)
    def _on_raw_toggled(self, on: bool) -> None:
        for run in self._runs:
            run.raw_curve.setVisible(on and run.visible)
            run.dirty = True

    # ============================================================================== messages
    def show_message(self, text: str, severity: str = "info") -> None:
        """Show `text` above the plots: info, warning or error. The curves stay."""
        self.message_label.setText(text)
        self.message_label.setProperty("severity", severity)
        self.message_frame.setStyleSheet(f"#compareMessageFrame {{ {SEVERITY_STYLE[severity]} }}")
        self.message_frame.show()


def _fit_rows(widget: QListWidget, rows: int) -> None:
    """Make a list exactly `rows` rows tall, so short lists need no scroll bar."""
    row = widget.sizeHintForRow(0) if widget.count() else widget.fontMetrics().height() + 4
    widget.setFixedHeight(row * rows + 2 * widget.frameWidth() + 2)


def _checked(widget: QListWidget) -> list[str]:
    return [
        widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    ]


def _set_checked(widget: QListWidget, names: Iterable[str]) -> None:
    wanted = set(names)
    for i in range(widget.count()):
        item = widget.item(i)
        name = item.data(Qt.ItemDataRole.UserRole)
        item.setCheckState(Qt.CheckState.Checked if name in wanted else Qt.CheckState.Unchecked)


def _readable(exc: Exception) -> str:
    """A message for an exception from planning: the engine's own text for its errors."""
    from trainers.errors import DescentError

    if isinstance(exc, (DescentError, ValueError)):
        return str(exc)
    traceback.print_exc()  # a bug: keep the trace for a report, show the user one line
    return f"Could not plan the comparison ({type(exc).__name__}: {exc})."
