"""The one map from an optimizer's name to its class, read by the window and the CLI alike.

Names, hyperparameters and the class that implements each optimizer are described in
`trainers.catalog` (no TensorFlow needed to read them); `CLASSES` is a live view of it that
imports a class when it is first asked for. A new optimizer is one new file and one catalog
entry; one registered at run time (`trainers.catalog.register`) is found here too.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from trainers import catalog
from trainers.catalog import OptimizerInfo

CLASSES: Mapping[str, type[keras.optimizers.Optimizer]] = catalog.Implementations(
    catalog.OPTIMIZERS
)


def get(name: str, /, **hyperparameters) -> keras.optimizers.Optimizer:
    """A fresh optimizer `name` ("adam", "rmsprop", ...) built with `hyperparameters`.

    Hyperparameters left out take the catalog's defaults. Keras's base keywords pass through
    (`clipnorm`, `weight_decay`, and `name`, which is why `name` here is positional-only).
    Raises ValueError listing the known names for an unknown `name`, and naming the argument
    and the value received for an out-of-range one.
    """
    return catalog.optimizer_info(name).load()(**hyperparameters)


def available() -> list[OptimizerInfo]:
    """Every optimizer on offer, in display order, with its equation and hyperparameters."""
    return list(catalog.OPTIMIZERS)
