"""RunConfig validation: every bad value names the setting, the value and what fits."""

import pytest

from trainers.config import RunConfig
from trainers.errors import ConfigError


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"epochs": 0}, ["epochs", "0"]),
        ({"epochs": 2.5}, ["epochs", "whole number"]),
        ({"batch_size": 0}, ["batch_size", "0"]),
        ({"batch_size": "many"}, ["batch_size", "many"]),
        ({"validation_split": 0.95}, ["validation_split", "0.95"]),
        ({"optimizer": "adabelief"}, ["adabelief", "adam"]),
        ({"loss": "hinge"}, ["hinge", "mse"]),
        ({"hyperparameters": {"learning_rate": -0.1}}, ["learning_rate", "-0.1"]),
        ({"hyperparameters": {"learning_rate": 0}}, ["learning_rate", "(0, inf)"]),
        ({"optimizer": "adam", "hyperparameters": {"beta_1": 1.0}}, ["beta_1", "[0, 1)"]),
        ({"optimizer": "sgd", "hyperparameters": {"momentum": 0.9}}, ["momentum", "Known"]),
        ({"hyperparameters": {"epsilon": 0}}, ["epsilon"]),
        ({"loss": "huber", "loss_options": {"delta": -1}}, ["delta", "-1"]),
        ({"loss_options": {"delta": 1}}, ["choose a loss"]),
        ({"hidden_layers": "32, x"}, ["x"]),
        ({"hidden_layers": (0,)}, ["units", "0"]),
        ({"activation": "swish!"}, ["swish!", "relu"]),
        ({"schedule": "linear"}, ["linear", "cosine"]),
        ({"schedule": "step", "schedule_options": {"factor": 2}}, ["factor", "2"]),
        ({"seed": -1}, ["seed", "-1"]),
        ({"dataset": "  "}, ["dataset"]),
    ],
)
def test_bad_values_are_refused_with_a_message_naming_them(changes, words):
    with pytest.raises(ConfigError) as info:
        RunConfig(**changes).validate()
    for word in words:
        assert word in str(info.value)


def test_normalizes_what_the_forms_and_flags_give():
    config = RunConfig(
        hidden_layers="32, 16",
        batch_size="FULL",
        epochs="5",
        hyperparameters={"learning_rate": "0.1"},
    ).validate()
    assert config.hidden_layers == (32, 16)
    assert config.batch_size == "full"
    assert config.epochs == 5
    assert config.hyperparameters == {"learning_rate": 0.1}


def test_round_trips_through_toml_and_json(tmp_path):
    config = RunConfig(
        dataset="digits",
        optimizer="rmsprop",
        hyperparameters={"rho": 0.8},
        loss="categorical_crossentropy",
        loss_options={"from_logits": True},
        hidden_layers=(64,),
        schedule="step",
        schedule_options={"every": 2, "factor": 0.5},
        seed=4,
    )
    for name, text in (("run.toml", config.to_toml()), ("run.json", config.to_json())):
        path = tmp_path / name
        path.write_text(text)
        assert RunConfig.from_file(path).validate() == config.validate()


def test_unreadable_config_files_give_a_config_error(tmp_path):
    bad = tmp_path / "run.toml"
    bad.write_text("epochs = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        RunConfig.from_file(bad)
    with pytest.raises(ConfigError, match="Cannot read"):
        RunConfig.from_file(tmp_path / "missing.toml")
    (tmp_path / "x.toml").write_text("optimiser = 'adam'")
    with pytest.raises(ConfigError, match="optimiser"):
        RunConfig.from_file(tmp_path / "x.toml")
