"""The checks every optimizer of the catalog passes, written once.

The test files parametrize these over `trainers.catalog.OPTIMIZERS` and their test records
(`records.py`); the extension test runs them on an optimizer registered at run time, so a new
optimizer, built in or added later, meets exactly the same bar.
"""

from __future__ import annotations

import copy
import math

import keras
import numpy as np
import pytest

from tests.trainers.optimizers.records import record
from tests.trainers.optimizers.support import gradient_sequence, run_steps
from trainers import catalog, optimizers

STEPS = 64
W0 = np.array([[0.5, -1.0], [2.0, 0.0], [-0.3, 1.5]], dtype=np.float32)
RTOL, ATOL = 1e-5, 1e-6


def rule_paths(name: str, case_id: str, hyperparameters: dict, jit: bool):
    """(our float32 path, the float64 reference path) over STEPS gradients for one case."""
    grads = gradient_sequence(STEPS, W0.shape, seed=len(case_id))
    ours = run_steps(optimizers.get(name, **hyperparameters), W0, grads, jit=jit)
    reference = np.stack(record(name).rule(W0, grads, **hyperparameters))
    return ours, reference


def check_matches_rule(name: str, case_id: str, hyperparameters: dict, jit: bool) -> None:
    """Many steps agree with the NumPy reference of the published rule, to float32 precision."""
    ours, reference = rule_paths(name, case_id, hyperparameters, jit)
    # The weights must actually travel, or a do-nothing optimizer would pass.
    assert np.max(np.abs(reference[-1] - W0)) > 1e-2
    np.testing.assert_allclose(ours, reference, rtol=RTOL, atol=ATOL)


def check_config_round_trip(name: str) -> None:
    """`get_config` holds every hyperparameter and Keras's keywords; `from_config` rebuilds it."""
    non_default = record(name).non_default
    optimizer = optimizers.get(name, clipnorm=1.5, name=f"my_{name}", **non_default)
    config = optimizer.get_config()
    for key, value in non_default.items():
        assert config[key] == pytest.approx(value)
    assert config["clipnorm"] == 1.5 and config["name"] == f"my_{name}"
    restored = type(optimizer).from_config(copy.deepcopy(config))
    assert type(restored) is type(optimizer)
    assert restored.get_config() == config


def invalid_values(param: catalog.Param) -> list:
    """Values the catalog's range of `param` refuses: past each bound, and the wrong type."""
    if param.kind == "bool":
        return ["yes", 1]
    if param.kind == "choice":
        return ["no such choice"]
    values: list = ["fast", float("nan"), float("inf")]
    if param.low is not None:
        values += [param.low] if param.low_open else []
        values.append(param.low - 0.5)
    if param.high is not None:
        values += [param.high] if param.high_open else []
        values.append(param.high + 0.5)
    return values


def invalid_cases(name: str) -> list[tuple[str, object]]:
    """(argument, value) for every value out of range of every hyperparameter of `name`."""
    info = catalog.optimizer_info(name)
    return [(p.name, value) for p in info.params for value in invalid_values(p)]


def check_invalid_refused(name: str, argument: str, value) -> None:
    """A value out of range is refused, naming the class, the argument and the value."""
    cls = optimizers.CLASSES[name]
    with pytest.raises(ValueError) as error:
        cls(**{argument: value})
    message = str(error.value)
    assert f"`{argument}`" in message
    assert f"Received: {argument}={value!r}" in message
    assert message.startswith(cls.__name__)


def check_defaults_from_catalog(name: str) -> None:
    """The class's defaults are the catalog's, and Keras's base keywords pass through."""
    import inspect

    info = catalog.optimizer_info(name)
    cls = optimizers.CLASSES[name]
    signature = inspect.signature(cls.__init__).parameters
    config = cls().get_config()
    for param in info.params:
        assert signature[param.name].default == param.default
        assert config[param.name] == pytest.approx(param.default)
    assert "kwargs" in signature


def check_fit_lowers_the_loss(name: str, jit_compile: bool) -> None:
    """A real `model.fit` lowers the loss of a small linear regression."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(
        optimizer=optimizers.get(name, **record(name).fit),
        loss="mse",
        jit_compile=jit_compile,
    )
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, batch_size=16, epochs=8, shuffle=False, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert after < 0.9 * before, (before, after)
    assert int(model.optimizer.iterations.numpy()) == 8 * 4


def check_effective_rate(name: str) -> None:
    """`effective_learning_rate()` reads before `build`, after it, and traces under XLA."""
    import tensorflow as tf

    optimizer = optimizers.get(name)
    before = float(optimizer.effective_learning_rate())
    assert math.isfinite(before) and before > 0
    variable = keras.Variable(np.ones((2, 2), dtype=np.float32))
    optimizer.build([variable])
    # Before the first step the built state is the initial one: the same reading.
    assert float(optimizer.effective_learning_rate()) == pytest.approx(before, rel=1e-6)
    optimizer.apply_gradients([(tf.fill((2, 2), 0.3), variable)])
    read = tf.function(optimizer.effective_learning_rate, jit_compile=True)
    assert float(read()) == pytest.approx(float(optimizer.effective_learning_rate()), rel=1e-6)


def check_quick_plugin_checks(name: str) -> None:
    """The checks `main.py check-plugin` runs in its own process (`trainers.conformance`) pass:
    the same bar for a plugin's optimizer as for ours (the fresh-process ones are run end to
    end by tests/trainers/test_plugins.py)."""
    from trainers import conformance as engine

    def make():
        return optimizers.get(name)

    assert engine.config_round_trip(make, catalog.optimizer_info(name)) is None
    for check in (engine.one_step_finite, engine.traces_under_jit, engine.lowers_a_quadratic):
        assert check(make) is None, (check.__name__, check(make))
