"""Out-of-range hyperparameters are refused with a message naming the argument and the value."""

import re

import keras
import pytest

from tests.trainers.optimizers import conformance
from trainers import catalog, optimizers

# Every value out of range of every catalog hyperparameter: past each bound, and wrong types.
INVALID = [
    (info.name, argument, value)
    for info in catalog.OPTIMIZERS
    for argument, value in conformance.invalid_cases(info.name)
]


@pytest.mark.parametrize(
    "name, argument, value", INVALID, ids=[f"{n}-{a}={v!r}" for n, a, v in INVALID]
)
def test_invalid_hyperparameter_is_refused(name, argument, value):
    conformance.check_invalid_refused(name, argument, value)


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
