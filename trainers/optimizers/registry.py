"""The one map from an optimizer's name to its class, read by the window and the CLI alike.

Names and hyperparameters are described in `trainers.catalog` (no TensorFlow needed to read
them); this module pairs each catalog entry with the Keras class that implements it. A new
optimizer is one new file, one catalog entry and one line in `CLASSES`.
"""

from __future__ import annotations

import keras

from trainers.catalog import OPTIMIZERS, OptimizerInfo, optimizer_info
from trainers.optimizers.adadelta import Adadelta
from trainers.optimizers.adagrad import Adagrad
from trainers.optimizers.adam import Adam
from trainers.optimizers.momentum import Momentum
from trainers.optimizers.nesterov import Nesterov
from trainers.optimizers.rmsprop import RMSprop
from trainers.optimizers.sgd import SGD

CLASSES: dict[str, type[keras.optimizers.Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def get(name: str, /, **hyperparameters) -> keras.optimizers.Optimizer:
    """A fresh optimizer `name` ("adam", "rmsprop", ...) built with `hyperparameters`.

    Hyperparameters left out take the catalog's defaults. Keras's base keywords pass through
    (`clipnorm`, `weight_decay`, and `name`, which is why `name` here is positional-only).
    Raises ValueError listing the known names for an unknown `name`, and naming the argument
    and the value received for an out-of-range one.
    """
    info = optimizer_info(name)
    return CLASSES[info.name](**hyperparameters)


def available() -> list[OptimizerInfo]:
    """Every optimizer on offer, in display order, with its equation and hyperparameters."""
    return list(OPTIMIZERS)
