"""The one map from a loss's catalog name to its Keras class, read by the GUI and the CLI.

The classes are named by their catalog entries and imported when first asked for.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from trainers import catalog
from trainers.losses.base import BASE_KEYWORDS

CLASSES: Mapping[str, type[keras.losses.Loss]] = catalog.Implementations(catalog.LOSSES)
"""`name -> class` for every loss in the catalog (a live view: registered ones included)."""


def get(name: str, /, **options) -> keras.losses.Loss:
    """A new loss object for catalog name `name`, e.g. `get("huber", delta=2.0)`.

    `options` are the loss's catalog options plus Keras's `reduction`, `name` and `dtype` (the
    first argument is positional-only, so `name=` names the loss object).
    An unknown loss or option, or a value out of range, raises ValueError saying which.
    """
    info = catalog.loss_info(name)
    own = {k: v for k, v in options.items() if k not in BASE_KEYWORDS}
    catalog.check_all(info.params, own, owner=name)
    return info.load()(**options)


def available() -> list[catalog.LossInfo]:
    """Every loss as the catalog describes it: name, equation, tasks and options (the
    catalog's own list, registered losses included)."""
    return catalog.LOSSES


def for_task(task: str) -> list[str]:
    """Names of the losses that fit `task`: "regression", "binary" or "multiclass"."""
    if task not in catalog.TASKS:
        raise ValueError(
            f"Unknown task {task!r}. Known: {', '.join(catalog.TASKS)}. Received: task={task!r}"
        )
    return [info.name for info in catalog.losses_for(task)]
