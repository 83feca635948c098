"""Keras's own optimizers are offered in the Compare tab, marked as Keras built-ins, after
ours, unticked; the side panel offers only ours."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui.compare.choices import CompareChoices
from trainers import catalog


def test_the_compare_list_offers_keras_builtins_marked_after_ours(qtbot):
    choices = CompareChoices()
    qtbot.addWidget(choices)
    box = choices.optimizer_list
    items = [box.item(i) for i in range(box.count())]
    names = [item.data(Qt.ItemDataRole.UserRole) for item in items]
    ours = [info.name for info in catalog.OPTIMIZERS]
    builtins = [info.name for info in catalog.KERAS_BUILTINS]
    assert names == ours + builtins
    for item in items[len(ours) :]:
        assert item.text().endswith("(Keras built-in)")
        assert item.checkState() == Qt.CheckState.Unchecked
    choices.set_optimizers(["keras_adamw", "adam"])
    assert choices.checked_optimizers() == ["adam", "keras_adamw"]
    assert [p[1].optimizer for p in choices.planned_runs(catalog_base())] == ["adam", "keras_adamw"]


def catalog_base():
    from trainers.config import RunConfig

    return RunConfig(dataset="moons")
