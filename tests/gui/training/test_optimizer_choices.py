"""Every optimizer of ours is offered, in catalog order, by the side panel and the Compare tab
(first there); AdamW's, Lion's, Adamax's and Adam's forms show their own hyperparameters and
equation, and a run of each comes back from the form as it went in."""

import pytest
from PySide6.QtCore import Qt

from gui.compare.choices import CompareChoices
from gui.training import SidePanel
from gui.training.fill import fill_panel
from trainers import catalog
from trainers.config import RunConfig


@pytest.fixture
def panel(qtbot, settings):
    widget = SidePanel(settings)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _choose(panel, name: str) -> None:
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData(name))


def test_the_side_panel_and_the_compare_tab_offer_every_optimizer(qtbot, panel):
    combo = panel.optimizer_combo
    offered = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
    expected = [(info.name, info.display_name) for info in catalog.OPTIMIZERS]
    assert offered == expected
    assert {"adamw", "adamax", "lion"} <= {name for name, _ in offered}

    choices = CompareChoices()
    qtbot.addWidget(choices)
    rows = [choices.optimizer_list.item(i) for i in range(choices.optimizer_list.count())]
    ours = [(row.data(Qt.ItemDataRole.UserRole), row.text()) for row in rows[: len(expected)]]
    assert ours == expected  # first, before Keras's built-ins


@pytest.mark.parametrize(
    "name, rows, first_line",
    [
        (
            "adamw",
            ["learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay_rate", "amsgrad"],
            "w <- w * (1 - eta * lambda)",
        ),
        ("lion", ["learning_rate", "beta_1", "beta_2", "weight_decay_rate"], "c = b1 * m"),
        ("adamax", ["learning_rate", "beta_1", "beta_2", "epsilon"], "m <- b1 * m"),
        ("adam", ["learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"], "m <- b1 * m"),
    ],
)
def test_each_form_shows_its_hyperparameters_defaults_and_equation(panel, name, rows, first_line):
    _choose(panel, name)
    info = catalog.optimizer_info(name)
    assert list(panel.optimizer_form.editors) == rows
    assert panel.optimizer_form.values() == info.defaults()
    assert panel.equation_label.text().startswith(first_line)


@pytest.mark.parametrize(
    "name, hyperparameters",
    [
        (
            "adamw",
            {
                "learning_rate": 0.003,
                "beta_1": 0.8,
                "beta_2": 0.99,
                "epsilon": 1e-6,
                "weight_decay_rate": 0.1,
                "amsgrad": True,
            },
        ),
        ("lion", {"learning_rate": 3e-4, "beta_1": 0.8, "beta_2": 0.95, "weight_decay_rate": 1.0}),
        ("adamax", {"learning_rate": 0.004, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6}),
        (
            "adam",
            {
                "learning_rate": 0.002,
                "beta_1": 0.8,
                "beta_2": 0.99,
                "epsilon": 1e-6,
                "amsgrad": True,
            },
        ),
    ],
)
def test_a_run_of_each_comes_back_from_the_form(panel, name, hyperparameters):
    config = RunConfig(dataset="moons", optimizer=name, hyperparameters=hyperparameters)
    fill_panel(panel, config)
    built = panel.build_config().validate()
    assert built.optimizer == name
    assert built.hyperparameters == pytest.approx(hyperparameters)
