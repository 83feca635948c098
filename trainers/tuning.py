"""A fair benchmark of optimizers: its protocol and its statistics (issue 16).

The protocol follows the benchmarks of the field (DeepOBS, Choi et al. 2019, AlgoPerf): on
each problem every optimizer gets the same number of trials, chosen by the same rule within
its own search space (`trials`: a grid, or seeded quasi-random points); the best trial by one
criterion (`score`) is rerun over several seeds; results are compared as medians with
bootstrap intervals over those seeds, as time to a target (a miss is infinite), as a
performance profile over problems and as the expected best result of k trials.

Plain Python with numpy and scipy (no TensorFlow): the CLI and the window plan a benchmark,
and the report reads it, before the engine loads. `trainers.benchmark` trains it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trainers import catalog
from trainers.config import RunConfig
from trainers.errors import ConfigError

RULES = ("grid", "random")
# What picks the best trial: a figure of `trainers.summary.SummaryRow`, lower is better
# except for a metric that is an accuracy.
CRITERIA = ("final_val_loss", "best_val_loss", "final_loss", "best_loss", "final_val_metric")
CONFIDENCE = 0.95
RESAMPLES = 2000


@dataclass(frozen=True)
class Problem:
    """A dataset with its model and loss (`config`: everything but the optimizer, the
    hyperparameters and the seed), and the training loss that counts as solved (`target`)."""

    name: str
    config: RunConfig
    target: float | None = None


def _suite() -> dict[str, Problem]:
    small = RunConfig(hidden_layers=(16, 16), epochs=20, batch_size=32, validation_split=0.2)
    return {
        "moons": Problem("moons", dataclasses.replace(small, dataset="moons"), 0.15),
        "spirals": Problem("spirals", dataclasses.replace(small, dataset="spirals"), 0.45),
        "digits": Problem(
            "digits", dataclasses.replace(small, dataset="digits", hidden_layers=(64,)), 0.2
        ),
        "sine": Problem("sine", dataclasses.replace(small, dataset="sine"), 0.1),
    }


SUITE = _suite()
"""The built-in problems, small enough to tune in minutes: two binary ones of different
difficulty, a ten-class one and a regression. Targets are training losses (smoothed step
losses, `trainers.summary.first_step_at_or_below`) that a tuned optimizer reaches within the
20 epochs and an untuned one often does not."""


def problems(names: Sequence[str] | None) -> list[Problem]:
    """The suite's problems by name (all of them for None), or a ConfigError naming the
    unknown one and the known ones."""
    if names is None:
        return list(SUITE.values())
    found = []
    for name in names:
        if name not in SUITE:
            raise ConfigError(
                f"Unknown problem {name!r}. The suite has: {', '.join(SUITE)}; or give your "
                f"own data with --dataset."
            )
        found.append(SUITE[name])
    return found


# ================================================================================ the space
@dataclass(frozen=True)
class Axis:
    """One searched hyperparameter: a range (`low`..`high`, log-uniform where `log`) or a
    list of `values`."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    values: tuple[float, ...] = ()

    @property
    def is_range(self) -> bool:
        return not self.values

    def describe(self) -> str:
        if self.values:
            return f"{self.name} in {{{', '.join(f'{v:g}' for v in self.values)}}}"
        scale = "log-uniform" if self.log else "uniform"
        return f"{self.name} {scale} in [{self.low:g}, {self.high:g}]"


def default_space(optimizer: str) -> list[Axis]:
    """The learning rate over its catalog search range, log-uniform."""
    param = catalog.optimizer_info(optimizer).param("learning_rate")
    low, high = param.search
    return [Axis("learning_rate", low, high, log=True)]


def parse_axis(optimizer: str, text: str) -> Axis:
    """`text` as "NAME=LOW:HIGH" (a range) or "NAME=V1,V2,..." (values) for one of
    `optimizer`'s numeric hyperparameters, checked against its catalog range."""
    info = catalog.optimizer_info(optimizer)
    name, sep, spec = text.partition("=")
    name = name.strip()
    known = {p.name: p for p in info.params if p.kind in ("float", "int")}
    if not sep or name not in known:
        raise ConfigError(
            f"{info.display_name}: cannot search {text!r}. Give NAME=LOW:HIGH or "
            f"NAME=V1,V2 for one of: {', '.join(known)}."
        )
    param = known[name]
    try:
        if ":" in spec:
            low, high = (float(part) for part in spec.split(":"))
            param.check(low, info.display_name)
            param.check(high, info.display_name)
            if not low < high:
                raise ConfigError(f"{name}: the range's low end must be below its high end.")
            return Axis(name, low, high, log=param.log_scale)
        values = tuple(float(part) for part in spec.split(",") if part.strip())
        if not values:
            raise ValueError("no values")
        for value in values:
            param.check(value, info.display_name)
        return Axis(name, values=tuple(dict.fromkeys(values)))
    except ValueError as exc:
        raise ConfigError(
            f"{info.display_name}: cannot search {text!r} ({exc}). Give NAME=LOW:HIGH or "
            f"NAME=V1,V2 with numbers in {param.range_text()}."
        ) from None


def space(optimizer: str, extra: Sequence[Axis] = ()) -> list[Axis]:
    """The default space with `extra` axes added or replacing the default's of that name."""
    given = {axis.name: axis for axis in extra}
    axes = [given.pop(axis.name, axis) for axis in default_space(optimizer)]
    return axes + list(given.values())


def trials(axes: Sequence[Axis], budget: int, rule: str, seed: int) -> list[dict[str, float]]:
    """`budget` settings (at most; a grid may take fewer) within `axes`, by `rule`.

    "grid": the product of the value axes and, for the range axes, evenly spaced points
    (log-spaced for a log axis, both ends included), as many per range axis as the budget
    allows once the value axes are counted. "random": a scrambled Halton sequence of
    `budget` points (scipy.stats.qmc, seeded by `seed`), a range axis mapped uniformly (or
    log-uniformly), a value axis to its values in equal shares.
    """
    if rule not in RULES:
        raise ConfigError(f"Unknown search rule {rule!r}: use one of {', '.join(RULES)}.")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ConfigError(f"The trial budget must be a whole number of at least 1: {budget!r}.")
    if rule == "grid":
        listed = math.prod(len(axis.values) for axis in axes if not axis.is_range)
        ranges = [axis for axis in axes if axis.is_range]
        per_axis = int(math.floor((budget / listed) ** (1.0 / len(ranges)) + 1e-9)) if ranges else 1
        if listed > budget or per_axis < 1:
            raise ConfigError(
                f"A grid of {listed} listed values does not fit a budget of {budget} trials: "
                f"list fewer values or raise the budget."
            )
        columns = [
            _spaced(axis, per_axis) if axis.is_range else np.asarray(axis.values, dtype=float)
            for axis in axes
        ]
        return [
            {axis.name: float(value) for axis, value in zip(axes, point, strict=True)}
            for point in itertools.product(*columns)
        ]
    from scipy.stats import qmc

    unit = qmc.Halton(d=len(axes), scramble=True, seed=seed).random(budget)
    found = []
    for point in unit:
        setting = {}
        for axis, u in zip(axes, point, strict=True):
            if axis.is_range:
                lo, hi = (
                    (math.log(axis.low), math.log(axis.high)) if axis.log else (axis.low, axis.high)
                )
                value = lo + u * (hi - lo)
                setting[axis.name] = float(math.exp(value) if axis.log else value)
            else:
                setting[axis.name] = float(
                    axis.values[min(int(u * len(axis.values)), len(axis.values) - 1)]
                )
        found.append(setting)
    return found


def _spaced(axis: Axis, count: int) -> np.ndarray:
    if count == 1:
        middle = math.sqrt(axis.low * axis.high) if axis.log else (axis.low + axis.high) / 2
        return np.asarray([middle])
    if axis.log:
        return np.geomspace(axis.low, axis.high, count)
    return np.linspace(axis.low, axis.high, count)


# ============================================================================= the choice
def higher_is_better(criterion: str, metric: str) -> bool:
    return criterion.endswith("metric") and metric == "accuracy"


def score(row, criterion: str) -> float:
    """`row`'s figure `criterion` as a cost (lower is better): a run that diverged, failed or
    has no such figure costs infinity; an accuracy is negated."""
    value = getattr(row, criterion, None)
    if row.status not in ("completed",) or value is None or not math.isfinite(value):
        return math.inf
    return -float(value) if higher_is_better(criterion, row.metric) else float(value)


def best_index(rows: Sequence, criterion: str) -> int | None:
    """The position of the best row by `criterion` (the first of equals), None if every
    trial failed or diverged."""
    costs = [score(row, criterion) for row in rows]
    if not costs or not any(math.isfinite(c) for c in costs):
        return None
    return int(np.argmin(costs))


# ============================================================================= statistics
def median_interval(values: Sequence[float], seed: int = 0) -> tuple[float, float, float]:
    """The median of `values` and its 95% bootstrap percentile interval (scipy.stats.
    bootstrap, `RESAMPLES` resamples, seeded). A non-finite value counts as the worst
    (infinity); with one value the interval is that value."""
    data = np.asarray(values, dtype=np.float64)
    data = np.where(np.isfinite(data), data, np.inf)
    if data.size == 0:
        return (math.nan, math.nan, math.nan)
    median = float(np.median(data))
    if data.size == 1 or np.all(data == data[0]):
        return (median, median, median)
    if not np.all(np.isfinite(data)):
        low, high = _interval_with_misses(data, seed)
        return (median, low, high)
    from scipy.stats import bootstrap

    result = bootstrap(
        (data,),
        np.median,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return (median, float(result.confidence_interval.low), float(result.confidence_interval.high))


def _interval_with_misses(data: np.ndarray, seed: int) -> tuple[float, float]:
    """The percentile interval of the median with misses (inf) among the values: resampled
    by index, so infinity sorts last and never enters an average."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, data.size, size=(RESAMPLES, data.size))
    medians = np.sort(np.sort(data[picks], axis=1)[:, (data.size - 1) // 2])
    alpha = (1.0 - CONFIDENCE) / 2
    return (
        float(medians[int(math.floor(alpha * (RESAMPLES - 1)))]),
        float(medians[int(math.ceil((1 - alpha) * (RESAMPLES - 1)))]),
    )


def band(curves: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of `curves` (seeds x points): the median over seeds and its 95% bootstrap
    interval (scipy.stats.bootstrap along the seed axis, one call for every column)."""
    curves = np.asarray(curves, dtype=np.float64)
    median = np.median(curves, axis=0)
    if curves.shape[0] < 2 or not np.all(np.isfinite(curves)):
        return median, np.nanmin(curves, axis=0), np.nanmax(curves, axis=0)
    same = np.all(curves == curves[0], axis=0)
    if same.all():
        return median, median.copy(), median.copy()
    from scipy.stats import bootstrap

    result = bootstrap(
        (curves,),
        np.median,
        axis=0,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    low = np.where(same, median, result.confidence_interval.low)
    high = np.where(same, median, result.confidence_interval.high)
    return median, low, high


def overlap(a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
    """Whether two (median, low, high) intervals overlap: a difference within seed noise."""
    return a[1] <= b[2] and b[1] <= a[2]


def seconds_to_target(
    step: int | None, steps_per_epoch: int, epoch_times: Sequence[float]
) -> float:
    """Training seconds until step `step` (1-based), read off the cumulative training time at
    each epoch's end and spread evenly over the epoch's steps; infinity for a miss."""
    if step is None or not epoch_times or steps_per_epoch < 1:
        return math.inf
    epoch = (step - 1) // steps_per_epoch  # 0-based epoch that holds the step
    if epoch >= len(epoch_times):
        return math.inf
    start = epoch_times[epoch - 1] if epoch > 0 else 0.0
    done = (step - epoch * steps_per_epoch) / steps_per_epoch
    return float(start + done * (epoch_times[epoch] - start))


def performance_profile(
    costs: Mapping[str, Mapping[str, float]], taus: Sequence[float]
) -> dict[str, list[float]]:
    """Dolan-More performance profiles: for each optimizer, the fraction of problems on
    which its cost (`costs[problem][optimizer]`, lower is better, infinity a miss) is within
    a factor tau of the best optimizer's on that problem. A problem every optimizer missed
    counts as unsolved for all."""
    optimizers = sorted({name for row in costs.values() for name in row})
    found = {name: [] for name in optimizers}
    problems_ = list(costs)
    for tau in taus:
        for name in optimizers:
            solved = 0
            for problem in problems_:
                row = costs[problem]
                best = min(row.values())
                mine = row.get(name, math.inf)
                if math.isfinite(best) and math.isfinite(mine) and mine <= tau * best:
                    solved += 1
            found[name].append(solved / len(problems_) if problems_ else 0.0)
    return found


def expected_best_of_k(costs: Sequence[float], k: int) -> float:
    """The expected best (lowest) cost among k trials drawn without replacement from
    `costs`: exactly, from the order statistics (the i-th lowest of n is the best of a draw
    with probability C(n-i, k-1) / C(n, k)), rather than by resampling."""
    from scipy.special import comb

    values = np.sort(np.asarray(costs, dtype=np.float64))
    n = len(values)
    if not 1 <= k <= n:
        raise ValueError(f"k must be from 1 to {n}: {k}")
    weights = np.array([comb(n - i, k - 1, exact=True) for i in range(1, n + 1)], dtype=float)
    weights /= comb(n, k, exact=True)
    if np.isinf(values).any():
        finite = np.isfinite(values)
        if weights[~finite].sum() > 0:
            return math.inf
        return float(np.dot(weights[finite], values[finite]))
    return float(np.dot(weights, values))


__all__ = [
    "CRITERIA",
    "RULES",
    "SUITE",
    "Axis",
    "Problem",
    "band",
    "best_index",
    "default_space",
    "expected_best_of_k",
    "median_interval",
    "overlap",
    "parse_axis",
    "performance_profile",
    "problems",
    "score",
    "seconds_to_target",
    "space",
    "trials",
]
