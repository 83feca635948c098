"""BenchmarkSession: the protocol of `trainers.tuning`, trained on the comparison engine.

For each problem: every optimizer's trials at one seed (the tuning phase, one
`CompareSession`, so they train together in fused groups where "auto" finds that faster),
then each optimizer's best trial by the criterion rerun over the seeds (the seed phase, a
second `CompareSession`, one run after another unless `seed_engine` says otherwise, so
that each rerun's training seconds are its own). Every member is reported under one
numbering for the whole job (`RunKey(job, n)`), so a listener such as the run library's
recording sees one job of many members; one `JobFinished` with every row ends it.

Reproducible from `BenchmarkSpec.seed`: the trials' points (grid, or a Halton sequence seeded
by it, the same for every optimizer), the tuning seed (its value) and the seed phase's seeds
(the next `seeds` values); the data's split and order use the seed too, the same for all.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from trainers import catalog, tuning
from trainers.compare import CompareSession
from trainers.config import MAX_TIME_BUDGET_S, MIN_TIME_BUDGET_S
from trainers.control import JobControl
from trainers.errors import ConfigError
from trainers.events import JobFinished, RunKey, Status, ignore
from trainers.summary import SummaryRow


@dataclass
class BenchmarkSpec:
    """What a benchmark job trains: problems x optimizers, `trials` per optimizer within its
    space (`spaces`, by default the learning rate over its catalog range) by `rule`, the best
    by `criterion` rerun over `seeds` seeds; `epochs` (if given) for every problem.

    `seconds`, a time budget: each trial also ends at the first epoch end past that many
    seconds of its own training (`RunConfig.time_budget_s`). Runs on one clock each, so with a
    time budget every trial trains alone, one after another (a fused group shares its clock).
    """

    problems: list[tuning.Problem]
    optimizers: list[str]
    spaces: dict[str, list[tuning.Axis]] = field(default_factory=dict)
    trials: int = 8
    rule: str = "grid"
    seeds: int = 3
    epochs: int | None = None
    seconds: float | None = None
    criterion: str = "final_val_loss"
    seed: int = 0
    engine: str = "auto"
    seed_engine: str = "sequential"
    """The seed phase's engine: one after another by default, so each rerun's training
    seconds (and its time to the target) are its own, not a fused group's shared clock."""

    def validate(self) -> BenchmarkSpec:
        if not self.problems:
            raise ConfigError("A benchmark needs at least one problem.")
        if not self.optimizers:
            raise ConfigError("A benchmark needs at least one optimizer.")
        for name in self.optimizers:
            catalog.optimizer_info(name)
        if self.criterion not in tuning.CRITERIA:
            raise ConfigError(
                f"Unknown criterion {self.criterion!r}: use one of {', '.join(tuning.CRITERIA)}."
            )
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ConfigError(f"The number of seeds must be at least 1: {self.seeds!r}.")
        if self.seconds is not None:
            seconds = self.seconds
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                seconds = math.nan
            # The runs' own range (`RunConfig.time_budget_s`), said before any trains.
            if not (math.isfinite(seconds) and MIN_TIME_BUDGET_S <= seconds <= MAX_TIME_BUDGET_S):
                raise ConfigError(
                    f"The time budget must be a number of seconds above 0 (from "
                    f"{MIN_TIME_BUDGET_S:g} s to a week): {self.seconds!r}."
                )
        for name in self.optimizers:
            self.settings(name)  # a budget too small for a grid fails here, before training
        return self

    def space(self, optimizer: str) -> list[tuning.Axis]:
        return tuning.space(optimizer, self.spaces.get(optimizer, ()))

    def settings(self, optimizer: str) -> list[dict[str, float]]:
        return tuning.trials(self.space(optimizer), self.trials, self.rule, self.seed)

    @property
    def seed_values(self) -> list[int]:
        return [self.seed + 1 + i for i in range(self.seeds)]


@dataclass
class Trial:
    """One member of the job: a problem, an optimizer's setting and a seed, and what it did."""

    problem: str
    optimizer: str
    phase: str  # "tune" or "seed"
    settings: dict[str, float]
    seed: int
    label: str
    row: SummaryRow | None = None
    epoch_losses: list[float] = field(default_factory=list)  # training loss, epochs 1..n
    epoch_val_losses: list[float] = field(default_factory=list)
    seconds_to_target: float = math.inf
    steps_per_epoch: int = 0
    clock: str = ""  # "own" (trained alone) or "shared" (a fused group's clock)

    @property
    def status(self) -> str:
        return self.row.status if self.row is not None else "skipped"


@dataclass
class BenchmarkResult:
    spec: BenchmarkSpec
    trials: list[Trial] = field(default_factory=list)
    engine_notes: list[str] = field(default_factory=list)

    def of(self, problem: str, optimizer: str, phase: str) -> list[Trial]:
        return [
            t
            for t in self.trials
            if t.problem == problem and t.optimizer == optimizer and t.phase == phase
        ]

    def best(self, problem: str, optimizer: str) -> Trial | None:
        tuned = self.of(problem, optimizer, "tune")
        index = tuning.best_index([t.row for t in tuned if t.row is not None], self.spec.criterion)
        return None if index is None else [t for t in tuned if t.row is not None][index]


def setting_text(optimizer: str, settings: dict[str, float]) -> str:
    name = catalog.optimizer_info(optimizer).display_name
    parts = [f"{'lr' if k == 'learning_rate' else k}={v:.3g}" for k, v in settings.items()]
    return f"{name} {' '.join(parts)}"


class BenchmarkSession:
    """Trains a `BenchmarkSpec` in the calling thread; `run()` returns a BenchmarkResult."""

    def __init__(
        self,
        spec: BenchmarkSpec,
        listener=None,
        *,
        key: RunKey | None = None,
        control: JobControl | None = None,
        on_part_done=None,
    ):
        """`on_part_done()`, if given, is called after each run or fused group has trained and
        its model and traced steps are dropped (a benchmark keeps only the curves): the window
        then frees them a part at a time, rather than all the job's at once."""
        self.spec = spec.validate()
        self.on_part_done = on_part_done
        self.listener = listener or ignore
        self.key = (key or RunKey()).of_job()
        self.control = control or JobControl()
        self._offset = 0
        self.rows: list[SummaryRow] = []

    def _status(self, text: str) -> None:
        self.listener(Status(self.key, text))

    def run(self) -> BenchmarkResult:
        spec = self.spec
        result = BenchmarkResult(spec)
        for number, problem in enumerate(spec.problems, start=1):
            if self.control.stop_requested:
                break
            self._status(f"Problem {number} of {len(spec.problems)}: {problem.name}, tuning")
            tune = []
            for optimizer in spec.optimizers:
                for settings in spec.settings(optimizer):
                    tune.append(self._trial(problem, optimizer, "tune", settings, spec.seed))
            self._train(problem, tune, result, spec.engine)
            seeded = []
            for optimizer in spec.optimizers:
                best = result.best(problem.name, optimizer)
                if best is None:
                    continue  # every trial failed or diverged: nothing to rerun
                for seed in spec.seed_values:
                    seeded.append(self._trial(problem, optimizer, "seed", best.settings, seed))
            if seeded and not self.control.stop_requested:
                self._status(f"Problem {number}: the best of each optimizer over the seeds")
                self._train(problem, seeded, result, spec.seed_engine)
            else:
                result.trials += seeded
        self.listener(JobFinished(self.key, tuple(self.rows)))
        return result

    def _trial(self, problem, optimizer: str, phase: str, settings: dict, seed: int) -> Trial:
        label = f"{problem.name} · {setting_text(optimizer, settings)}"
        if phase == "seed":
            label += f" · seed {seed}"
        return Trial(problem.name, optimizer, phase, dict(settings), seed, label)

    def _config(self, problem, trial: Trial):
        config = dataclasses.replace(
            problem.config,
            optimizer=trial.optimizer,
            hyperparameters=dict(trial.settings),
            seed=trial.seed,
            data_seed=self.spec.seed,
        )
        if self.spec.epochs is not None:
            config.epochs = self.spec.epochs
        if self.spec.seconds is not None:
            config.time_budget_s = float(self.spec.seconds)
        return config

    def _train(self, problem, trials: list[Trial], result: BenchmarkResult, engine: str) -> None:
        runs = [(trial.label, self._config(problem, trial)) for trial in trials]
        offset = self._offset
        self._offset += len(runs)

        def relay(event):
            if isinstance(event, JobFinished):
                return  # the benchmark's own ends the job
            member = event.key.member
            key = RunKey(self.key.job, None if member is None else offset + member)
            self.listener(dataclasses.replace(event, key=key))

        session = CompareSession(
            runs,
            relay,
            target_loss=problem.target,
            key=self.key,
            control=self.control,
            engine=engine,
            keep_models=False,
            on_trained=self.on_part_done,
        )
        rows = session.run()
        self._read(session, problem, trials, rows, result, engine)

    def _read(
        self, session, problem, trials: list[Trial], rows, result: BenchmarkResult, engine: str
    ) -> None:
        """What the trials of `session` did, into `trials` and `result`."""
        phase = trials[0].phase if trials else ""
        note = session.engine_note
        if phase == "seed" and engine == "sequential":
            note = "sequential: the reruns one after another, each on its own clock"
        result.engine_notes.append(f"{problem.name}, {phase}: {note}")
        clock = "own" if session.engine_used == "sequential" else "shared"
        trained = iter(run for _label, run in session.results)  # the rows not skipped
        for trial, row in zip(trials, rows, strict=True):
            trial.row = row
            run = None if row.status == "skipped" else next(trained)
            if run is not None:
                trial.epoch_losses = [float(v) for v in run.history.get("loss") or []]
                trial.epoch_val_losses = [float(v) for v in run.history.get("val_loss") or []]
                if run.info is not None:
                    trial.steps_per_epoch = run.info.steps_per_epoch
                trial.seconds_to_target = tuning.seconds_to_target(
                    row.step_to_target, trial.steps_per_epoch, list(run.epoch_times)
                )
            trial.clock = clock
        self.rows += rows
        result.trials += trials


def epoch_matrix(trials: list[Trial], validation: bool = True) -> np.ndarray:
    """The trials' per-epoch losses as one (seeds x epochs) matrix, cut to the shortest."""
    curves = [t.epoch_val_losses if validation else t.epoch_losses for t in trials]
    curves = [c for c in curves if c]
    if not curves:
        return np.zeros((0, 0))
    length = min(len(c) for c in curves)
    return np.asarray([c[:length] for c in curves], dtype=np.float64)


__all__ = ["BenchmarkResult", "BenchmarkSession", "BenchmarkSpec", "Trial", "epoch_matrix"]
