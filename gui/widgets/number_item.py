"""A table cell that sorts by its number: the results tables of Compare and Runs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem


class NumberItem(QTableWidgetItem):
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
