"""The learning-rate range test (Smith 2017, "Cyclical Learning Rates"; fastai's `lr_find`).

From a run's model and optimizer, train a short run whose learning rate grows exponentially,
one batch per step, and watch the loss: it stays flat while the rate is too small, falls once
the rate starts to matter, and blows up once the rate is too large. The definitions (the rates,
the debiased smoothing, the stop rule and the three suggestion rules) are in
`../shared/EQUATIONS.md`, "Instruments". Afterwards every weight and every optimizer variable
(slots, step count, the rate itself) is put back exactly as it was.

Several seeds (the same data order, each seed's own initial weights) train together in one
compiled step (`trainers.fused.FusedModel`), each exactly as if alone, so the curve comes with
a band over seeds at about the cost of one.

The rules and the curve's arithmetic need numpy and scipy only, so the CLI's parser and the
window read this module's settings without Keras; the engine's functions import it.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from trainers.config import RunConfig
from trainers.control import JobControl
from trainers.errors import ConfigError

ETA_MIN = 1e-7
ETA_MAX = 10.0
STEPS = 200
MIN_STEPS, MAX_STEPS = 20, 2000
BETA = 0.98
"""The smoothing factor of the loss's moving average."""
STOP_FACTOR = 4.0
"""The test stops once the smoothed loss exceeds this many times its best so far."""
SKIP = 0.1
"""The share of first steps the steepest-descent rule skips (the smoothing's start)."""
RULES = ("steepest", "minimum/10", "valley")
RULE_TEXT = {
    "steepest": "steepest fall of the smoothed loss against log rate",
    "minimum/10": "the rate of the smallest smoothed loss, divided by 10",
    "valley": "the middle of the longest stretch over which the smoothed loss keeps falling",
}


def rates(eta_min: float = ETA_MIN, eta_max: float = ETA_MAX, steps: int = STEPS) -> np.ndarray:
    """eta_i = eta_min * (eta_max / eta_min) ** (i / (steps - 1)), i = 0 .. steps - 1."""
    check_range(eta_min, eta_max, steps)
    return eta_min * (eta_max / eta_min) ** (np.arange(steps) / (steps - 1))


def check_range(eta_min: float, eta_max: float, steps: int) -> None:
    """ConfigError naming what is wrong with a range test's rates or step count."""
    if not (math.isfinite(eta_min) and math.isfinite(eta_max)) or eta_min <= 0:
        raise ConfigError(
            f"The range test's rates must be positive numbers (got {eta_min:g} to "
            f"{eta_max:g}): try 1e-7 to 10."
        )
    if eta_max <= eta_min:
        raise ConfigError(
            f"The range test's highest rate ({eta_max:g}) must be above its lowest "
            f"({eta_min:g}): try 1e-7 to 10."
        )
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise ConfigError(
            f"The range test takes {MIN_STEPS} to {MAX_STEPS} steps (got {steps}): "
            f"{STEPS} is usual."
        )


def smooth(losses, beta: float = BETA) -> np.ndarray:
    """s_i = beta * s_(i-1) + (1 - beta) * L_i from s_(-1) = 0, debiased: s_i / (1 - beta^(i+1))."""
    from scipy import signal

    losses = np.asarray(losses, dtype=np.float64)
    averaged = signal.lfilter([1.0 - beta], [1.0, -beta], losses)
    return averaged / (1.0 - beta ** np.arange(1, len(losses) + 1))


def stop_index(losses, beta: float = BETA, factor: float = STOP_FACTOR) -> int | None:
    """The first step at which the test stops (its loss not finite, or its smoothed loss above
    `factor` times the smallest so far), or None if it never does. That step is the last one
    recorded: the curve shows where it stopped."""
    losses = np.asarray(losses, dtype=np.float64)
    bad = ~np.isfinite(losses)
    first_bad = int(np.argmax(bad)) if bad.any() else len(losses)
    smoothed = smooth(losses[:first_bad], beta)
    over = smoothed > factor * np.minimum.accumulate(smoothed)
    if over.any():
        return int(np.argmax(over))
    return first_bad if first_bad < len(losses) else None


def suggestions(rates_run, smoothed) -> dict[str, float | None]:
    """Each rule's suggested rate (`RULES`; None where a curve is too short for it)."""
    rates_run = np.asarray(rates_run, dtype=np.float64)
    smoothed = np.asarray(smoothed, dtype=np.float64)
    finite = np.isfinite(smoothed)
    rates_run, smoothed = rates_run[finite], smoothed[finite]
    found: dict[str, float | None] = dict.fromkeys(RULES)
    if len(smoothed) < 3:
        return found
    skip = int(SKIP * len(smoothed))
    slope = np.gradient(smoothed, np.log(rates_run))
    if len(smoothed) - skip >= 2:
        found["steepest"] = float(rates_run[skip + int(np.argmin(slope[skip:]))])
    found["minimum/10"] = float(rates_run[int(np.argmin(smoothed))] / 10.0)
    falling = np.diff(smoothed) < 0  # falling[i]: s[i + 1] < s[i]
    best_start, best_length, start = 0, 0, None
    for i, down in enumerate([*falling, False]):
        if down and start is None:
            start = i
        elif not down and start is not None:
            if i - start > best_length:
                best_start, best_length = start, i - start
            start = None
    if best_length > 0:
        # The stretch runs from point best_start to point best_start + best_length.
        found["valley"] = float(rates_run[best_start + best_length // 2])
    return found


@dataclasses.dataclass
class RangeCurve:
    """One seed's range test: the rates and losses of the steps it ran (the last one where it
    stopped), the debiased smoothed loss, why it ended and each rule's suggestion."""

    seed: int
    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    ended: str  # "diverged", "exploded" (smoothed loss over 4x its best), "completed", "stopped"
    suggestions: dict[str, float | None]


@dataclasses.dataclass
class RangeTest:
    """A range test over seeds: each seed's curve, the band over them and the suggestions."""

    config: RunConfig
    curves: list[RangeCurve]
    seconds: float = 0.0

    @property
    def seeds(self) -> list[int]:
        return [curve.seed for curve in self.curves]

    def band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rates, median, low, high) of the smoothed loss over seeds, at each step where
        every seed's is a number (a diverged seed's last step has none)."""
        shortest = min(int(np.isfinite(curve.smoothed).sum()) for curve in self.curves)
        stack = np.stack([curve.smoothed[:shortest] for curve in self.curves])
        return (
            self.curves[0].rates[:shortest],
            np.median(stack, axis=0),
            stack.min(axis=0),
            stack.max(axis=0),
        )

    def suggested(self) -> dict[str, float | None]:
        """Each rule's suggestion, on the median smoothed curve over seeds."""
        xs, median, _low, _high = self.band()
        return suggestions(xs, median)


def _step_batches(x: np.ndarray, y: np.ndarray, batch: int, seed: int, steps: int):
    """A dataset of `steps` full batches in the run's own epoch order (`build.epoch_order`),
    epoch after epoch; an epoch's last, short batch is left out, so every step sees `batch`
    samples."""
    import tensorflow as tf

    from trainers import build

    n = len(x)
    per_epoch = max(1, n // batch)
    batch = min(batch, n)
    rows = []
    epoch = 0
    while len(rows) < steps:
        order = build.epoch_order(n, seed, epoch).numpy()
        rows += [order[i * batch : (i + 1) * batch] for i in range(per_epoch)]
        epoch += 1
    indices = tf.constant(np.stack(rows[:steps]))
    xs, ys = tf.constant(x), tf.constant(y)
    data = tf.data.Dataset.from_tensor_slices(indices)
    data = data.map(lambda i: (tf.gather(xs, i), tf.gather(ys, i))).prefetch(2)
    return data.with_options(build.steady_pipeline())


def snapshot(models: list) -> list[tuple[object, np.ndarray]]:
    """(variable, value) for every weight and optimizer variable of `models`."""
    import keras

    from trainers import compat

    saved = []
    for model in models:
        for variable in compat._unique([*model.variables, *model.optimizer.variables]):
            saved.append((variable, keras.ops.convert_to_numpy(variable).copy()))
    return saved


def restore(saved: list[tuple[object, np.ndarray]]) -> None:
    for variable, value in saved:
        variable.assign(value)


def checksum(model) -> str:
    """A digest of every weight and optimizer variable of `model` (for tests and the CLI)."""
    import hashlib

    import keras

    from trainers import compat

    digest = hashlib.sha256()
    for variable in compat._unique([*model.variables, *model.optimizer.variables]):
        digest.update(variable.path.encode())
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(variable)).tobytes())
    return digest.hexdigest()


def range_test_models(
    models: list,
    recorders: list,
    dataset,
    schedule: np.ndarray,
    *,
    seeds: list[int],
    control: JobControl | None = None,
    on_step=None,
    stop_factor: float = STOP_FACTOR,
) -> list[RangeCurve]:
    """Run the range test on compiled `models` (one step per call, `schedule` their rates),
    trained together in one compiled step; put every weight and optimizer variable back after.

    `recorders` are the models' `StepLossRecorder`s (each step's loss, the one its gradients
    were taken of). `on_step(step, losses)`, if given, is called after each step with the
    losses so far (steps x models, NaN once a model has stopped). A model stops once its
    smoothed loss exceeds `stop_factor` times its best, or its loss is not a number."""
    import keras

    from trainers.fused import FusedModel

    control = control or JobControl()
    saved = snapshot(models)
    fused = FusedModel(models, recorders)
    fused.compile(optimizer=None, steps_per_execution=1, jit_compile=False)
    losses = np.full((len(schedule), len(models)), np.nan)
    lengths = np.zeros(len(models), dtype=int)  # the steps each model has run
    ended = ["completed"] * len(models)
    running = np.ones(len(models), dtype=bool)
    try:
        strategy = fused.distribute_strategy
        with strategy.scope():
            fused.make_train_function()
            iterator = iter(strategy.experimental_distribute_dataset(dataset))
            for step, rate in enumerate(schedule):
                if control.stop_requested:
                    ended = ["stopped" if r else e for r, e in zip(running, ended, strict=True)]
                    break
                for model in models:
                    model.optimizer.learning_rate.assign(rate)
                fused.train_function(iterator)
                for index, recorder in enumerate(recorders):
                    if running[index]:
                        losses[step, index] = float(keras.ops.convert_to_numpy(recorder.latest))
                        lengths[index] = step + 1
                for index in np.flatnonzero(running):
                    column = losses[: step + 1, index]
                    at = stop_index(column, factor=stop_factor)
                    if at is not None:
                        running[index] = False
                        ended[index] = "diverged" if not np.isfinite(column[at]) else "exploded"
                if on_step is not None:
                    on_step(step, losses[: step + 1])
                if not running.any():
                    break
    finally:
        restore(saved)  # the rate is one of the optimizer's variables: it is put back too
    curves = []
    for index, seed in enumerate(seeds):
        length = int(lengths[index])  # its last step is the one it stopped at, NaN or not
        column = losses[:length, index]
        finite = np.isfinite(column)
        smoothed = np.full(length, np.nan)
        upto = int(np.argmin(finite)) if not finite.all() else length
        smoothed[:upto] = smooth(column[:upto])
        curves.append(
            RangeCurve(
                seed=seed,
                rates=np.asarray(schedule[:length], dtype=np.float64),
                losses=column,
                smoothed=smoothed,
                ended=ended[index],
                suggestions=suggestions(schedule[:upto], smoothed[:upto]),
            )
        )
    return curves


def run_range_test(
    config: RunConfig,
    *,
    eta_min: float = ETA_MIN,
    eta_max: float = ETA_MAX,
    steps: int = STEPS,
    seeds: list[int] | None = None,
    control: JobControl | None = None,
    on_step=None,
    stop_factor: float = STOP_FACTOR,
) -> RangeTest:
    """The range test of `config`'s model and optimizer, built as `config`'s run would start
    (its initial weights, for each of `seeds`, default the run's own seed), over `steps` steps
    from `eta_min` to `eta_max`. The rate schedule replaces the run's (a schedule of the run's
    own applies to the rate found)."""
    import keras

    from trainers import build
    from trainers.session import build_member, on_main_thread

    check_range(eta_min, eta_max, steps)
    seeds = list(seeds) if seeds else [config.seed]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"The range test's seeds repeat ({seeds}): give each seed once.")
    config = config.validate()
    data = build.load_dataset(config)
    loss_name = build.check_run(config, data)
    keras.backend.clear_session(free_memory=on_main_thread())
    # Every seed sees the data of the run's own data seed, in the same order.
    constant = dataclasses.replace(
        config, schedule="constant", schedule_options={}, data_seed=config.data_seed_value
    )
    members = [
        build_member(
            dataclasses.replace(constant, seed=seed), data, loss_name, steps_per_execution=1
        )
        for seed in seeds
    ]
    for member in members:
        member.model.optimizer.build(member.model.trainable_variables)
    first = members[0]
    dataset = _step_batches(data.x_train, first.y_train, first.batch, config.data_seed_value, steps)
    started = time.perf_counter()
    curves = range_test_models(
        [m.model for m in members],
        [m.recorder for m in members],
        dataset,
        rates(eta_min, eta_max, steps),
        seeds=seeds,
        control=control,
        on_step=on_step,
        stop_factor=stop_factor,
    )
    return RangeTest(config=config, curves=curves, seconds=time.perf_counter() - started)


def figure(test: RangeTest, name: str = "range_test"):
    """The range test as a `trainers.report.Figure`: the median smoothed loss over seeds
    (its band from the lowest to the highest seed) against the rate, log scale, and a dot at
    each rule's suggestion."""
    from trainers.report import Figure, Series

    xs, median, low, high = test.band()
    seeds = len(test.curves)
    over = f"median of {seeds} seeds, band min-max" if seeds > 1 else f"seed {test.seeds[0]}"
    series = [
        Series(
            f"smoothed loss ({over})",
            xs.tolist(),
            median.tolist(),
            low.tolist() if seeds > 1 else None,
            high.tolist() if seeds > 1 else None,
        )
    ]
    for index, (rule, rate) in enumerate(test.suggested().items(), start=1):
        if rate is None:
            continue
        at = float(np.interp(np.log(rate), np.log(xs), median))
        series.append(Series(f"{rule}: {rate:.2g}", [rate], [at], dots=True, index=index))
    return Figure(
        name,
        f"Learning-rate range test: {test.config.optimizer} on {test.config.dataset}",
        "learning rate",
        "smoothed training loss",
        series,
        log_x=True,
        legend="top-left",  # the curve is low there, and rises at the right
    )


def curve_rows(test: RangeTest) -> list[dict[str, float | int | str]]:
    """One CSV row per step: the rate, each seed's loss and smoothed loss, and the median and
    band of the smoothed loss (empty where a seed had stopped)."""
    steps = max(len(curve.rates) for curve in test.curves)
    xs, median, low, high = test.band()
    rows = []
    for step in range(steps):
        rate = next(c.rates[step] for c in test.curves if len(c.rates) > step)
        row: dict[str, float | int | str] = {"step": step, "learning_rate": float(rate)}
        for curve in test.curves:
            inside = step < len(curve.losses)
            row[f"loss_seed{curve.seed}"] = float(curve.losses[step]) if inside else ""
            row[f"smoothed_seed{curve.seed}"] = float(curve.smoothed[step]) if inside else ""
        inside = step < len(xs)
        row["smoothed_median"] = float(median[step]) if inside else ""
        row["smoothed_low"] = float(low[step]) if inside else ""
        row["smoothed_high"] = float(high[step]) if inside else ""
        rows.append(row)
    return rows
