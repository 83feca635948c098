"""`fill_panel` puts a RunConfig into the real side panel so that the panel gives it back:
File > Open configuration and the Runs tab's Load settings and Rerun all rely on it."""

import pytest

from gui.training import SidePanel
from gui.training.fill import fill_panel
from trainers.config import RunConfig
from trainers.errors import ConfigError


@pytest.fixture
def panel(qtbot, settings):
    widget = SidePanel(settings)
    qtbot.addWidget(widget)
    widget.show()  # the target column is offered only on screen
    return widget


CONFIGS = [
    RunConfig(
        dataset="iris",
        loss="categorical_crossentropy",
        loss_options={"from_logits": True},
        optimizer="rmsprop",
        hyperparameters={"learning_rate": 0.003, "rho": 0.8, "epsilon": 1e-6},
        epochs=7,
        batch_size=16,
        schedule="cosine",
        seed=42,
        validation_split=0.3,
        hidden_layers=(12, 6),
        activation="tanh",
    ),
    RunConfig(
        dataset="moons",
        dataset_options={"samples": 300, "noise": 0.35},
        loss="binary_crossentropy",
        loss_options={"from_logits": False},
        optimizer="sgd",
        hyperparameters={"learning_rate": 0.05},
        batch_size="full",
    ),
    RunConfig(
        dataset="diabetes",
        loss="huber",
        loss_options={"delta": 2.0},
        optimizer="momentum",
        hyperparameters={"learning_rate": 0.02, "momentum": 0.8, "ewma": False},
        batch_size=1,
        epochs=3,
    ),
]
"""Every setting given, as the window records them (a partial config is filled with the
defaults the form shows, which is the same run)."""


@pytest.mark.parametrize("config", CONFIGS, ids=["iris", "moons-full", "diabetes-sgd1"])
def test_the_panel_gives_back_the_config_it_was_filled_with(panel, config):
    assert panel.build_config().validate() != config.validate()  # something to change
    assert fill_panel(panel, config) == []
    assert panel.build_config().validate() == config.validate()


def test_a_file_dataset_and_its_loss_are_filled_before_the_engine_knows_the_task(panel, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("size,rooms,price\n50,2,100\n70,3,140\n90,4,185\n" * 4)
    config = RunConfig(dataset=str(path), target="size", loss="mae", optimizer="adam")
    fill_panel(panel, config)
    built = panel.build_config()
    assert (built.dataset, built.target, built.loss) == (str(path), "size", "mae")


def test_settings_the_form_cannot_hold_are_named(panel):
    config = RunConfig(
        schedule="step", schedule_options={"factor": 0.5}, jit_compile=True, time_budget_s=30
    )
    notes = fill_panel(panel, config)
    assert any("factor = 0.5" in note for note in notes)
    assert any("jit_compile" in note for note in notes)
    assert any("time_budget_s = 30" in note for note in notes)


def test_a_bad_config_or_a_missing_file_leaves_the_panel_as_it_was(panel, tmp_path):
    before = panel.build_config()
    with pytest.raises(ConfigError, match="Unknown optimizer"):
        fill_panel(panel, RunConfig(optimizer="adamw2", epochs=9))
    with pytest.raises(ConfigError, match="not there any more"):
        fill_panel(panel, RunConfig(dataset=str(tmp_path / "gone.csv"), epochs=9))
    assert panel.build_config() == before


def test_a_csv_files_choices_are_filled_too(panel, tmp_path):
    path = tmp_path / "houses.csv"
    path.write_text(
        "id,colour,size,price\n"
        + "".join(f"{i},{'red' if i % 2 else 'blue'},{50 + i},{100 + 3 * i}\n" for i in range(12))
    )
    options = {"exclude": ["id"], "text_columns": "refuse", "missing": "drop"}
    config = RunConfig(dataset=str(path), target="price", dataset_options=options)
    fill_panel(panel, config)
    built = panel.build_config().validate()
    assert built.target == "price"
    assert {k: built.dataset_options.get(k) for k in options} == options
