"""A model whose last layer does not fit the loss and the data is refused before training.

Real `.keras` files in tmp_path, trained (or refused) by the real session, `main.py train`
and a run.toml, and a comparison that refuses before its first run."""

import dataclasses

import keras
import pytest

from tests.processes import run_main
from tests.trainers.listening import Heard
from trainers import models
from trainers.compare import CompareSession
from trainers.config import RunConfig
from trainers.errors import ConfigError
from trainers.events import Failed, Started, Steps
from trainers.session import TrainingSession

INPUTS = {"iris": 4, "moons": 2, "sine": 1}


def head(inputs: int, units: int, activation: str | None, *, trailing: str | None = None):
    """A small MLP on `inputs` features ending in `units` units with `activation`, or in a
    linear Dense layer followed by an Activation layer `trailing`."""
    keras.backend.clear_session()
    x = inp = keras.Input((inputs,))
    x = keras.layers.Dense(8, activation="relu")(x)
    x = keras.layers.Dense(units, activation=activation)(x)
    if trailing == "softmax":
        x = keras.layers.Softmax()(x)
    elif trailing is not None:
        x = keras.layers.Activation(trailing)(x)
    return keras.Model(inp, x)


def saved(tmp_path, dataset: str, units: int, activation: str | None, **kw) -> str:
    path = tmp_path / "model.keras"
    head(INPUTS[dataset], units, activation, **kw).save(path)
    return str(path)


def options(loss: str, from_logits: bool) -> dict:
    """The loss options: from_logits for the cross-entropies (the others have none)."""
    return {"from_logits": from_logits} if "crossentropy" in loss else {}


class Kept(Heard):
    def take(self, event):
        if isinstance(event, Started | Steps):
            self.events.append((type(event).__name__,))
        if isinstance(event, Failed):
            self.events.append(("Failed", event.message))


# (dataset, units, activation, trailing layer, loss, from_logits, words the message must hold)
MISFITS = [
    (
        "iris",
        1,
        "sigmoid",
        None,
        "sparse_categorical_crossentropy",
        False,
        ["model.keras ends in 1 unit with sigmoid", "needs 3 units (one per class)", "softmax"],
    ),
    (
        "moons",
        10,
        "softmax",
        None,
        "binary_crossentropy",
        False,
        ["ends in 10 units with softmax", "Binary cross-entropy needs 1 unit with sigmoid"],
    ),
    ("sine", 1, "sigmoid", None, "mse", False, ["1 unit with sigmoid", "regression", "linear"]),
    ("sine", 3, None, None, "mse", False, ["3 units", "regression", "1 unit"]),
    (
        "iris",
        10,
        "softmax",
        None,
        "sparse_categorical_crossentropy",
        False,
        ["10 units with softmax", "needs 3 units (one per class)"],
    ),
    (
        "moons",
        1,
        "sigmoid",
        None,
        "binary_crossentropy",
        True,
        ["with sigmoid", "from_logits=true", "Set from_logits=false"],
    ),
    (
        "iris",
        3,
        None,
        "softmax",
        "sparse_categorical_crossentropy",
        True,
        ["3 units with softmax", "from_logits=true", "Set from_logits=false"],
    ),
    (
        "moons",
        1,
        None,
        None,
        "binary_crossentropy",
        False,
        ["1 unit with no activation", "Set from_logits=true"],
    ),
    (
        "iris",
        3,
        None,
        None,
        "categorical_crossentropy",
        False,
        ["3 units with no activation", "Set from_logits=true"],
    ),
]


@pytest.mark.parametrize("dataset, units, activation, trailing, loss, logits, words", MISFITS)
def test_a_model_that_does_not_fit_is_refused_as_bad_input(
    tmp_path, dataset, units, activation, trailing, loss, logits, words
):
    path = saved(tmp_path, dataset, units, activation, trailing=trailing)
    config = RunConfig(
        dataset=dataset,
        model_path=path,
        loss=loss,
        loss_options=options(loss, logits),
        optimizer="sgd",
        epochs=2,
    )
    heard = Kept()
    with pytest.raises(ConfigError) as refused:
        TrainingSession(config, heard).run()
    message = str(refused.value)
    assert heard.events == [("Failed", message)]  # never started: no run, no step
    for word in words:
        assert word in message, message
    assert len(message) < 400


@pytest.mark.parametrize(
    "dataset, units, activation, trailing, loss, logits",
    [
        ("moons", 1, "sigmoid", None, "binary_crossentropy", False),
        ("moons", 1, None, None, "binary_crossentropy", True),
        ("moons", 2, "softmax", None, "sparse_categorical_crossentropy", False),
        ("iris", 3, None, "softmax", "sparse_categorical_crossentropy", False),
        ("iris", 3, None, None, "categorical_crossentropy", True),
        ("sine", 1, None, None, "huber", False),
    ],
)
def test_a_model_that_fits_still_trains(
    tmp_path, dataset, units, activation, trailing, loss, logits
):
    path = saved(tmp_path, dataset, units, activation, trailing=trailing)
    config = RunConfig(
        dataset=dataset, model_path=path, loss=loss, loss_options=options(loss, logits), epochs=1
    )
    result = TrainingSession(config).run()
    assert result.status == "completed", result.message
    assert len(result.step_losses) > 0


def test_the_check_reads_built_models_too():
    built = head(4, 3, "softmax")
    models.check_model_fits(built, "multiclass", "sparse_categorical_crossentropy", 3, False)
    with pytest.raises(ConfigError, match=r"^The model ends in 3 units with softmax"):
        models.check_model_fits(built, "multiclass", "sparse_categorical_crossentropy", 3, True)
    # A dropout after the output layer changes nothing about what the model outputs.
    inp = keras.Input((4,))
    out = keras.layers.Dropout(0.1)(keras.layers.Dense(1, activation="sigmoid")(inp))
    models.check_model_fits(keras.Model(inp, out), "binary", "binary_crossentropy", 2, False)


def test_main_py_train_refuses_the_model_with_the_message(tmp_path):
    path = saved(tmp_path, "iris", 1, "sigmoid")
    done = run_main(
        "train --dataset iris --loss sparse_categorical_crossentropy --epochs 2",
        "--model",
        path,
        "--runs-dir",
        tmp_path / "library",
        "--out",
        tmp_path / "out",
    )
    assert done.returncode == 2, done.stderr  # bad input, not a failed run
    assert "model.keras ends in 1 unit with sigmoid" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()  # nothing trained, nothing written


def test_a_run_toml_with_a_model_that_does_not_fit_is_refused(tmp_path):
    path = saved(tmp_path, "moons", 10, "softmax")
    config = RunConfig(dataset="moons", model_path=path, loss="binary_crossentropy", epochs=2)
    (tmp_path / "run.toml").write_text(config.to_toml(), encoding="utf-8")
    done = run_main(
        "train --config", tmp_path / "run.toml", "--runs-dir", tmp_path / "library", "--quiet"
    )
    assert done.returncode == 2, done.stderr
    assert "ends in 10 units with softmax" in done.stderr and "Traceback" not in done.stderr


def test_a_comparison_refuses_a_model_that_does_not_fit_before_any_run(tmp_path):
    path = saved(tmp_path, "moons", 10, "softmax")
    base = RunConfig(dataset="moons", model_path=path, loss="binary_crossentropy", epochs=1)
    heard = Kept()
    runs = [("SGD", dataclasses.replace(base, optimizer="sgd")), ("Adam", base)]
    session = CompareSession(runs, heard)
    with pytest.raises(ConfigError, match="Run 'SGD': model.keras ends in 10 units"):
        session.run()
    assert heard.events == []
