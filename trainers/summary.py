"""The results of a comparison: one summary row per run, the CSV table, and the verdict.

Runs repeated over seeds (`trainers.plans.over_seeds`) are also summed up per group: the
median and spread of each figure over the group's seeds (`GroupSummary`, `group_summaries`).

Plain Python (no TensorFlow): the CLI's table, `summary.csv` and the Compare tab's table and
verdict are all made from the same `SummaryRow`s, so they say the same thing. The verdict is
domain logic, not display: which run did best (ties said as such), which reached the target
first, which failed; the window only styles it.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trainers import catalog
from trainers.config import RunConfig
from trainers.errors import TrainingError
from trainers.events import RunResult

# Weight of the newest step loss in the moving average that decides `step_to_target`.
TARGET_SMOOTHING = 0.1
TIE = 0.005  # final losses within 0.5% of the best are called a tie


def starting_rate(config: RunConfig) -> float:
    """The run's starting learning rate; NaN for one `validate()` would refuse (a label or a
    table still shows the run)."""
    try:
        return config.learning_rate()
    except (TypeError, ValueError):
        return float("nan")


@dataclass
class SummaryRow:
    """One run of a comparison, as the results table shows it.

    Losses and metrics are per-epoch values from the run's history (the untrained epoch 0 is
    not counted as "best"); None where the run produced none, NaN where it diverged.
    `wall_time_s` is the training time: from the first update to the end of the last epoch,
    validation included, data loading and compiling left out, so runs compare fairly.
    `step_to_target` is the first step at which the smoothed step loss reached the target; see
    `first_step_at_or_below`. `status` is the run's (completed, stopped, diverged, failed), or
    "skipped" for a run the comparison never started because it was stopped.
    """

    label: str
    optimizer: str
    learning_rate: float | None
    loss: str
    batch_size: int | str
    status: str
    epochs_done: int
    final_loss: float | None
    best_loss: float | None
    final_val_loss: float | None
    best_val_loss: float | None
    metric: str
    final_metric: float | None
    final_val_metric: float | None
    wall_time_s: float
    step_to_target: int | None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def first_step_at_or_below(
    steps: np.ndarray, losses: np.ndarray, target: float, weight: float = TARGET_SMOOTHING
) -> int | None:
    """The first step at which a moving average of the step loss is at or below `target`.

    The average starts at the first loss and then moves `weight` of the way to each new one:
    `avg <- (1 - weight) * avg + weight * loss`. Raw step losses of stochastic or mini-batch
    descent are noisy, so one lucky batch would "reach" a target long before the model does;
    the average needs about 1 / weight steps of low losses. It also lags a smooth curve (batch
    descent) by a few steps, the same for every run. None if it never gets there; a non-finite
    loss (divergence) ends the search.
    """
    average = None
    for step, loss in zip(np.asarray(steps).tolist(), np.asarray(losses).tolist(), strict=True):
        if not math.isfinite(loss):
            return None
        average = loss if average is None else (1.0 - weight) * average + weight * loss
        if average <= target:
            return int(step)
    return None


def summarize(label: str, result: RunResult, target_loss: float | None) -> SummaryRow:
    """The results-table row of one run of a comparison."""
    config, info, history = result.config, result.info, result.history
    metric = info.metric if info is not None else ""

    def final(key: str) -> float | None:
        values = history.get(key) or []
        return float(values[-1]) if values else None

    def best(key: str) -> float | None:
        values = [v for v in history.get(key) or [] if math.isfinite(v)]
        return float(min(values)) if values else None

    step = None
    if target_loss is not None:
        step = first_step_at_or_below(result.step_numbers, result.step_losses, target_loss)
    return SummaryRow(
        label=label,
        optimizer=config.optimizer,
        learning_rate=starting_rate(config),
        loss=info.loss if info is not None else (config.loss or ""),
        batch_size=config.batch_size,
        status=result.status,
        epochs_done=result.epochs_done,
        final_loss=final("loss"),
        best_loss=best("loss"),
        final_val_loss=final("val_loss"),
        best_val_loss=best("val_loss"),
        metric=metric,
        final_metric=final(metric) if metric else None,
        final_val_metric=final(f"val_{metric}") if metric else None,
        wall_time_s=float(result.epoch_times[-1]) if result.epoch_times else 0.0,
        step_to_target=step,
    )


def write_summary_csv(
    rows: list[SummaryRow],
    path: str | Path,
    groups: Sequence[GroupSummary] | None = None,
) -> None:
    """The results table as CSV: one row per run, the SummaryRow fields as columns.

    With `groups` of more than one seed each, the table gains columns `row` ("member" or
    "median"), `group` and `seed`, one row per group after its members whose figures are the
    medians over its seeds, and for each figure its spread: `<figure>_min`, `<figure>_max`
    (min-max) and `<figure>_p25`, `<figure>_p75` (interquartile range), plus `seeds` (members
    that trained) and `reached_target` ("2/3"). Numbers are written in full precision; None is
    an empty cell, a diverged loss "nan", a figure no seed reached "inf".
    """
    path = Path(path)
    columns = [f.name for f in dataclasses.fields(SummaryRow)]
    table: list[list[str]] = []
    if groups and any(len(g.members) > 1 for g in groups):
        spreads = [f"{name}_{part}" for name in SPREAD_FIGURES for part in SPREAD_PARTS]
        header = ["row", "group", "seed", *columns, "seeds", "reached_target", *spreads]
        for group in groups:
            for row, seed in zip(group.rows, group.seeds, strict=True):
                values = row.as_dict()
                cells = [_cell(values[c]) for c in columns]
                table.append(
                    ["member", group.label, str(seed), *cells, "", ""] + [""] * len(spreads)
                )
            median = group.median_row().as_dict()
            cells = [_cell(median[c]) for c in columns]
            for name in SPREAD_FIGURES:  # a figure no seed reached is "inf", not empty
                if group.figures[name].median == math.inf:
                    cells[columns.index(name)] = "inf"
            spread_cells = [
                _cell(getattr(group.figures[name], part))
                for name in SPREAD_FIGURES
                for part in SPREAD_PARTS
            ]
            reached = "" if group.reached is None else f"{group.reached}/{group.trained}"
            table.append(
                ["median", group.label, "", *cells, str(group.trained), reached, *spread_cells]
            )
    else:
        header = columns
        for row in rows:
            values = row.as_dict()
            table.append([_cell(values[c]) for c in columns])
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(table)
    except OSError as exc:
        raise TrainingError(
            f"Cannot write {path}: {exc.strerror or exc}. Choose a folder you can write to."
        ) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ======================================================================= over seeds
# The figures summed up over a group's seeds, and the parts of each figure's spread.
SPREAD_FIGURES = (
    "final_loss",
    "best_loss",
    "final_val_loss",
    "best_val_loss",
    "final_metric",
    "final_val_metric",
    "wall_time_s",
    "step_to_target",
)
SPREAD_PARTS = ("min", "max", "p25", "p75")


@dataclass(frozen=True)
class Spread:
    """One figure over the seeds of a group: the median, the range (`min`, `max`) and the
    interquartile range (`p25`, `p75`: numpy's linear percentiles); `count` seeds had it.
    All None when no seed had it. A seed that diverged or never reached the target counts
    as worse than every other (+inf; -inf for a metric where higher is better), so it moves
    the median rather than being dropped."""

    median: float | None = None
    min: float | None = None
    max: float | None = None
    p25: float | None = None
    p75: float | None = None
    count: int = 0


def spread(values: Sequence[float], higher_is_better: bool = False) -> Spread:
    """The median, min-max and interquartile range of `values` (non-finite: the worst)."""
    if not len(values):
        return Spread()
    sign = -1.0 if higher_is_better else 1.0
    data = sign * np.asarray(values, dtype=np.float64)
    data[~np.isfinite(data)] = np.inf
    finite = data[np.isfinite(data)]
    if len(finite) == len(data):
        stats = [np.median(data), np.min(data), np.max(data), *np.percentile(data, [25, 75])]
    else:
        # numpy interpolates inf - inf to NaN: stand in a number above every finite value,
        # and read any statistic above the largest finite one as inf (it leans on a miss).
        top = float(np.max(np.abs(finite))) if len(finite) else 0.0
        stand_in = 2.0 * top + 1.0
        filled = np.where(np.isfinite(data), data, stand_in)
        raw = [np.median(filled), np.min(filled), np.max(filled)]
        raw += list(np.percentile(filled, [25, 75]))
        highest = float(np.max(finite)) if len(finite) else -np.inf
        stats = [np.inf if value > highest else value for value in raw]
    median, low, high, p25, p75 = (sign * float(value) for value in stats)
    if higher_is_better:  # negated: the smallest of the negated values is the largest
        low, high, p25, p75 = high, low, p75, p25
    return Spread(median, low, high, p25, p75, len(data))


@dataclass(frozen=True)
class GroupSummary:
    """A run repeated over seeds: its members' rows, and each figure's spread over them.

    `rows` and `seeds` follow `members` (indices in the compare job). Members never trained
    (skipped) are left out of the figures; `trained` counts the others. `reached` is how many
    trained members reached the target loss (None without a target).
    """

    label: str
    members: tuple[int, ...]
    seeds: tuple[int, ...]
    rows: tuple[SummaryRow, ...]
    figures: dict[str, Spread]
    trained: int
    reached: int | None

    @property
    def status(self) -> str:
        """ "completed" when every seed did; else the count of each: "7 completed, 1 diverged"."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        if len(counts) == 1:
            return next(iter(counts))
        return ", ".join(f"{n} {status}" for status, n in counts.items())

    def median_row(self) -> SummaryRow:
        """The group as one SummaryRow of medians (its label the group's; a figure no seed
        reached is None), for a table or the verdict. Its status is the members' one when
        they agree, else "completed" if any completed (the median still ranks), else the
        first member's."""
        first = self.rows[0]
        statuses = [row.status for row in self.rows]
        status = (
            statuses[0]
            if len(set(statuses)) == 1
            else ("completed" if "completed" in statuses else statuses[0])
        )

        def median(name: str) -> float | None:
            value = self.figures[name].median
            return None if value is None or math.isinf(value) else value

        step = median("step_to_target")
        return dataclasses.replace(
            first,
            label=self.label,
            status=status,
            epochs_done=int(max((row.epochs_done for row in self.rows), default=0)),
            final_loss=median("final_loss"),
            best_loss=median("best_loss"),
            final_val_loss=median("final_val_loss"),
            best_val_loss=median("best_val_loss"),
            final_metric=median("final_metric"),
            final_val_metric=median("final_val_metric"),
            wall_time_s=median("wall_time_s") or 0.0,
            step_to_target=None if step is None else int(round(step)),
        )


def group_summaries(
    rows: Sequence[SummaryRow], groups: Sequence[Any], target_loss: float | None = None
) -> list[GroupSummary]:
    """One GroupSummary per group of `trainers.plans.SeededPlan.groups` (anything with
    `label`, `members` and `seeds`), from the job's rows, one per member in member order."""
    summaries = []
    for group in groups:
        members = tuple(rows[i] for i in group.members)
        trained = [row for row in members if row.status != "skipped"]
        figures = {}
        for name in SPREAD_FIGURES:
            higher = name in ("final_metric", "final_val_metric") and _higher_is_better(trained)
            if name == "step_to_target":  # a trained seed that never got there is a miss
                values = [
                    math.inf if r.step_to_target is None else r.step_to_target for r in trained
                ]
                values = values if target_loss is not None else []
            elif name == "wall_time_s":
                values = [r.wall_time_s for r in trained if r.epochs_done > 0]
            else:
                values = [getattr(r, name) for r in trained if getattr(r, name) is not None]
            figures[name] = spread(values, higher_is_better=higher)
        reached = None
        if target_loss is not None:
            reached = sum(r.step_to_target is not None for r in trained)
        summaries.append(
            GroupSummary(
                group.label,
                tuple(group.members),
                tuple(group.seeds),
                members,
                figures,
                len(trained),
                reached,
            )
        )
    return summaries


def _higher_is_better(rows: Sequence[SummaryRow]) -> bool:
    return any(row.metric == "accuracy" for row in rows)


@dataclass(frozen=True)
class Verdict:
    """A comparison's outcome in a few sentences: `best` (the headline, which the window shows
    in bold) followed by `then` (the others, best first), then the `notes`."""

    best: str = ""
    then: str = ""
    notes: tuple[str, ...] = ()

    def sentences(self) -> list[str]:
        """The verdict as plain sentences."""
        first = [f"{self.best}{self.then}."] if self.best else []
        return first + list(self.notes)


def and_list(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def verdict(
    rows: list[SummaryRow], *, validation: bool, target_loss: float | None = None
) -> Verdict:
    """Which run did best by its final loss (validation loss with `validation`), ties within
    `TIE` said as such; the winning optimizers' ideas when the runs differ by optimizer; which
    run first reached `target_loss`; which diverged or failed. Rows never trained (skipped) are
    left out."""
    done = [r for r in rows if r.status != "skipped"]
    if not done:
        return Verdict()
    key = "final_val_loss" if validation else "final_loss"
    what = "validation loss" if validation else "training loss"

    def value(row: SummaryRow) -> float | None:
        number = getattr(row, key)
        return number if number is not None and math.isfinite(number) else None

    ranked = sorted(
        (r for r in done if r.status in ("completed", "stopped") and value(r) is not None),
        key=value,
    )
    best = then = ""
    notes: list[str] = []
    if ranked:
        lowest = value(ranked[0])
        tied = [r for r in ranked if value(r) <= lowest + TIE * abs(lowest)]
        names = and_list([r.label for r in tied])
        if len(tied) == 1:
            best = f"Lowest final {what}: {names} ({lowest:.4g})"
        else:
            best = f"{names} tie for the lowest final {what} ({lowest:.4g})"
        others = ", ".join(f"{r.label} {value(r):.4g}" for r in ranked[len(tied) :])
        then = f"; then {others}" if others else ""
        notes.extend(_optimizer_notes(done, tied))
    if target_loss is not None:
        reached = [r for r in done if r.step_to_target is not None]
        if reached:
            step = min(r.step_to_target for r in reached)
            first = [r.label for r in reached if r.step_to_target == step]
            notes.append(f"First to loss {target_loss:g}: {and_list(first)}, at step {step}.")
        else:
            notes.append(f"No run reached loss {target_loss:g}.")
    bad = [r for r in done if r.status in ("diverged", "failed")]
    if bad:
        names = ", ".join(r.label for r in bad)
        statuses = " / ".join(sorted({r.status for r in bad}))
        notes.append(
            f"{names}: {statuses}; the status cell's tooltip says why (often a learning rate "
            "too high)."
        )
    return Verdict(best, then, tuple(notes))


def _optimizer_notes(rows: list[SummaryRow], winners: list[SummaryRow]) -> list[str]:
    """The winning optimizers' one-line ideas, when the runs differ by optimizer."""
    if len({r.optimizer for r in rows}) < 2:
        return []
    names = list(dict.fromkeys(r.optimizer for r in winners))
    if len(names) > 2:
        return []
    infos = [catalog.optimizer_info(name) for name in names]
    return [f"{info.display_name}: {info.summary}" for info in infos]


__all__ = [
    "GroupSummary",
    "Spread",
    "SummaryRow",
    "Verdict",
    "first_step_at_or_below",
    "group_summaries",
    "spread",
    "starting_rate",
    "summarize",
    "verdict",
    "write_summary_csv",
]
