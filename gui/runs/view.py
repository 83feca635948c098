"""The Runs tab: every recorded run, to find, reopen, overlay, rename, tag and delete.

The engine records each run, from this window or the command line, in the run library
(`trainers.runs`) while it trains. This view reads the same file through its own connection on
the UI thread (SQLite connections belong to the thread that opened them; the worker's is on the
engine thread), so it never waits for a run being written: the file is in WAL mode. It reloads
the list when the worker reports a run started or ended, and whenever the tab is shown.

Selecting runs in the table draws their curves (`gui.runs.curves`): the step loss of every
update (faint) with its moving average, and the epoch losses (validation dashed), one colour per
run, so selecting several overlays them. The library's folder is a window setting
(`runs/folder`); with none, the default folder of `trainers.runs.default_runs_dir` is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from gui.runs.columns import COL_NAME, COL_STARTED, COL_STATUS, COLUMNS
from gui.runs.curves import RunCurvesPlots
from gui.widgets import named
from gui.widgets.number_item import NumberItem
from trainers.events import Failed, Finished, Started

if TYPE_CHECKING:
    import pyqtgraph as pg

SETTINGS_KEY = "runs/folder"
ALL = "All"
# Narrower than this the table's rows of buttons leave the curves too little room beside it.
SIDE_BY_SIDE_MIN_WIDTH = 820
MAX_PLOTTED = 24  # more selected runs than this: only the first are drawn, to stay readable


class RunsView(QWidget):
    """The run library as a sortable, filterable table with the selected runs' curves."""

    sig_load_settings = Signal(object)
    """"Load settings": the `RunConfig` of the selected run, for the side panel."""
    sig_rerun = Signal(object)
    """"Rerun": the `RunConfig` of the selected run, to load and train again."""

    def __init__(self, worker=None, settings: QSettings | None = None, parent=None) -> None:
        """`worker` (a TrainingWorker, optional) is told the library's folder and its run
        signals reload the list; `settings` keeps the chosen folder."""
        super().__init__(parent)
        self.setObjectName("runsView")
        self.setAccessibleName("Recorded runs")
        self.worker = worker
        self.settings = settings
        self.library = None
        self._records: dict[int, object] = {}
        self._build()
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(0)  # many signals in one event-loop pass: one reload
        self._reload.timeout.connect(self.refresh)
        if worker is not None:
            worker.sig_events.connect(self._on_events)
            worker.sig_saved.connect(self._schedule_refresh)
        folder = settings.value(SETTINGS_KEY) if settings is not None else None
        self.set_runs_folder(str(folder) if folder else None, remember=False)

    # ================================================================================ layout
    def _build(self) -> None:
        self.dataset_filter = QComboBox()
        named(self.dataset_filter, "runsDatasetFilter", "Show runs on dataset")
        self.optimizer_filter = QComboBox()
        named(self.optimizer_filter, "runsOptimizerFilter", "Show runs of optimizer")
        for combo in (self.dataset_filter, self.optimizer_filter):
            combo.addItem(ALL, None)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(self._schedule_refresh)
        self.search_edit = QLineEdit()
        named(self.search_edit, "runsSearch", "Search runs by name, dataset or tag")
        self.search_edit.setPlaceholderText("Search name, dataset, tag")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._schedule_refresh)
        self.refresh_button = QPushButton("Reload")
        named(self.refresh_button, "runsReloadButton", "Reload the runs")
        self.refresh_button.clicked.connect(self.refresh)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Dataset"))
        filters.addWidget(self.dataset_filter)
        filters.addWidget(QLabel("Optimizer"))
        filters.addWidget(self.optimizer_filter)
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.refresh_button)

        self.table = QTableWidget(0, len(COLUMNS))
        named(self.table, "runsTable", "Recorded runs")
        self.table.setHorizontalHeaderLabels([title for title, _ in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_STARTED, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)

        self.name_edit = QLineEdit()
        named(self.name_edit, "runsNameEdit", "Name of the selected run")
        self.name_edit.setPlaceholderText("Name")
        self.name_edit.returnPressed.connect(self._on_rename)
        self.rename_button = QPushButton("Rename")
        named(self.rename_button, "runsRenameButton", "Rename the selected run")
        self.rename_button.clicked.connect(self._on_rename)
        self.tags_edit = QLineEdit()
        named(self.tags_edit, "runsTagsEdit", "Tags of the selected runs, separated by commas")
        self.tags_edit.setPlaceholderText("tags, separated by commas")
        self.tags_edit.setToolTip(
            "One run selected: its tags become these. Several: these tags are added to each."
        )
        self.tags_edit.returnPressed.connect(self._on_tag)
        self.tag_button = QPushButton("Set tags")
        named(self.tag_button, "runsTagButton", "Set the tags of the selected runs")
        self.tag_button.clicked.connect(self._on_tag)
        self.delete_button = QPushButton("Delete...")
        named(self.delete_button, "runsDeleteButton", "Delete the selected runs")
        self.delete_button.clicked.connect(self._on_delete)
        edits = QHBoxLayout()
        edits.addWidget(self.name_edit, 2)
        edits.addWidget(self.rename_button)
        edits.addWidget(self.tags_edit, 2)
        edits.addWidget(self.tag_button)
        edits.addWidget(self.delete_button)
        self.load_button = QPushButton("Load settings")
        named(self.load_button, "runsLoadButton", "Load the selected run's settings into the form")
        self.load_button.clicked.connect(lambda: self._emit_config(self.sig_load_settings))
        self.rerun_button = QPushButton("Rerun")
        named(self.rerun_button, "runsRerunButton", "Train the selected run's settings again")
        self.rerun_button.clicked.connect(lambda: self._emit_config(self.sig_rerun))
        reuse = QHBoxLayout()
        reuse.addWidget(QLabel("Selected run:"))
        reuse.addWidget(self.load_button)
        reuse.addWidget(self.rerun_button)
        reuse.addStretch(1)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for button in (self.load_button, self.rerun_button):
            action = QAction(button.text(), self.table)
            action.triggered.connect(button.click)
            self.table.addAction(action)

        self.message = QLabel()
        named(self.message, "runsMessage", "Run library message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(
            "background: rgba(220, 50, 50, 50); border: 1px solid rgba(220, 50, 50, 160);"
            "padding: 4px;"
        )
        self.message.hide()
        self.folder_label = QLabel()
        named(self.folder_label, "runsFolderLabel", "Run library file")
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_button = QPushButton("Library folder...")
        named(self.folder_button, "runsFolderButton", "Choose the run library's folder")
        self.folder_button.clicked.connect(self._on_choose_folder)
        self.default_button = QPushButton("Default folder")
        named(self.default_button, "runsDefaultFolderButton", "Use the default library folder")
        self.default_button.clicked.connect(lambda: self.set_runs_folder(None))
        # Its own row, and never wider than the tab: a long path set the tab's minimum width
        # (the full path is in the tooltip, and can be selected).
        self.folder_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        folder_row = QHBoxLayout()
        folder_row.addStretch(1)
        folder_row.addWidget(self.folder_button)
        folder_row.addWidget(self.default_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.message)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(edits)
        left_layout.addLayout(reuse)
        left_layout.addWidget(self.folder_label)
        left_layout.addLayout(folder_row)

        self.curves = RunCurvesPlots()
        self.step_plot, self.epoch_plot = self.curves.step_plot, self.curves.epoch_plot
        self.details = QPlainTextEdit()
        named(self.details, "runsDetails", "Details of the selected run")
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a run to see its settings, result and versions.")
        self.curves.addWidget(self.details)  # a third pane of the plots' splitter, below them
        self.curves.setSizes([400, 300, 200])

        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.curves)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self._update_buttons()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Narrower than `SIDE_BY_SIDE_MIN_WIDTH` (a 1024-pixel window), the curves go under the
        table, side by side, instead of beside it, where they were cut off at the right."""
        super().resizeEvent(event)
        wide = self.width() >= SIDE_BY_SIDE_MIN_WIDTH
        outer = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != outer:
            self.splitter.setOrientation(outer)
            self.curves.setOrientation(
                Qt.Orientation.Vertical if wide else Qt.Orientation.Horizontal
            )

    # ============================================================================== library
    def set_runs_folder(self, folder: str | None, *, remember: bool = True) -> bool:
        """Use the library in `folder` (None: the default folder), here and for the worker's
        next runs; False (and a message) when it cannot be opened."""
        from trainers.runs import RunLibrary, RunLibraryError

        if self.library is not None:
            self.library.close()
            self.library = None
        if remember and self.settings is not None:
            if folder:
                self.settings.setValue(SETTINGS_KEY, folder)
            else:
                self.settings.remove(SETTINGS_KEY)
        if self.worker is not None:
            self.worker.set_runs_dir(folder)
        try:
            self.library = RunLibrary(folder)  # marks the runs of dead processes interrupted
        except RunLibraryError as exc:
            self.folder_label.setText("No run library open")
            self._show_error(str(exc))
            self._fill([])
            return False
        self.folder_label.setText(f"Library: {self.library.path}")
        self.folder_label.setToolTip(str(self.library.path))
        self.message.hide()
        self.refresh()
        return True

    @Slot()
    def _on_choose_folder(self) -> None:
        from gui import recent

        recent.ask(
            self,
            self.settings if self.settings is not None else QSettings(),
            "library",
            "Folder of the run library",
            self.set_runs_folder,
            folder=True,
            start=str(self.library.path.parent) if self.library is not None else "",
        )

    def _show_error(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _guarded(self, action, *args):
        """Read from the library; a RunLibraryError becomes the message above the table and
        the answer None."""
        ok, value = self._attempt(action, *args)
        return value if ok else None

    def _attempt(self, action, *args) -> tuple[bool, object]:
        """Call the library: (True, its answer), or (False, None) after showing the error."""
        from trainers.runs import RunLibraryError

        if self.library is None:
            return False, None
        try:
            return True, action(*args)
        except RunLibraryError as exc:
            self._show_error(str(exc))
            return False, None

    # ================================================================================= list
    @Slot()
    def _on_events(self, events: list) -> None:
        """A run that starts or ends changes the library: reload (when shown)."""
        if any(isinstance(e, Started | Finished | Failed) for e in events):
            self._schedule_refresh()

    def _schedule_refresh(self, *_) -> None:
        # Hidden, the table waits for showEvent: reloading it at every run's start and end
        # (queries and one row per run ever recorded) took the UI thread just as the engine
        # thread was busiest, building and tracing the run's model.
        if self.isVisible():
            self._reload.start()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._schedule_refresh()

    @Slot()
    def refresh(self) -> None:
        """Reload the runs (and the filters' choices), keeping the selection."""
        if self.library is None:
            return
        self._guarded(self.library.recover)  # another instance may have died since
        self._fill_filter(self.dataset_filter, self._guarded(self.library.values, "dataset"))
        self._fill_filter(self.optimizer_filter, self._guarded(self.library.values, "optimizer"))
        records = self._guarded(
            lambda: self.library.list_runs(
                dataset=self.dataset_filter.currentData(),
                optimizer=self.optimizer_filter.currentData(),
                search=self.search_edit.text().strip() or None,
            )
        )
        if records is not None:
            self._fill(records)

    def _fill_filter(self, combo: QComboBox, values: list[str] | None) -> None:
        if values is None:
            return
        current = combo.currentData()
        have = [combo.itemData(i) for i in range(1, combo.count())]
        wanted = sorted(set(values) | ({current} if current else set()))
        if have == wanted:
            return
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(ALL, None)
        for value in wanted:
            combo.addItem(value, value)
        combo.setCurrentIndex(max(0, combo.findData(current)) if current else 0)
        combo.blockSignals(False)

    def _fill(self, records: list) -> None:
        selected = set(self.selected_ids())
        self._records = {record.id: record for record in records}
        table = self.table
        table.blockSignals(True)
        table.setSortingEnabled(False)
        table.clearContents()
        table.setRowCount(len(records))
        for row, record in enumerate(records):
            for column, (_, cell) in enumerate(COLUMNS):
                text, value = cell(record)
                item = NumberItem(text, value)
                item.setData(Qt.ItemDataRole.UserRole, record.id)
                if column == COL_STATUS and record.status in ("diverged", "failed", "interrupted"):
                    item.setForeground(QColor(200, 60, 40))
                table.setItem(row, column, item)
        table.setSortingEnabled(True)
        table.clearSelection()
        mode = table.selectionMode()
        table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(table.rowCount()):
            if table.item(row, COL_NAME).data(Qt.ItemDataRole.UserRole) in selected:
                table.selectRow(row)
        table.setSelectionMode(mode)
        table.blockSignals(False)
        if table.columnWidth(COL_NAME) < 60 and records:
            table.resizeColumnsToContents()
        self._on_selection_changed()

    def run_ids(self) -> list[int]:
        """The ids of the runs listed, in the table's order."""
        return [
            self.table.item(row, COL_NAME).data(Qt.ItemDataRole.UserRole)
            for row in range(self.table.rowCount())
        ]

    def selected_ids(self) -> list[int]:
        """The ids of the selected runs, in the table's order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.table.item(row, COL_NAME).data(Qt.ItemDataRole.UserRole) for row in rows]

    def select_runs(self, run_ids: list[int]) -> None:
        """Select these runs (those listed) and draw their curves."""
        wanted = set(run_ids)
        table = self.table
        table.blockSignals(True)
        table.clearSelection()
        mode = table.selectionMode()
        table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row, run_id in enumerate(self.run_ids()):
            if run_id in wanted:
                table.selectRow(row)
        table.setSelectionMode(mode)
        table.blockSignals(False)
        self._on_selection_changed()

    # ================================================================================ curves
    @Slot()
    def _on_selection_changed(self) -> None:
        ids = self.selected_ids()
        self._update_buttons()
        self._draw(ids[:MAX_PLOTTED])
        if len(ids) == 1 and ids[0] in self._records:
            from trainers.cli.output import format_details

            record = self._records[ids[0]]
            self.details.setPlainText(format_details(record))
            self.name_edit.setText(record.name)
            self.tags_edit.setText(", ".join(record.tags))
        else:
            self.details.setPlainText(
                f"{len(ids)} runs selected: their curves are overlaid." if ids else ""
            )
            self.name_edit.clear()
            self.tags_edit.clear()

    def _update_buttons(self) -> None:
        count = len(self.selected_ids()) if self.table.selectionModel() else 0
        self.rename_button.setEnabled(count == 1)
        self.name_edit.setEnabled(count == 1)
        self.tag_button.setEnabled(count >= 1)
        self.tags_edit.setEnabled(count >= 1)
        self.delete_button.setEnabled(count >= 1)
        for button in (self.load_button, self.rerun_button):
            button.setEnabled(count == 1)
        for action in self.table.actions():
            action.setEnabled(count == 1)

    def _draw(self, run_ids: list[int]) -> None:
        runs = []
        for run_id in run_ids:
            record = self._records.get(run_id)
            curves = self._guarded(self.library.curves, run_id) if record else None
            runs.append(None if curves is None else (record, curves))
        self.curves.draw(runs)

    def plotted(self) -> dict[int, dict[str, pg.PlotDataItem]]:
        """The curves drawn for each selected run: raw and smoothed step loss, epoch losses."""
        return self.curves.plotted()

    # ============================================================================ settings
    def selected_config(self):
        """The `RunConfig` of the one run selected (None, and why, otherwise)."""
        from trainers.config import RunConfig
        from trainers.errors import ConfigError

        ids = self.selected_ids()
        record = self._records.get(ids[0]) if len(ids) == 1 else None
        if record is None:
            return None
        try:
            return RunConfig.from_dict(record.config)
        except (ConfigError, TypeError) as exc:  # recorded by another version of Descent
            self._show_error(f"The settings of {record.name} cannot be read here: {exc}")
            return None

    def _emit_config(self, signal) -> None:
        config = self.selected_config()
        if config is not None:
            self.message.hide()
            signal.emit(config)

    # =============================================================================== edits
    @Slot()
    def _on_rename(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        name = self.name_edit.text().strip()
        if not name:
            self._show_error("A run's name cannot be empty: type a few words, then Rename.")
            return
        self.message.hide()
        ok, _ = self._attempt(self.library.rename, ids[0], name)
        self.refresh()
        if not ok:
            self.message.show()  # refresh must not hide why the rename failed

    @Slot()
    def _on_tag(self) -> None:
        ids = self.selected_ids()
        tags = [part.strip() for part in self.tags_edit.text().split(",") if part.strip()]
        if not ids:
            return
        self.message.hide()
        change = self.library.set_tags if len(ids) == 1 else self.library.add_tags
        failed = [run_id for run_id in ids if not self._attempt(change, run_id, tags)[0]]
        self.refresh()
        if failed:
            self.message.show()

    @Slot()
    def _on_delete(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        names = [self._records[i].name for i in ids if i in self._records]
        shown = "\n".join(f"  {name}" for name in names[:10])
        more = f"\n  and {len(names) - 10} more" if len(names) > 10 else ""
        answer = QMessageBox.question(
            self,
            "Delete runs",
            f"Delete {len(ids)} run(s) and their curves from the library?\n\n{shown}{more}\n\n"
            f"Folders saved with Save run are kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.message.hide()
        failed = [run_id for run_id in ids if not self._attempt(self.library.delete, run_id)[0]]
        self.refresh()
        if failed:
            self.message.show()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if self.library is not None:
            self.library.close()
            self.library = None
        super().closeEvent(event)
