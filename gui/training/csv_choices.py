"""The choices a CSV file needs, below its target column: the columns to leave out, what a
text column becomes, and what to do with missing values.

They become the CSV options of `trainers.datasets.files.load_csv` (`exclude`, `text_columns`,
`missing`), which the panel puts in the run's `dataset_options`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QFormLayout, QMenu, QPushButton, QWidget

from gui.widgets import named

TEXT_COLUMNS = (("One-hot encode", "onehot"), ("Refuse", "refuse"))
MISSING = (("Refuse", "refuse"), ("Drop rows", "drop"), ("Fill with mean", "mean"))


class _StayingMenu(QMenu):
    """A menu of check boxes that stays open while they are clicked: leaving out three columns
    takes three clicks, not three trips through the menu."""

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        action = self.activeAction()
        if action is not None and action.isCheckable() and action.isEnabled():
            action.trigger()
            return
        super().mouseReleaseEvent(event)


class CsvChoices(QWidget):
    """The target column's row (given by the panel), then Leave out, Text columns and Missing
    values, as one form."""

    sig_changed = Signal()
    """A choice changed: the dataset must be described again."""

    def __init__(self, target_label, target_combo, parent=None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(target_label, target_combo)
        self.exclude_button = named(QPushButton(), "excludeButton", "Columns to leave out")
        self.exclude_menu = _StayingMenu(self.exclude_button)
        self.exclude_button.setMenu(self.exclude_menu)
        form.addRow("Leave out", self.exclude_button)
        self.text_combo = self._combo(
            "textColumnsCombo",
            "Text columns",
            TEXT_COLUMNS,
            "A feature column of text: one 0/1 column per distinct value (at most 50), or "
            "refuse the file",
        )
        form.addRow("Text columns", self.text_combo)
        self.missing_combo = self._combo(
            "missingValuesCombo",
            "Missing values",
            MISSING,
            "Rows with an empty or NA cell: refuse the file (counting them), drop those rows, "
            "or fill each gap with its column's mean over the file",
        )
        form.addRow("Missing values", self.missing_combo)
        self.target = ""
        self._show_left_out()

    def _combo(self, name: str, label: str, items, tip: str) -> QComboBox:
        combo = named(QComboBox(), name, label, tip=tip)
        for text, value in items:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(self.sig_changed)
        return combo

    def set_columns(self, columns: list[str], target: str) -> None:
        """Offer `columns` to leave out (none left out), the target among them but not
        checkable."""
        self.exclude_menu.clear()
        for name in columns:
            action = QAction(name.replace("&", "&&"), self.exclude_menu, checkable=True)
            action.setData(name)  # the text would take "&" for a shortcut mark
            action.toggled.connect(self._on_toggled)
            self.exclude_menu.addAction(action)
        self.set_target(target)

    def set_target(self, target: str) -> None:
        """The target column cannot be left out: its entry is unchecked and disabled."""
        self.target = target
        for action in self.exclude_menu.actions():
            is_target = action.data() == target
            action.blockSignals(True)
            if is_target:
                action.setChecked(False)
            action.blockSignals(False)
            action.setEnabled(not is_target)
            action.setToolTip("the target column" if is_target else "")
        self._show_left_out()

    def left_out(self) -> list[str]:
        return [a.data() for a in self.exclude_menu.actions() if a.isChecked()]

    def options(self) -> dict:
        """The CSV options chosen, as `load_csv` takes them."""
        return {
            "exclude": self.left_out(),
            "text_columns": self.text_combo.currentData(),
            "missing": self.missing_combo.currentData(),
        }

    def set_options(self, options: dict) -> None:
        """Show `options` (a run's `dataset_options`): the ones named here, others ignored."""
        exclude = options.get("exclude", [])
        names = set(exclude.split(",") if isinstance(exclude, str) else exclude)
        self.blockSignals(True)
        for action in self.exclude_menu.actions():
            action.setChecked(action.isEnabled() and action.data() in names)
        for combo, name in ((self.text_combo, "text_columns"), (self.missing_combo, "missing")):
            index = combo.findData(options.get(name, combo.itemData(0)))
            combo.setCurrentIndex(max(index, 0))
        self.blockSignals(False)
        self._show_left_out()
        self.sig_changed.emit()

    @Slot()
    def _on_toggled(self, *_) -> None:
        self._show_left_out()
        self.sig_changed.emit()

    def _show_left_out(self) -> None:
        names = self.left_out()
        text = ", ".join(names) if names else "none"
        self.exclude_button.setText(text if len(text) <= 40 else f"{len(names)} columns")
        self.exclude_button.setToolTip(
            f"Left out: {', '.join(names)}" if names else "No column is left out: click to choose"
        )
