"""The surfaces tab's list of optimizers: a tick, a colour and a learning rate each, and a word
on how its path is doing."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from gui.surfaces.drawing import path_color
from gui.widgets import color_square, named
from gui.widgets.forms import ScientificSpinBox

COLUMN_NAME, COLUMN_RATE, COLUMN_RESULT = range(3)


class PathOptimizerList(QTreeWidget):
    """One row per optimizer of `infos` (name -> catalog entry), those in `checked` ticked.

    `items` and `rate_spins` map each optimizer's name to its row and its learning-rate box; the
    name is also the row's `Qt.ItemDataRole.UserRole` data in `COLUMN_NAME`.
    """

    def __init__(self, infos: dict, checked: Iterable[str], parent=None) -> None:
        super().__init__(parent)
        checked = set(checked)
        named(self, "surfaceOptimizerList", "Optimizers and learning rates")
        self.setColumnCount(3)
        self.setHeaderLabels(["Optimizer", "Rate η", "Path"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setSectionResizeMode(COLUMN_NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMN_RATE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMN_RESULT, QHeaderView.ResizeMode.Stretch)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.rate_spins: dict[str, ScientificSpinBox] = {}
        for name, info in infos.items():
            item = QTreeWidgetItem([info.display_name, "", ""])
            item.setData(COLUMN_NAME, Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            ticked = name in checked
            item.setCheckState(
                COLUMN_NAME, Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
            )
            item.setIcon(COLUMN_NAME, color_square(path_color(name)))
            item.setToolTip(COLUMN_NAME, f"{info.summary}\n\n{info.equation}")
            self.addTopLevelItem(item)
            spin = named(
                ScientificSpinBox(), f"surfaceRate_{name}", f"Learning rate for {info.display_name}"
            )
            spin.setRange(1e-6, 100.0)
            spin.setToolTip(info.param("learning_rate").help)
            spin.setEnabled(ticked)
            self.setItemWidget(item, COLUMN_RATE, spin)
            self.items[name] = item
            self.rate_spins[name] = spin
        self.setMinimumWidth(280)  # a 1024-pixel window still leaves the map room

    def checked(self) -> list[str]:
        """The names of the ticked optimizers, in list order."""
        return [
            name
            for name, item in self.items.items()
            if item.checkState(COLUMN_NAME) == Qt.CheckState.Checked
        ]

    def set_checked(self, names: Iterable[str]) -> None:
        """Tick exactly the optimizers in `names`."""
        wanted = set(names)
        for name, item in self.items.items():
            state = Qt.CheckState.Checked if name in wanted else Qt.CheckState.Unchecked
            item.setCheckState(COLUMN_NAME, state)
