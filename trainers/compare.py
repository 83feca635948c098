"""Comparisons: several runs of one problem, trained one after another from the same start.

`plan()` turns a base RunConfig and the values ticked for each axis (optimizers, learning rates,
losses, batch sizes) into labelled runs; `gd_variants()` gives batch, stochastic and mini-batch
gradient descent. `CompareSession` trains them in the calling thread and reports each run's
events under its index, and `summarize()` reduces each result to one row of the results table.

Every run keeps the base's seed, and a run calls `keras.utils.set_random_seed(seed)` right
before it builds its model and visits batches in `epoch_order(n, seed, epoch)`: runs with the
same architecture therefore start from identical weights and see the data in the same order.
Runs whose losses need different output layers (binary cross-entropy has one output unit, the
categorical ones one per class) share only the hidden layers' initial weights.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trainers import catalog, models
from trainers.config import RunConfig
from trainers.errors import ConfigError, DescentError, TrainingError
from trainers.session import RunResult, TrainingListener, TrainingSession, load_dataset

# Weight of the newest step loss in the moving average that decides `step_to_target`.
TARGET_SMOOTHING = 0.1


# ------------------------------------------------------------------------------------ planning
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
    optimizer_axis = _axis("optimizers", optimizers, _optimizer_name)
    rate_axis = _axis("learning rates", learning_rates, _rate)
    loss_axis = _axis("losses", losses, _loss_name)
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

        parts = [f"{_display_name(config.optimizer)} lr={_learning_rate(config):g}"]
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


def _optimizer_name(name: Any) -> str:
    name = str(name).strip().lower()
    try:
        catalog.optimizer_info(name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return name


def _loss_name(name: Any) -> str:
    name = str(name).strip().lower()
    try:
        catalog.loss_info(name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
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
        text = value.strip().lower()
        if text in ("full", "batch", "all"):
            return "full"
        return int(text) if text.isdigit() else value
    return value


def _display_name(optimizer: str) -> str:
    return catalog.optimizer_info(optimizer).display_name


def _learning_rate(config: RunConfig) -> float:
    """The run's starting rate for its label; a value validate() will refuse is shown as is."""
    try:
        return config.learning_rate()
    except (TypeError, ValueError):
        return float("nan")


def _unique_labels(runs: list[tuple[str, RunConfig]]) -> list[tuple[str, RunConfig]]:
    """Number repeated labels (#2, #3 ...): they name folders and table rows."""
    seen: dict[str, int] = {}
    unique = []
    for label, config in runs:
        seen[label] = seen.get(label, 0) + 1
        unique.append((label if seen[label] == 1 else f"{label} #{seen[label]}", config))
    return unique


# ------------------------------------------------------------------------------------- summary
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
        learning_rate=_learning_rate(config),
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


def write_summary_csv(rows: list[SummaryRow], path: str | Path) -> None:
    """The results table as CSV: one row per run, the SummaryRow fields as columns.

    Numbers are written in full precision; None is an empty cell, a diverged loss "nan".
    """
    path = Path(path)
    columns = [f.name for f in dataclasses.fields(SummaryRow)]
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            for row in rows:
                values = row.as_dict()
                writer.writerow([_cell(values[c]) for c in columns])
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


# ------------------------------------------------------------------------------------- session
class CompareSession:
    """Trains labelled runs one after another in the calling thread, reporting each by index.

    `run()` first checks every run (configuration, dataset, loss against the task) and raises a
    ConfigError or DatasetError naming the run before anything trains. Then a run that diverges
    or fails is recorded with that status and the next one starts. `stop()`, `pause()` and
    `resume()` may be called from any thread: stop ends the run in progress (status "stopped")
    and skips the rest (rows with status "skipped").

    The listener is duck-typed and every method is optional: on_status(text),
    on_run_started(index, label, info), on_run_steps(index, steps, losses),
    on_run_epoch(index, epoch, logs, seconds), on_run_finished(index, label, result) and
    on_all_finished(rows). `seconds` is the run's `RunResult.epoch_times` entry for that epoch.
    """

    def __init__(
        self,
        runs: list[tuple[str, RunConfig]],
        listener: Any = None,
        target_loss: float | None = None,
    ):
        self.runs = list(runs)
        self.listener = listener
        self.target_loss = target_loss
        self.results: list[tuple[str, RunResult]] = []
        self.rows: list[SummaryRow] = []
        self._lock = threading.Lock()
        self._session: TrainingSession | None = None
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()

    # ------------------------------------------------------------------ control, any thread
    def stop(self) -> None:
        """End the run in progress at the end of its chunk of steps, and skip the rest."""
        with self._lock:
            self._stop.set()
            self._running.set()
            if self._session is not None:
                self._session.stop()

    def pause(self) -> None:
        """Hold the run in progress (or the start of the next) until `resume()` or `stop()`."""
        with self._lock:
            if self._stop.is_set():
                return
            self._running.clear()
            if self._session is not None:
                self._session.pause()

    def resume(self) -> None:
        with self._lock:
            self._running.set()
            if self._session is not None:
                self._session.resume()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # ------------------------------------------------------------------------------- run
    def run(self) -> list[SummaryRow]:
        """Check every run, then train them in order; return the summary rows, one per run."""
        checked = self._check()
        self.results, rows = [], []
        for index, (label, config) in enumerate(checked):
            if not self._running.is_set():
                self._emit("on_status", "Paused")
                while not self._running.wait(0.1):
                    pass
            if self._stop.is_set():
                rows.append(summarize(label, RunResult(config=config, status="skipped"), None))
                continue
            result = self._train(index, label, config, len(checked))
            self.results.append((label, result))
            self._emit("on_run_finished", index, label, result)
            rows.append(summarize(label, result, self.target_loss))
        self.rows = rows
        self._emit("on_all_finished", rows)
        return rows

    def _check(self) -> list[tuple[str, RunConfig]]:
        """Validated configurations; each distinct dataset is loaded once to prove it loads
        and to check each run's loss fits its task."""
        if not self.runs:
            raise ConfigError("Nothing to compare: choose at least one run.")
        self._emit("on_status", "Checking the runs...")
        checked = []
        for label, config in self.runs:
            try:
                checked.append((label, config.validate()))
            except ConfigError as exc:
                raise ConfigError(f"Run {label!r}: {exc}") from None
        tasks: dict[str, str] = {}
        for label, config in checked:
            key = _dataset_key(config)
            try:
                if key not in tasks:
                    self._emit("on_status", "Loading the dataset...")
                    tasks[key] = load_dataset(config).task
                models.check_loss_fits(config.loss or catalog.DEFAULT_LOSS[tasks[key]], tasks[key])
            except DescentError as exc:
                raise type(exc)(f"Run {label!r}: {exc}") from None
        return checked

    def _train(self, index: int, label: str, config: RunConfig, count: int) -> RunResult:
        listener = _MemberListener(self, index, label, count)
        session = TrainingSession(config, listener)
        listener.session = session
        with self._lock:
            self._session = session
            if self._stop.is_set():
                session.stop()
            elif not self._running.is_set():
                session.pause()
        try:
            return session.run()
        except DescentError as exc:  # checked up front: only a file changed since can do this
            return RunResult(config=config, status="failed", message=str(exc))
        finally:
            with self._lock:
                self._session = None

    def _emit(self, name: str, *args) -> None:
        method = getattr(self.listener, name, None)
        if method is not None:
            method(*args)


def _dataset_key(config: RunConfig) -> str:
    """What decides the loaded data: runs that agree on it share one check."""
    options = sorted((str(k), repr(v)) for k, v in config.dataset_options.items())
    return repr((config.dataset, options, config.target, config.validation_split, config.seed))


class _MemberListener(TrainingListener):
    """Forwards one run's events to the comparison's listener under the run's index."""

    def __init__(self, owner: CompareSession, index: int, label: str, count: int):
        self.owner = owner
        self.index = index
        self.label = label
        self.count = count
        self.session: TrainingSession | None = None

    def on_status(self, text: str) -> None:
        self.owner._emit("on_status", f"{self.label} ({self.index + 1}/{self.count}): {text}")

    def on_started(self, info) -> None:
        self.owner._emit("on_run_started", self.index, self.label, info)

    def on_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        self.owner._emit("on_run_steps", self.index, steps, losses)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        result = self.session.result if self.session is not None else None
        seconds = result.epoch_times[-1] if result is not None and result.epoch_times else 0.0
        self.owner._emit("on_run_epoch", self.index, epoch, logs, float(seconds))


__all__ = [
    "CompareSession",
    "SummaryRow",
    "first_step_at_or_below",
    "gd_variants",
    "plan",
    "summarize",
    "write_summary_csv",
]
