"""Reading the lists a person types: `sgd, adam`, `0.1,0.01`, `full,1,32`.

What it is for: every list a user gives Descent, read one way and refused with one kind of
message: the command line's `compare --optimizers / --learning-rates / --losses /
--batch-sizes`, the Compare tab's boxes of learning rates and batch sizes, and the words for a
full batch that the run configuration and the compare plan accept. Plain Python (the standard
library and `trainers.errors`): the window can use it without loading TensorFlow.
"""

from __future__ import annotations

import math
import re

from trainers.errors import ConfigError

FULL_BATCH_WORDS = ("full", "batch", "all")
"""What a batch size of every training sample may be written as (batch gradient descent)."""
SEPARATORS = re.compile(r"[,;\s]+")
"""Between the entries of a list typed into a box: commas, semicolons or spaces."""


def is_full_batch(value) -> bool:
    """True for text that means "a batch of every training sample": full, batch or all."""
    return isinstance(value, str) and value.strip().lower() in FULL_BATCH_WORDS


def unique(values: list) -> list:
    """`values` without repeats, in the order first seen."""
    return list(dict.fromkeys(values))


def entries(text: str) -> list[str]:
    """The entries of a list typed into a box, separated by commas, semicolons or spaces."""
    return [part for part in SEPARATORS.split(text.strip()) if part]


def parse_learning_rates(text: str) -> list[float]:
    """Positive numbers separated by commas (or spaces), repeats dropped; ConfigError (a
    ValueError) naming a bad entry."""
    rates = []
    for part in entries(text):
        try:
            rate = float(part)
        except ValueError:
            raise ConfigError(
                f"Learning rates must be numbers separated by commas, like 0.1, 0.01. "
                f"{part!r} is not a number."
            ) from None
        if not (math.isfinite(rate) and rate > 0):
            raise ConfigError(f"A learning rate must be above 0. Received: {part}")
        rates.append(rate)
    return unique(rates)


def parse_batch_sizes(text: str) -> list[int | str]:
    """Whole numbers of samples, or `full`, separated by commas, repeats dropped; ConfigError
    (a ValueError) naming a bad entry."""
    sizes: list[int | str] = []
    for part in entries(text):
        if is_full_batch(part):
            sizes.append("full")
            continue
        try:
            size = float(part)
        except ValueError:
            size = math.nan
        if not (math.isfinite(size) and size == int(size) and size >= 1):
            raise ConfigError(
                f"Batch sizes must be whole numbers of samples (1 or more) or `full`, separated "
                f"by commas, like 1, 32, full. Received: {part!r}"
            )
        sizes.append(int(size))
    return unique(sizes)


def split_list(text: str | None) -> list[str] | None:
    """The comma-separated parts of `text`, stripped, empty ones dropped: `"a, b,,c"` ->
    `["a", "b", "c"]`. None stays None (nothing was given, e.g. an axis not compared)."""
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def float_list(flag: str, text: str | None) -> list[float] | None:
    """The numbers of a comma-separated list: `"0.1, 1e-3"` -> `[0.1, 0.001]`; None stays None.

    Args:
        flag: what the list was given as (`--learning-rates`, a field's label), named in the
            message when a part is not a number.
        text: the list as typed.

    Raises:
        ConfigError: a part is not a number; the message names `flag` and the text received.
    """
    values = split_list(text)
    if values is None:
        return None
    try:
        return [float(v) for v in values]
    except ValueError:
        raise ConfigError(f"{flag} takes numbers separated by commas. Received: {text!r}") from None
