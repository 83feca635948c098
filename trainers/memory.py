"""Will the network fit in memory? An estimate made before anything is built.

For the default network (`trainers.models.build_model`: an optional small CNN, then dense
layers) the number of weights follows from the layer sizes alone. Training keeps, in float32,
the weights, their gradients and the optimizer's state (0 to 3 slots per weight), and for each
sample of a batch the activations of every layer, twice (the forward values the backward pass
needs, and their gradients). `check_fits` refuses a run whose estimate passes `SHARE` of the
memory available now, saying what the estimate is made of, before Keras allocates a byte.
Plain Python: no TensorFlow.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from trainers.errors import ConfigError

BYTES = 4  # float32
SHARE = 0.8
"""A run may take at most this share of the memory available when it starts."""
OPTIMIZER_SLOTS = {
    "sgd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "adadelta": 2,
    "adam": 2,
    "adamw": 2,
    "adamax": 2,
    "lion": 1,
}
"""State per weight of each optimizer (AMSGrad adds one); others (a plugin's, Keras's) count 2."""
CNN_FILTERS = (16, 32)  # as trainers.models.build_model


@dataclass(frozen=True)
class Estimate:
    """Bytes a run's training needs: weights, gradients, optimizer state, activations."""

    weights: int
    parameters: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def total(self) -> int:
        return self.parameters + self.gradients + self.optimizer_state + self.activations


def gigabytes(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def available_bytes() -> int | None:
    """Memory available now (Linux: MemAvailable; elsewhere the free physical pages), or
    None where it cannot be read (then nothing is refused)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def default_network(
    input_shape: tuple[int, ...], hidden: tuple[int, ...], outputs: int, cnn: bool
) -> tuple[int, int]:
    """(weights, activation values per sample) of the default network."""
    weights, per_sample = 0, 0
    if cnn:
        height, width, channels = input_shape
        for filters in CNN_FILTERS:
            weights += 9 * channels * filters + filters
            per_sample += height * width * filters
            height, width, channels = height // 2, width // 2, filters
            per_sample += height * width * filters
        width_in = height * width * channels
    else:
        width_in = math.prod(input_shape)
    per_sample += width_in
    for units in (*hidden, outputs):
        weights += width_in * units + units
        per_sample += units
        width_in = units
    return weights, per_sample


def estimate(
    optimizer: str, amsgrad: bool, weights: int, per_sample: int, batch: int, eval_batch: int
) -> Estimate:
    """What training takes for a network of `weights` and `per_sample` activations."""
    slots = OPTIMIZER_SLOTS.get(optimizer, 2) + (1 if amsgrad else 0)
    return Estimate(
        weights=weights,
        parameters=weights * BYTES,
        gradients=weights * BYTES,
        optimizer_state=weights * slots * BYTES,
        activations=2 * max(batch, eval_batch) * per_sample * BYTES,
    )


def check_fits(found: Estimate, available: int | None, what: str) -> None:
    """Refuse, with the estimate, a run that needs more than SHARE of `available` bytes."""
    if available is None or found.total <= SHARE * available:
        return
    raise ConfigError(
        f"{what} needs about {gigabytes(found.total)} to train: {found.weights:,} weights "
        f"({gigabytes(found.parameters)}, as much again for their gradients, "
        f"{gigabytes(found.optimizer_state)} of optimizer state) and "
        f"{gigabytes(found.activations)} of activations per batch, but this computer has "
        f"{gigabytes(available)} available. Use fewer or smaller hidden layers (or a smaller "
        "batch)."
    )
