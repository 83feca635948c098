"""Configs round-trip, defaults come from the catalog, and the registry finds every optimizer."""

import copy
import inspect

import keras
import pytest

from tests.trainers.optimizers import conformance
from tests.trainers.optimizers.records import record
from trainers import catalog, optimizers

NAMES = [info.name for info in catalog.OPTIMIZERS]


def test_registry_covers_the_catalog_in_order():
    assert list(optimizers.CLASSES) == NAMES
    assert optimizers.available() == list(catalog.OPTIMIZERS)
    for cls in optimizers.CLASSES.values():
        assert issubclass(cls, keras.optimizers.Optimizer)
        assert getattr(optimizers, cls.__name__) is cls


def test_get_returns_a_fresh_optimizer_each_time():
    first = optimizers.get("adam", beta_1=0.8)
    second = optimizers.get("adam", beta_1=0.8)
    assert isinstance(first, optimizers.Adam) and first is not second
    assert first.beta_1 == 0.8


def test_every_catalog_optimizer_has_a_test_record():
    for name in NAMES:
        assert record(name).cases, f"{name}: its record names no case to check the rule on"


@pytest.mark.parametrize("name", NAMES)
def test_defaults_come_from_the_catalog(name):
    conformance.check_defaults_from_catalog(name)


@pytest.mark.parametrize("name", NAMES)
def test_docstring_states_rule_reference_and_every_argument(name):
    doc = inspect.getdoc(optimizers.CLASSES[name])
    assert "```python" in doc and "Args:" in doc
    assert any(char.isdigit() for char in doc.split("Args:")[0])  # the paper's year
    for param in catalog.optimizer_info(name).params:
        assert f"{param.name}:" in doc


@pytest.mark.parametrize("name", NAMES)
def test_get_config_from_config_round_trip(name):
    conformance.check_config_round_trip(name)


@pytest.mark.parametrize("name", NAMES)
def test_keras_serialize_deserialize_round_trip(name):
    optimizer = optimizers.get(name, **record(name).non_default)
    serialized = keras.optimizers.serialize(optimizer)
    assert serialized["registered_name"] == f"descent>{type(optimizer).__name__}"

    restored = keras.optimizers.deserialize(copy.deepcopy(serialized))
    assert type(restored) is type(optimizer)
    assert restored.get_config() == optimizer.get_config()


@pytest.mark.parametrize("name", NAMES)
def test_learning_rate_schedule_round_trips(name):
    schedule = keras.optimizers.schedules.ExponentialDecay(
        0.1, decay_steps=10, decay_rate=0.5, staircase=True
    )
    optimizer = optimizers.get(name, learning_rate=schedule)
    config = optimizer.get_config()
    assert config["learning_rate"]["class_name"] == "ExponentialDecay"

    restored = type(optimizer).from_config(copy.deepcopy(config))
    assert isinstance(restored._learning_rate, keras.optimizers.schedules.ExponentialDecay)
    assert restored._learning_rate.get_config() == schedule.get_config()
    assert restored.get_config() == config


def test_schedule_sets_the_rate_of_each_step():
    # Steps 1-2 see iterations 0-1 (rate 0.1), steps 3-4 see 2-3 (rate 0.05): staircase halving.
    schedule = keras.optimizers.schedules.ExponentialDecay(
        0.1, decay_steps=2, decay_rate=0.5, staircase=True
    )
    optimizer = optimizers.SGD(learning_rate=schedule)
    variable = keras.Variable([1.0])
    optimizer.build([variable])
    for _ in range(4):
        optimizer.apply_gradients([(keras.ops.ones((1,)), variable)])
    # w = 1 - 0.1 - 0.1 - 0.05 - 0.05
    assert float(variable.numpy()[0]) == pytest.approx(0.7, abs=1e-6)
