"""Out-of-range hyperparameters are refused with a message naming the argument and the value."""

import re

import keras
import pytest

from trainers import optimizers

INVALID = [
    ("sgd", "learning_rate", -0.1),
    ("sgd", "learning_rate", 0.0),
    ("sgd", "learning_rate", "fast"),
    ("momentum", "momentum", 1.0),
    ("momentum", "momentum", -0.1),
    ("momentum", "ewma", "yes"),
    ("momentum", "learning_rate", -1.0),
    ("nesterov", "momentum", 1.5),
    ("nesterov", "ewma", 1),
    ("adagrad", "initial_accumulator_value", -0.1),
    ("adagrad", "epsilon", 0.0),
    ("adagrad", "epsilon", -1e-7),
    ("adadelta", "rho", 1.0),
    ("adadelta", "rho", -0.5),
    ("adadelta", "epsilon", 0.0),
    ("rmsprop", "rho", 1.2),
    ("rmsprop", "epsilon", -1.0),
    ("rmsprop", "learning_rate", float("nan")),
    ("adam", "beta_1", 1.5),
    ("adam", "beta_1", -0.1),
    ("adam", "beta_2", 1.0),
    ("adam", "epsilon", 0.0),
    ("adam", "learning_rate", float("inf")),
]


@pytest.mark.parametrize(
    "name, argument, value", INVALID, ids=[f"{n}-{a}={v!r}" for n, a, v in INVALID]
)
def test_invalid_hyperparameter_is_refused(name, argument, value):
    cls = optimizers.CLASSES[name]
    with pytest.raises(ValueError) as error:
        cls(**{argument: value})
    message = str(error.value)
    assert f"`{argument}`" in message
    assert f"Received: {argument}={value!r}" in message
    assert message.startswith(cls.__name__)


@pytest.mark.parametrize("name", list(optimizers.CLASSES))
def test_schedule_or_callable_learning_rate_is_accepted(name):
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=5, decay_rate=1.0)
    assert optimizers.get(name, learning_rate=schedule)._learning_rate is schedule
    optimizers.get(name, learning_rate=lambda: 0.01)


def test_whole_number_learning_rate_is_accepted_as_float():
    # Keras's base class takes only a float; the catalog check converts 1 to 1.0 first.
    assert optimizers.Adadelta(learning_rate=1).get_config()["learning_rate"] == 1.0


def test_keras_base_keywords_pass_through_and_unknown_ones_are_refused():
    config = optimizers.Adam(clipvalue=0.5, weight_decay=0.01, name="a").get_config()
    assert (config["clipvalue"], config["weight_decay"], config["name"]) == (0.5, 0.01, "a")
    with pytest.raises(ValueError, match=re.escape("not recognized")):
        optimizers.Adam(beta_3=0.5)
