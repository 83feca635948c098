"""Every use Descent makes of Keras's and TensorFlow's private internals, in one place.

Each function here touches something Keras 3.15 / TensorFlow 2.21 do not document: where a
model keeps its loss tracker and its compile settings, TensorFlow's gradient registry, a loss's
dtype policy, and setting an attribute past Keras's tracking. A Keras or TensorFlow upgrade may
move any of them; `problems()` lists what is no longer where it was, and
`tests/trainers/test_compat.py` fails with that list, so the upgrade is caught by `make test`
instead of by a user.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import keras

LOSS_TRACKER = "_loss_tracker"
COMPILE_CONFIG = "_compile_config"


def set_untracked(owner: Any, name: str, value: Any) -> None:
    """Set `owner.<name> = value` past Keras's attribute tracking.

    Keras tracks the variables, layers and metrics assigned to a model's, a layer's or an
    optimizer's attributes (they become its weights, its metrics, its saved state). Our probes
    hang helpers on Keras objects that must not be tracked: a size sink on the optimizer would
    be saved with its state, a second loss tracker would be listed twice in `model.metrics`.
    """
    object.__setattr__(owner, name, value)


def replace_loss_tracker(model: keras.Model, tracker: keras.metrics.Metric) -> None:
    """Make `tracker` the model's loss tracker (call after `model.compile`).

    Keras 3 keeps the running mean behind `logs["loss"]` in `model._loss_tracker`, a `Mean`
    named "loss" made by compile and updated by its train and test steps with each step's loss.
    """
    if not hasattr(model, LOSS_TRACKER):
        raise RuntimeError(_moved(f"keras.Model.{LOSS_TRACKER}"))
    set_untracked(model, LOSS_TRACKER, tracker)


def set_saved_compile_config(model: keras.Model, **settings: Any) -> None:
    """Record `settings` as the compile settings a saved `.keras` file holds.

    `model.save` writes `model._compile_config`, which compile fills with what it was given:
    metrics that are our per-step probes (not meant to be saved, nor to reload in plain Keras)
    among them. `settings` are compile's keywords (optimizer, loss, loss_weights, metrics,
    weighted_metrics, run_eagerly, steps_per_execution, jit_compile).
    """
    current = getattr(model, COMPILE_CONFIG, None)
    if current is None:
        raise RuntimeError(_moved(f"keras.Model.{COMPILE_CONFIG}"))
    model._compile_config = type(current)(**settings)


def dtype_policy_name(loss: keras.losses.Loss) -> str:
    """The name of the dtype policy a Keras loss computes in ("float32", ...)."""
    return loss._dtype_policy.name


def _gradient_registry() -> dict | None:
    """TensorFlow's process-wide map of gradient functions, or None where it has moved."""
    try:
        from tensorflow.python.framework import ops as tf_ops

        registry = tf_ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


@contextlib.contextmanager
def forget_traced_gradients() -> Iterator[None]:
    """Drop the gradient functions TensorFlow registered while the block ran, when it ends.

    Keras's TensorFlow optimizer sums gradients through a `tf.custom_gradient`, which registers
    a new gradient function in TensorFlow's process-wide registry each time a train step is
    traced and never removes it; the function's closure holds the traced step's graph. That was
    6-8 MB a run in one window session (bench/bench_memory.py). Once a run is over its train
    step is never traced again, so the entries added under `CustomGradient-*` names are
    dropped. Where the registry is not where it was, nothing is done.
    """
    registry = _gradient_registry()
    before = set(registry) if registry is not None else None
    try:
        yield
    finally:
        if before is not None:
            for name in [n for n in registry if n not in before]:
                if name.startswith("CustomGradient-"):
                    del registry[name]


def warm_up_train_function(model: keras.Model, dataset: Any, extra_state: Any = ()) -> None:
    """Trace and compile `model`'s train function on the first chunk of `dataset`, then undo it.

    `fit` traces its train function (and XLA compiles it) inside the first call, so that call
    took a second or more longer than the others and the first epoch's training time carried
    it. Here the function is made and called once before `fit`: Keras 3.15's TensorFlow
    trainer keeps it in `model.train_function`, and `fit` reuses it (`make_train_function`
    returns the one already made), from an iterator of the same type, so nothing is traced
    again. Every variable the chunk changed (the weights, the optimizer's slots and step count,
    the metrics, seed generators, `extra_state`) is then put back as it was, so the run
    trains exactly as if no chunk had been called.
    """
    strategy = model.distribute_strategy
    with strategy.scope():
        optimizer = model.optimizer  # None for a fused group: its members have their own
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        state = _train_state(model, extra_state)
        saved = [keras.ops.convert_to_numpy(v) for v in state]
        model.make_train_function()
        if model.train_function is None:
            raise RuntimeError(_moved("keras.Model.train_function (set by make_train_function)"))
        model.train_function(iter(strategy.experimental_distribute_dataset(dataset)))
        for variable, value in zip(state, saved, strict=True):
            variable.assign(value)


def time_train_function(
    model: keras.Model, dataset: Any, extra_state: Any = (), calls: int = 2
) -> float:
    """Seconds one call of `model`'s train function takes on the first chunk of `dataset`,
    the least of `calls` calls, traced first (`warm_up_train_function`) if it is not yet;
    every variable the calls changed is then put back, as the warm-up does."""
    if model.train_function is None:
        warm_up_train_function(model, dataset, extra_state)
    strategy = model.distribute_strategy
    with strategy.scope():
        state = _train_state(model, extra_state)
        saved = [keras.ops.convert_to_numpy(v) for v in state]
        best = float("inf")
        for _ in range(calls):
            chunk = iter(strategy.experimental_distribute_dataset(dataset))
            started = time.perf_counter()
            logs = model.train_function(chunk)
            keras.tree.map_structure(keras.ops.convert_to_numpy, logs)  # wait for the results
            best = min(best, time.perf_counter() - started)
        for variable, value in zip(state, saved, strict=True):
            variable.assign(value)
    return best


def _train_state(model: keras.Model, extra_state: Any) -> list:
    """Every variable a call of `model`'s train function may change: its weights, its
    optimizer's slots and step count, its metrics, seed generators, and `extra_state`."""
    optimizer = model.optimizer
    return _unique(
        [
            *model.variables,
            *(optimizer.variables if optimizer is not None else ()),
            *(v for metric in model.metrics for v in metric.variables),
            *extra_state,
        ]
    )


def schedule_free_average(optimizer, variables: list) -> list:
    """The averaged weights x of a schedule-free optimizer (Keras's ScheduleFreeAdamW), which
    it keeps implicitly: the model holds y = (1 - b1) z + b1 x and the optimizer z (its
    `_momentums`), so x = (y - (1 - b1) z) / b1. One array per variable, in their order."""
    beta_1 = float(optimizer.beta_1)
    out = []
    for variable in variables:
        z = optimizer._momentums[optimizer._get_variable_index(variable)]
        y = keras.ops.convert_to_numpy(variable)
        out.append((y - (1.0 - beta_1) * keras.ops.convert_to_numpy(z)) / beta_1)
    return out


def _unique(variables: list) -> list:
    seen: set[int] = set()
    kept = []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            kept.append(variable)
    return kept


def problems() -> list[str]:
    """What this module relies on and the installed Keras / TensorFlow no longer offer.

    Empty when everything is where Keras 3.15 and TensorFlow 2.21 keep it. Builds a tiny model
    to look, so it costs a second: the tests call it, the engine does not.
    """
    found = []
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    tracker = getattr(model, LOSS_TRACKER, None)
    if not isinstance(tracker, keras.metrics.Mean):
        found.append(_moved(f"keras.Model.{LOSS_TRACKER} (a keras.metrics.Mean)"))
    config = getattr(model, COMPILE_CONFIG, None)
    if config is None or not callable(type(config)):
        found.append(_moved(f"keras.Model.{COMPILE_CONFIG}"))
    else:
        try:
            type(config)(
                optimizer="sgd",
                loss="mse",
                loss_weights=None,
                metrics=None,
                weighted_metrics=None,
                run_eagerly=False,
                steps_per_execution=1,
                jit_compile=False,
            )
        except TypeError as exc:
            found.append(_moved(f"the keywords of keras.Model.{COMPILE_CONFIG} ({exc})"))
    try:
        dtype_policy_name(keras.losses.MeanSquaredError())
    except AttributeError:
        found.append(_moved("keras.losses.Loss._dtype_policy"))
    if _gradient_registry() is None:
        found.append(_moved("tensorflow.python.framework.ops._gradient_registry._registry"))
    averaging = keras.optimizers.ScheduleFreeAdamW()
    averaging.build(model.trainable_variables)
    try:
        schedule_free_average(averaging, model.trainable_variables)
    except (AttributeError, TypeError, ValueError):
        found.append(_moved("keras.optimizers.ScheduleFreeAdamW._momentums"))
    return found


def _moved(what: str) -> str:
    return (
        f"{what} is not where Keras {keras.__version__} was expected to keep it: "
        "update trainers/compat.py for this version of Keras / TensorFlow."
    )


__all__ = [
    "dtype_policy_name",
    "forget_traced_gradients",
    "problems",
    "replace_loss_tracker",
    "set_saved_compile_config",
    "set_untracked",
    "warm_up_train_function",
]
