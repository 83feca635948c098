"""What a training job reports: the run's types and its events, plain Python and NumPy.

Every job (one run, a comparison, later many runs trained together) reports to one callable,
a `Listener`, with small immutable events. Each carries a `RunKey`: the job, and the member of
the job it is about (`member=None` for the job as a whole). The engine calls the listener on
the thread that runs the job; nothing here knows about threads, Qt or files, and a listener
never reaches back into the job that feeds it: what it needs travels in the events.

    def listener(event):
        match event:
            case Steps(steps=steps, losses=losses):
                ...
            case Finished(result=result):
                ...

`tee(a, b, ...)` hands each event to several listeners in turn (the run library, TensorBoard
logs and the window each take their copy). Importing this module imports no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from trainers.config import RunConfig


@dataclass(frozen=True)
class RunKey:
    """Which run an event is about: job `job`, member `member` (None: the whole job)."""

    job: int = 0
    member: int | None = 0

    def of_job(self) -> RunKey:
        """The key of this run's job as a whole."""
        return RunKey(self.job, None)


@dataclass
class RunInfo:
    """What was built for a run, sent with the `Started` event."""

    config: RunConfig
    dataset_summary: str
    task: str
    loss: str
    model_summary: str
    n_train: int
    n_val: int
    batch_size: int
    steps_per_epoch: int
    steps_per_execution: int
    total_steps: int
    metric: str
    device: str
    initial_logs: dict[str, float] = field(default_factory=dict)
    # For 2-D classification with a decision-boundary view: the training points and the grid.
    points: tuple[np.ndarray, np.ndarray] | None = None
    grid_axes: tuple[np.ndarray, np.ndarray] | None = None
    # The data as the user has it, so that a saved model can take it raw
    # (`trainers.raw_model`): the features in input order and their (mean, std), the class
    # labels in output order, the target's (mean, std), and for images the raw pixel value
    # the network saw as 1.0 (None for tabular data).
    feature_names: tuple[str, ...] = ()
    feature_scale: tuple[np.ndarray, np.ndarray] | None = None
    class_names: tuple[str, ...] = ()
    target_scale: tuple[float, float] = (0.0, 1.0)
    pixel_scale: float | None = None


@dataclass
class RunResult:
    """Everything a run produced. `status` is completed, stopped, diverged or failed (or
    skipped, for a member of a comparison that was stopped before it started)."""

    config: RunConfig
    status: str = "failed"
    message: str = ""
    info: RunInfo | None = None
    step_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    step_losses: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_done: int = 0
    duration_s: float = 0.0
    epoch_times: list[float] = field(default_factory=list)  # EpochEnded.seconds
    initial_weights: list[np.ndarray] = field(default_factory=list)
    model: Any = None
    # (step, lambda_max, threshold or None) of each sharpness measurement (sharpness_every)
    sharpness: list[tuple[int, float, float | None]] = field(default_factory=list)
    traceback: str = ""
    """An unexpected error's traceback (a plugin's bug, say), for a details box; else empty."""

    @property
    def ok(self) -> bool:
        return self.status in ("completed", "stopped")

    def final(self, key: str) -> float | None:
        values = self.history.get(key) or []
        return values[-1] if values else None


def _frozen(array) -> np.ndarray:
    """`array` as a NumPy array that cannot be written to (no copy when it already is one)."""
    array = np.asarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Event:
    """Something a job reports about run `key`."""

    key: RunKey


@dataclass(frozen=True)
class Status(Event):
    """What the job is doing now, in a few words (loading data, compiling, paused ...)."""

    text: str


@dataclass(frozen=True)
class Started(Event):
    """The run's model is built and compiled, and its untrained losses are known; training
    starts. `label` names the member of a comparison ("Adam lr=0.01")."""

    info: RunInfo
    label: str = ""


@dataclass(frozen=True)
class Steps(Event):
    """New points of the step curve: step numbers (1-based, over the run) and their losses."""

    steps: np.ndarray
    losses: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _frozen(self.steps))
        object.__setattr__(self, "losses", _frozen(self.losses))


@dataclass(frozen=True)
class RangeSteps(Event):
    """New steps of a learning-rate range test (`trainers.lr_find`): their indices (0-based),
    rates, and losses (one row per step, one column per seed; NaN once a seed has stopped)."""

    steps: np.ndarray
    rates: np.ndarray
    losses: np.ndarray


@dataclass(frozen=True)
class PathsMoved(Event):
    """The trajectories of a landscape job (`trainers.landscape`) so far, on the shared plane
    of the snapshots so far (it turns as snapshots come): `paths` maps each run's label to its
    (steps, 2) coordinates; `explained` is the share of the snapshots' variance the plane holds."""

    paths: dict
    explained: float


@dataclass(frozen=True)
class SharpnessMeasured(Event):
    """The sharpness after `step` updates (0: at the start): `value`, the largest eigenvalue of
    the training loss's Hessian on the run's fixed batch (`quantity` says whether it is the
    preconditioned one), and `threshold`, the optimizer's stability threshold at its rate then
    (None where the optimizer has none; `trainers.sharpness.threshold`)."""

    step: int
    value: float
    threshold: float | None
    quantity: str


@dataclass(frozen=True)
class EpochEnded(Event):
    """Epoch `epoch` (1-based) ended: loss, val_loss and the metric, training and validation,
    `seconds` of training after the run's first update: validation included; set-up, the
    tracing of the training step (done before), pauses and boundary drawing left out."""

    epoch: int
    logs: Mapping[str, float]
    seconds: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "logs", MappingProxyType(dict(self.logs)))


@dataclass(frozen=True)
class OptimizerSteps(Event):
    """Inside the optimizer: the size of the update ||w_t - w_(t-1)|| at each of `steps`, and
    the effective learning rate (median over weights) after each of `rate_steps`, read once
    per chunk of steps (its last). Only from runs that inspect their optimizer."""

    steps: np.ndarray
    update_sizes: np.ndarray
    rate_steps: np.ndarray
    rates: np.ndarray

    def __post_init__(self) -> None:
        for name in ("steps", "update_sizes", "rate_steps", "rates"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


@dataclass(frozen=True)
class Boundary(Event):
    """The model's class probabilities over `RunInfo.grid_axes` (rows follow y, columns x)
    after epoch `epoch` (0: untrained); 2-D classification data only."""

    epoch: int
    probabilities: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", _frozen(self.probabilities))


@dataclass(frozen=True)
class Advice(Event):
    """What the run's losses say about its learning rate, once per `kind` a run: "rising"
    (too high) or "flat" (too low), in words for the user (`text`), with the learning rate in
    use now (`rate`) and the one to try (`suggested_rate`: the starting rate, under a
    schedule). Made by `trainers.advice.LossWatch`."""

    kind: str
    text: str
    rate: float
    suggested_rate: float


@dataclass(frozen=True)
class Finished(Event):
    """The run completed or was stopped; `result` holds its whole history."""

    result: RunResult


@dataclass(frozen=True)
class Failed(Event):
    """The run could not start (`result` None) or ended badly (diverged, an error), with the
    message for the user; the history so far is in `result`. With `key.member` None, the
    whole job could not start."""

    message: str
    result: RunResult | None = None


@dataclass(frozen=True)
class JobFinished(Event):
    """Every member of a job has ended (or was skipped after a stop): one summary row each
    (`trainers.summary.SummaryRow`), in member order; empty when the job never started."""

    rows: tuple = ()


Listener = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The listener that takes no notice."""


def tee(*listeners: Listener | None) -> Listener:
    """One listener that hands each event to every one of `listeners` in turn (None skipped)."""
    chosen = [listener for listener in listeners if listener is not None]
    if not chosen:
        return ignore
    if len(chosen) == 1:
        return chosen[0]

    def each(event: Event) -> None:
        for listener in chosen:
            listener(event)

    return each


__all__ = [
    "Advice",
    "Boundary",
    "EpochEnded",
    "Event",
    "Failed",
    "Finished",
    "JobFinished",
    "Listener",
    "OptimizerSteps",
    "RunInfo",
    "RunKey",
    "RunResult",
    "Started",
    "Status",
    "Steps",
    "ignore",
    "tee",
]
