"""Comparisons: several runs of one problem, trained one after another from the same start.

`trainers.plans` turns the values ticked for each axis into labelled runs; `CompareSession`
trains them in the calling thread, reporting each run's events under its member index of the
job's key, and ends with `JobFinished` and one `trainers.summary.SummaryRow` per run.

Every run keeps the base's seed, and a run calls `keras.utils.set_random_seed(seed)` right
before it builds its model and visits batches in `epoch_order(n, seed, epoch)`: runs with the
same architecture therefore start from identical weights and see the data in the same order.
Runs whose losses need different output layers (binary cross-entropy has one output unit, the
categorical ones one per class) share only the hidden layers' initial weights.
"""

from __future__ import annotations

from trainers import build
from trainers.config import RunConfig
from trainers.control import JobControl
from trainers.datasets import Dataset
from trainers.errors import ConfigError, DescentError
from trainers.events import (
    Event,
    JobFinished,
    Listener,
    RunKey,
    RunResult,
    Status,
    ignore,
)
from trainers.session import TrainingSession
from trainers.summary import SummaryRow, summarize

# "fused": the members train together in one compiled step (trainers.fused); "sequential": one
# after another; "auto": fused where it is faster, measured on the first chunks.
ENGINES = ("auto", "fused", "sequential")


class CompareSession:
    """Trains labelled runs one after another in the calling thread, each a member of one job.

    `run()` first checks every run (configuration, dataset, loss against the task, a model
    file against both) and raises a ConfigError or DatasetError naming the run before anything
    trains. Then a run that diverges or fails is recorded with that status and the next one
    starts. Member `i`'s events come
    under `RunKey(key.job, i)` (its `Started` carries its label); the job's own `Status` and
    its closing `JobFinished` under `RunKey(key.job, None)`. The `control` stops, pauses and
    resumes the job from any thread: a stop ends the run in progress (status "stopped") and
    skips the rest (rows with status "skipped").
    """

    def __init__(
        self,
        runs: list[tuple[str, RunConfig]],
        listener: Listener | None = None,
        target_loss: float | None = None,
        *,
        key: RunKey | None = None,
        control: JobControl | None = None,
        engine: str = "auto",
        keep_models: bool = True,
        on_trained=None,
    ):
        """`keep_models=False` drops each run's model once it has trained (its results keep
        the curves); `on_trained()`, if given, is called after each run or fused group, when
        what it traced and built is no longer referenced here."""
        if engine not in ENGINES:
            raise ConfigError(f"Unknown engine {engine!r}: use one of {', '.join(ENGINES)}.")
        self.engine = engine
        self.keep_models = keep_models
        self.on_trained = on_trained
        # Which engine trained the job and why, for the CLI, the window and the job's record.
        self.engine_used = "sequential"
        self.engine_note = "sequential: one run after another"
        self.runs = list(runs)
        self.listener = listener or ignore
        self.target_loss = target_loss
        self.key = (key or RunKey()).of_job()
        self.control = control or JobControl()
        self.results: list[tuple[str, RunResult]] = []
        self.rows: list[SummaryRow] = []

    def _status(self, text: str) -> None:
        self.listener(Status(self.key, text))

    def run(self) -> list[SummaryRow]:
        """Check every run, then train them (in fused groups where the engine allows, the rest
        one after another); return the summary rows, one per run, in the runs' order."""
        checked = self._check()
        groups = self._groups(checked)
        self._slower: list[str] = []  # what "auto" measured for each group it did not fuse
        self._fused_trained = 0
        done: dict[int, RunResult] = {}
        for members in groups:
            self.control.hold(on_pause=lambda: self._status("Paused"))
            if self.control.stop_requested:
                break
            if len(members) == 1:
                index = members[0]
                label, config = checked[index]
                done[index] = self._train(index, label, config, len(checked))
            else:
                done.update(zip(members, self._train_fused(members, checked), strict=True))
            if not self.keep_models:
                for index in members:
                    if index in done:
                        done[index].model = None
            if self.on_trained is not None:
                self.on_trained()
        if self._slower and not self._fused_trained:
            self.engine_used = "sequential"
            self.engine_note = (
                "sequential: one run after another, faster here than together ("
                + "; ".join(self._slower)
                + ")"
            )
        self.results, rows = [], []
        for index, (label, config) in enumerate(checked):
            if index not in done:
                rows.append(summarize(label, RunResult(config=config, status="skipped"), None))
                continue
            self.results.append((label, done[index]))
            rows.append(summarize(label, done[index], self.target_loss))
        self.rows = rows
        self.listener(JobFinished(self.key, tuple(rows)))
        return rows

    def _groups(self, checked: list[tuple[str, RunConfig]]) -> list[list[int]]:
        """The members' indices in the groups they train in, in the order of their first
        member; sets `engine_used` and `engine_note`."""
        from trainers import fused

        if self.engine == "sequential" or len(checked) < 2:
            self.engine_used = "sequential"
            self.engine_note = "sequential: one run after another" + (
                " (--sequential)" if self.engine == "sequential" else ""
            )
            return [[i] for i in range(len(checked))]
        by_key: dict[tuple, list[int]] = {}
        alone: list[int] = []
        reasons = set()
        for index, (_label, config) in enumerate(checked):
            why = fused.fusable(config)
            if why is not None:
                alone.append(index)
                reasons.add(why)
                continue
            data = self._loaded[_dataset_key(config)]
            key = (_dataset_key(config), fused.group_key(config, self._loss[index], data))
            by_key.setdefault(key, []).append(index)
        groups = [*by_key.values(), *([i] for i in alone)]
        groups.sort(key=lambda members: members[0])
        together = [g for g in groups if len(g) > 1]
        if not together:
            self.engine_used = "sequential"
            self.engine_note = "sequential: no two runs share their data, batch size and epochs"
            if reasons:
                self.engine_note += f" ({'; '.join(sorted(reasons))})"
            return groups
        self.engine_used = "fused"
        sizes = ", ".join(str(len(g)) for g in together)
        self.engine_note = (
            f"fused: {sum(len(g) for g in together)} runs trained together in one compiled "
            f"step per group (groups of {sizes})"
        )
        if len(together) < len(groups):
            self.engine_note += "; the others one after another"
        if reasons:
            self.engine_note += f" ({'; '.join(sorted(reasons))})"
        return groups

    def _train_fused(self, members: list[int], checked) -> list[RunResult]:
        from trainers.fused import FusedGroup

        config = checked[members[0]][1]
        self._status(f"Training {len(members)} runs together...")
        group = FusedGroup(
            [(RunKey(self.key.job, i), checked[i][0], checked[i][1]) for i in members],
            self._loaded[_dataset_key(config)],
            [self._loss[i] for i in members],
            self.listener,
            self.control,
            key=self.key,
            measure=self.engine == "auto",
        )
        results = group.run()
        group.release(self.on_trained)
        if group.timing is not None:
            measured = group.timing.describe()
            if group.slower:
                self._slower.append(measured)
                self.engine_note += (
                    f"; {len(members)} of them one after another instead, faster so ({measured})"
                )
                return [self._train(i, checked[i][0], checked[i][1], len(checked)) for i in members]
            self.engine_note += f"; {measured}"
        self._fused_trained += 1
        if group.stack_sizes:
            stacked = sum(group.stack_sizes)
            networks = len(group.stack_sizes)
            self.engine_note += (
                f"; {stacked} of them as {networks} stacked network"
                + ("s" if networks > 1 else "")
                + " (same layers and loss: one batched step for all, each optimizer on its"
                + " own slice)"
            )
        return results

    def _check(self) -> list[tuple[str, RunConfig]]:
        """Validated configurations; each distinct dataset is loaded once to prove it loads
        and to check each run's loss fits its task, and the user's model file fits both."""
        if not self.runs:
            raise ConfigError("Nothing to compare: choose at least one run.")
        self._status("Checking the runs...")
        checked = []
        for label, config in self.runs:
            try:
                checked.append((label, config.validate()))
            except ConfigError as exc:
                raise ConfigError(f"Run {label!r}: {exc}") from None
        # Each distinct dataset, loaded once, and each run's loss: a fused group trains on them.
        self._loaded: dict[str, Dataset] = {}
        self._loss: dict[int, str] = {}
        loaded = self._loaded
        for index, (label, config) in enumerate(checked):
            key = _dataset_key(config)
            try:
                if key not in loaded:
                    self._status("Loading the dataset...")
                    loaded[key] = build.load_dataset(config)
                self._loss[index] = build.check_run(config, loaded[key])
            except DescentError as exc:
                raise type(exc)(f"Run {label!r}: {exc}") from None
        return checked

    def _train(self, index: int, label: str, config: RunConfig, count: int) -> RunResult:
        key = RunKey(self.key.job, index)

        def member(event: Event) -> None:
            if isinstance(event, Status):  # say which run the status is about
                event = Status(key, f"{label} ({index + 1}/{count}): {event.text}")
            self.listener(event)

        session = TrainingSession(config, member, key=key, label=label, control=self.control)
        try:
            return session.run()
        except DescentError as exc:  # checked up front: only a file changed since can do this
            return RunResult(config=config, status="failed", message=str(exc))


def _dataset_key(config: RunConfig) -> str:
    """What decides the loaded data: runs that agree on it share one check."""
    options = sorted((str(k), repr(v)) for k, v in config.dataset_options.items())
    return repr(
        (config.dataset, options, config.target, config.validation_split, config.data_seed_value)
    )


__all__ = ["CompareSession"]
