"""The one map from a loss's catalog name to its Keras class, read by the GUI and the CLI."""

from __future__ import annotations

import keras

from trainers import catalog
from trainers.losses.base import BASE_KEYWORDS
from trainers.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
from trainers.losses.regression import (
    Huber,
    MeanAbsoluteError,
    MeanSquaredError,
    RootMeanSquaredError,
    SmoothL1,
)

CLASSES: dict[str, type[keras.losses.Loss]] = {
    "mse": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "rmse": RootMeanSquaredError,
    "smooth_l1": SmoothL1,
    "huber": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get(name: str, /, **options) -> keras.losses.Loss:
    """A new loss object for catalog name `name`, e.g. `get("huber", delta=2.0)`.

    `options` are the loss's catalog options plus Keras's `reduction`, `name` and `dtype` (the
    first argument is positional-only, so `name=` names the loss object).
    An unknown loss or option, or a value out of range, raises ValueError saying which.
    """
    info = catalog.loss_info(name)
    own = {k: v for k, v in options.items() if k not in BASE_KEYWORDS}
    catalog.check_all(info.params, own, owner=name)
    return CLASSES[name](**options)


def available() -> tuple[catalog.LossInfo, ...]:
    """Every loss as the catalog describes it: name, equation, tasks and options."""
    return catalog.LOSSES


def for_task(task: str) -> list[str]:
    """Names of the losses that fit `task`: "regression", "binary" or "multiclass"."""
    if task not in catalog.TASKS:
        raise ValueError(
            f"Unknown task {task!r}. Known: {', '.join(catalog.TASKS)}. Received: task={task!r}"
        )
    return [info.name for info in catalog.losses_for(task)]
