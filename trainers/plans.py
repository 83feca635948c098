"""Planning a comparison: the labelled runs that the values ticked for each axis make.

`plan()` turns a base RunConfig and the values given for each axis (optimizers, learning
rates, losses, batch sizes) into labelled runs; `gd_variants()` gives batch, stochastic and
mini-batch gradient descent; `over_seeds()` repeats each run over several seeds, as groups.
Plain Python (no TensorFlow): the window plans as the user ticks, before the engine has
loaded; `trainers.compare.CompareSession` trains the plan.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trainers import catalog
from trainers.config import RunConfig
from trainers.errors import ConfigError
from trainers.parsing import is_full_batch
from trainers.summary import starting_rate


def plan(
    base: RunConfig,
    *,
    optimizers: Sequence[str] | None = None,
    learning_rates: Sequence[float] | None = None,
    losses: Sequence[str] | None = None,
    batch_sizes: Sequence[int | str] | None = None,
) -> list[tuple[str, RunConfig]]:
    """The runs of a comparison: every combination of the values given, labelled.

    An axis left as None keeps the base's value. Repeated values are dropped. Optimizers vary
    slowest, then learning rates, losses and batch sizes. Every run keeps the base's seed.

    A learning rate given applies to each optimizer. With no learning rates given, a run keeps
    the base's explicit learning rate if it has one, else uses its optimizer's default. A run
    whose optimizer differs from the base's gets that optimizer's defaults for every other
    hyperparameter (the base's would not fit it); a run of the base's optimizer keeps the base's
    hyperparameters. Likewise a loss other than the base's starts with default loss options.

    Labels name the optimizer and its learning rate, then the loss and batch size when those
    axes are given: "Adam lr=0.01", "SGD lr=0.1 · batch full".
    Raises ConfigError for an empty axis, an unknown optimizer or loss, or a rate that is not a
    number; other bad values are reported by `CompareSession.run()` under the run's label.
    """
    optimizer_axis = _axis("optimizers", optimizers, _known(catalog.optimizer_info))
    rate_axis = _axis("learning rates", learning_rates, _rate)
    loss_axis = _axis("losses", losses, _known(catalog.loss_info))
    batch_axis = _axis("batch sizes", batch_sizes, _batch)

    runs = []
    for optimizer, rate, loss, batch in itertools.product(
        optimizer_axis or [base.optimizer],
        rate_axis or [None],
        loss_axis or [base.loss],
        batch_axis or [base.batch_size],
    ):
        config = _copy(base)
        if optimizer != base.optimizer:
            config.optimizer = optimizer
            keep = {"learning_rate"} & set(base.hyperparameters)
            config.hyperparameters = {k: base.hyperparameters[k] for k in keep}
        if rate is not None:
            config.hyperparameters["learning_rate"] = rate
        if loss != base.loss:
            config.loss, config.loss_options = loss, {}
        config.batch_size = batch

        parts = [f"{_display_name(config.optimizer)} lr={starting_rate(config):g}"]
        if loss_axis:
            parts.append(loss)
        if batch_axis:
            parts.append(f"batch {batch}")
        runs.append((" · ".join(parts), config))
    return _unique_labels(runs)


def gd_variants(base: RunConfig, minibatch: int = 32) -> list[tuple[str, RunConfig]]:
    """Batch, stochastic and mini-batch gradient descent on the base's problem.

    The three differ only in batch size: "full" (one update per epoch on every sample), 1 (one
    update per sample) and `minibatch`. They keep the base's optimizer and hyperparameters, so
    for the textbook variants the base's optimizer is "sgd".
    """
    if isinstance(minibatch, bool) or not isinstance(minibatch, int) or minibatch < 2:
        raise ConfigError(
            f"The mini-batch size must be a whole number of at least 2 (1 is stochastic "
            f"gradient descent). Received: minibatch={minibatch!r}"
        )
    variants = [
        ("Batch GD (full)", "full"),
        ("Stochastic GD (1)", 1),
        (f"Mini-batch GD ({minibatch})", minibatch),
    ]
    runs = []
    for label, batch in variants:
        config = _copy(base)
        config.batch_size = batch
        runs.append((label, config))
    return runs


MAX_SEEDS = 100


@dataclass(frozen=True)
class SeedGroup:
    """One run of a plan repeated over seeds: its own label, the members that repeat it (their
    indices in `SeededPlan.runs`) and each member's seed, in the same order."""

    label: str
    members: tuple[int, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class SeededPlan:
    """The runs of a comparison repeated over `seeds` seeds, and which run each repeats.

    `runs` is what `CompareSession` trains: the members of a group follow each other, group
    after group. `groups[g]` lists its members; `group_of(i)` is member i's group index.
    """

    runs: list[tuple[str, RunConfig]]
    groups: list[SeedGroup]
    seeds: int

    def group_of(self, member: int) -> int:
        """The index in `groups` of the group member `member` belongs to."""
        for index, group in enumerate(self.groups):
            if member in group.members:
                return index
        raise IndexError(f"No member {member} in a plan of {len(self.runs)} runs.")


def over_seeds(runs: Sequence[tuple[str, RunConfig]], seeds: int) -> SeededPlan:
    """Repeat each labelled run over `seeds` seeds: the spread a seed alone makes.

    Member i of a run has seed `run's seed + i` (i = 0 .. seeds - 1) and keeps the run's data
    seed (`config.data_seed_value`): the members of every group differ only in their initial
    weights, and all of them see the same data in the same order. Members are labelled
    "Adam lr=0.001 · seed 3". With `seeds=1` the runs come back unchanged, one group each.
    Raises ConfigError unless 1 <= seeds <= MAX_SEEDS.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise ConfigError(
            f"The number of seeds must be a whole number from 1 to {MAX_SEEDS}. "
            f"Received: seeds={seeds!r}"
        )
    members: list[tuple[str, RunConfig]] = []
    groups = []
    for label, config in runs:
        try:
            first = int(config.seed)
        except (TypeError, ValueError):
            raise ConfigError(
                f"Run {label!r}: the seed must be a whole number. Received: seed={config.seed!r}"
            ) from None
        if seeds == 1:
            groups.append(SeedGroup(label, (len(members),), (config.seed,)))
            members.append((label, config))
            continue
        indices, numbers = [], []
        for i in range(seeds):
            member = _copy(config)
            member.seed = first + i
            member.data_seed = config.data_seed_value
            indices.append(len(members))
            numbers.append(member.seed)
            members.append((f"{label} · seed {member.seed}", member))
        groups.append(SeedGroup(label, tuple(indices), tuple(numbers)))
    return SeededPlan(members, groups, seeds)


def _copy(config: RunConfig) -> RunConfig:
    """A copy whose option tables can be changed without touching the original."""
    copy = dataclasses.replace(config)
    for name in ("dataset_options", "loss_options", "hyperparameters", "schedule_options"):
        setattr(copy, name, dict(getattr(config, name)))
    return copy


def _axis(what: str, values: Iterable | None, normalize) -> list | None:
    if values is None:
        return None
    axis = []
    for value in values:
        value = normalize(value)
        if value not in axis:
            axis.append(value)
    if not axis:
        raise ConfigError(f"No {what} to compare: give at least one, or leave the axis out.")
    return axis


def _known(lookup):
    """A normalizer for an axis of catalog names: `lookup` (`catalog.optimizer_info`, ...)
    refuses an unknown one with the known names listed."""

    def name(value: Any) -> str:
        text = str(value).strip().lower()
        try:
            lookup(text)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return text

    return name


def _rate(value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"A learning rate must be a number. Received: {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"A learning rate must be a number. Received: {value!r}") from None


def _batch(value: Any) -> int | str:
    # Spell equal sizes one way ("32" and 32, "Full" and "full"), so repeats are dropped.
    if isinstance(value, str):
        if is_full_batch(value):
            return "full"
        text = value.strip()
        return int(text) if text.isdigit() else value
    return value


def _display_name(optimizer: str) -> str:
    return catalog.optimizer_info(optimizer).display_name


def _unique_labels(runs: list[tuple[str, RunConfig]]) -> list[tuple[str, RunConfig]]:
    """Number repeated labels (#2, #3 ...): they name folders and table rows."""
    seen: dict[str, int] = {}
    unique = []
    for label, config in runs:
        seen[label] = seen.get(label, 0) + 1
        unique.append((label if seen[label] == 1 else f"{label} #{seen[label]}", config))
    return unique


__all__ = ["MAX_SEEDS", "SeedGroup", "SeededPlan", "gd_variants", "over_seeds", "plan"]
