"""The comparison's results table: one sortable row per run, filled in as the runs end.

Each row's first cell carries the run's colour and a tick box that shows or hides its curves;
the best value of each loss, metric and target column is bold. Runs repeated over seeds have
one row per group: the medians over its seeds, each cell's tooltip giving the spread.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from gui.widgets import named, swatch
from gui.widgets.number_item import NumberItem

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


def format_value(value: float | int | None, kind: str = "loss") -> str:
    """A cell's text: a loss to 4 significant digits, seconds to a tenth, steps whole."""
    if value is None:
        return ""
    if kind == "int":
        return str(int(value))
    if kind == "seconds":
        return f"{value:.1f}"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


class ResultsTable(QTableWidget):
    """One row per run of the comparison: its status and summary numbers."""

    sig_visibility_changed = Signal(int, bool)
    """The tick of run `index`'s row was set (True) or cleared (False) by the user."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        named(self, "compareTable", "Comparison results")
        self.setHorizontalHeaderLabels([header for header, _ in COLUMNS])
        self.horizontalHeaderItem(COL_TIME).setToolTip(
            "Seconds from the first update to the end of the last epoch, validation included"
        )
        self.horizontalHeaderItem(COL_TARGET).setToolTip(
            "The first step at which the step loss, averaged over about ten steps, reached "
            "the target loss"
        )
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        self.setSortingEnabled(True)
        header = self.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # training order until a click
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)  # a stretched last column pushes its numbers away
        self.setWordWrap(False)
        self.itemChanged.connect(self._on_item_changed)

    def start(self, runs: list, target: float | None) -> None:
        """New rows for `runs` (each with index, label, color, style and status)."""
        self.setColumnHidden(COL_TARGET, target is None)
        if target is not None:
            self.horizontalHeaderItem(COL_TARGET).setText(f"Step to {target:g}")
        self.setSortingEnabled(False)
        self.blockSignals(True)
        self.setRowCount(len(runs))
        for row, run in enumerate(runs):
            name = NumberItem(run.label)
            name.setData(Qt.ItemDataRole.UserRole, run.index)
            name.setIcon(swatch(run.color, run.style))
            name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Checked)
            name.setToolTip(
                "Untick to hide this run's curves"
                if not hasattr(run, "members")
                else f"The median of {len(run.members)} seeds. Untick to hide its curves"
            )
            self.setItem(row, COL_RUN, name)
            for col in range(1, len(COLUMNS)):
                self.setItem(row, col, NumberItem(""))
            self.item(row, COL_STATUS).setText(run.status)
        self.blockSignals(False)
        self.setSortingEnabled(True)

    def row_of(self, index: int) -> int:
        """The table row of run `index` (rows move when sorted); -1 if there is none."""
        for row in range(self.rowCount()):
            item = self.item(row, COL_RUN)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == index:
                return row
        return -1

    def show_run(self, run) -> None:
        """Fill run `run.index`'s row: its status, and its summary numbers once it has one."""
        row = self.row_of(run.index)
        if row < 0:
            return
        sorting = self.isSortingEnabled()
        self.setSortingEnabled(False)  # else the row moves while we fill it
        self.blockSignals(True)
        self.item(row, COL_STATUS).setText(run.status)
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
            if run.message:
                self.item(row, COL_STATUS).setToolTip(run.message)
            spread = getattr(run, "spread", None)
            if spread is not None:
                self._show_spread(row, spread)
        self.blockSignals(False)
        self.setSortingEnabled(sorting)

    def _show_spread(self, row: int, group) -> None:
        """Each number's tooltip: the range and interquartile range over the group's seeds."""
        metric = "final_val_metric" if group.figures["final_val_metric"].count else "final_metric"
        figures = {col: attr for col, (_, attr) in enumerate(COLUMNS) if attr is not None}
        figures[COL_METRIC] = metric
        for col, attr in figures.items():
            spread = group.figures[attr]
            if spread.median is None:
                continue
            kind = {"wall_time_s": "seconds", "step_to_target": "steps"}.get(attr, "loss")

            def text(value, kind=kind) -> str:
                if kind == "steps" and value == math.inf:
                    return "never"
                return format_value(value, "int" if kind == "steps" else kind)

            lines = [
                f"Median over {spread.count} seeds: {text(spread.median)}",
                f"min-max: {text(spread.min)} to {text(spread.max)}",
                f"interquartile: {text(spread.p25)} to {text(spread.p75)}",
            ]
            if attr == "step_to_target" and group.reached is not None:
                lines.append(f"{group.reached} of {group.trained} seeds reached the target")
            self.item(row, col).setToolTip("\n".join(lines))

    def set_ticked(self, index: int, ticked: bool) -> None:
        """Tick or clear run `index`'s row (without telling anyone)."""
        row = self.row_of(index)
        if row < 0:
            return
        item = self.item(row, COL_RUN)
        state = Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        if item.checkState() != state:
            self.blockSignals(True)
            item.setCheckState(state)
            self.blockSignals(False)

    def _set_number(self, row: int, col: int, value, kind: str = "loss") -> None:
        item = self.item(row, col)
        number = None if value is None else float(value)
        item.value = number if number is None or math.isfinite(number) else math.inf
        item.setText(format_value(value, kind))
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _set_metric_header(self, metric: str, validation: bool) -> None:
        name = {"mae": "MAE"}.get(metric, metric or "metric")
        text = f"Val {name}" if validation else name[:1].upper() + name[1:]
        header = self.horizontalHeaderItem(COL_METRIC)
        header.setText(text)
        header.setToolTip(
            "A regression trains on the standardized target: its losses and MAE are in "
            "standard deviations of the target (the Training tab's axes give the std)."
            if metric == "mae"
            else ""
        )

    def mark_best(self, metric_higher_is_better: bool) -> None:
        """Bold the best value of each loss, metric and target column: the winners at a glance.

        Time is left plain: the quickest run is often the one that learned least.
        """
        higher_better = {COL_METRIC: metric_higher_is_better}
        for col in (COL_LOSS, COL_BEST_LOSS, COL_VAL, COL_BEST_VAL, COL_METRIC, COL_TARGET):
            items = [self.item(r, col) for r in range(self.rowCount())]
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

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != COL_RUN:
            return
        index = item.data(Qt.ItemDataRole.UserRole)
        if index is not None:
            self.sig_visibility_changed.emit(index, item.checkState() == Qt.CheckState.Checked)
