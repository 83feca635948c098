"""Several runs trained together in one compiled train function, each exactly as if alone.

On the small models Descent is made for, most of a step's time is the framework's own work
per call (Python, the tf.function call, tf.data), not arithmetic. A comparison of K runs one
after another pays it K times per step; here the K members of a group share one call: a
`FusedModel` whose train step runs each member's own Keras train step (its forward pass, loss,
gradients, optimizer update and metrics, the very operations `fit` would run for it alone) side
by side in one graph, so one call of the fused train function advances every member by one
chunk of steps.

What a group shares, and must: the data, its order and the batch size (`group_key`); members
may differ in seed, optimizer and its hyperparameters, schedule, loss of the same label
encoding, and architecture. Exactness follows from the construction: each member's
operations are its own, on its own variables, in the order its own `fit` would run them; the
tests compare every member with the same run trained alone (step losses, epoch metrics,
update sizes, effective rates, final weights).

A member whose loss turns non-finite is frozen from that step on (its step is skipped inside
the graph by a `tf.cond` on its own flag, so its weights and optimizer state stay as the
diverging step left them) and reported diverged at that step; the others go on untouched, as
nothing is shared between members. Stop and pause act on the whole group, between chunks.
"""

from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np

from trainers import build, catalog, compat, events, stacked
from trainers.config import RunConfig
from trainers.control import JobControl
from trainers.datasets import Dataset
from trainers.errors import DescentError
from trainers.events import Listener, RunKey, RunResult
from trainers.session import (
    Member,
    _Reporter,
    build_member,
    on_main_thread,
    run_info,
    unexpected_error,
)
from trainers.stacked import SEP


def group_key(config: RunConfig, loss_name: str, data: Dataset) -> tuple:
    """What members of one fused group must share: the data (and its order), the batch size,
    the number of epochs, the labels' encoding, one device and the compile settings."""
    labels = "onehot" if loss_name == "categorical_crossentropy" else "plain"
    return (
        config.data_seed_value,
        build.batch_size(config, len(data.x_train)),
        config.epochs,
        labels,
        config.distribute,
        config.jit_compile,
    )


def fusable(config: RunConfig) -> str | None:
    """Why `config` cannot train in a fused group, or None if it can."""
    if config.distribute != "none":
        return "a run spread over devices trains alone"
    if config.time_budget_s is not None:
        return "a run with a time budget trains alone, on its own clock"
    if config.sharpness_every:
        return "a run that tracks its sharpness trains alone"
    if config.optimizer in catalog.AVERAGED:
        return "a schedule-free run trains alone: its validation swaps in its averaged weights"
    from trainers import plugins

    if plugins.origin(config.optimizer) or plugins.origin(config.loss):
        return "a plugin's optimizer or loss trains alone: a bug in it ends only its own run"
    return None


class FusedModel(keras.Model):
    """The members side by side: its train and test steps are the members' own, in turn.

    `members` are the members trained each as its own Keras model, with `indices` their places
    in the group and `recorders` their step recorders; `stacks` (`trainers.stacked`) hold the
    others, several members each. Its logs hold each member's metric results under
    "<index>:<name>". `alive` holds one flag per side-by-side member: a member whose flag is
    down is skipped (frozen), its logs repeat its last results (a stack keeps its own flags).
    """

    def __init__(
        self,
        members: list[keras.Model],
        recorders: list,
        *,
        indices: list[int] | None = None,
        stacks: list | None = None,
    ):
        import tensorflow as tf

        super().__init__(name="fused_members")
        self.members = list(members)
        self.stacks = list(stacks or [])
        compat.set_untracked(
            self, "indices", list(indices) if indices is not None else list(range(len(members)))
        )
        compat.set_untracked(self, "recorders", list(recorders))
        compat.set_untracked(
            self,
            "alive",
            [tf.Variable(True, trainable=False, name=f"alive_{i}") for i in self.indices],
        )
        self.built = True

    def call(self, inputs, training=False):
        units = [*self.members, *self.stacks]
        return [unit(inputs, training=training) for unit in units]

    def train_step(self, data):
        import tensorflow as tf

        logs = {}
        for index, member, recorder, alive in zip(
            self.indices, self.members, self.recorders, self.alive, strict=True
        ):
            results = tf.cond(
                alive,
                lambda member=member: member.train_step(data),
                lambda member=member: member.get_metrics_result(),
            )
            alive.assign(tf.logical_and(alive, tf.math.is_finite(recorder.latest)))
            logs.update(_flat(results, f"{index}{SEP}"))
        for stack in self.stacks:
            logs.update(stack.train_step(data))
        return logs

    def test_step(self, data):
        logs = {}
        for index, member in zip(self.indices, self.members, strict=True):
            logs.update(_flat(member.test_step(data), f"{index}{SEP}"))
        for stack in self.stacks:
            logs.update(stack.test_step(data))
        return logs

    def reset_metrics(self):
        super().reset_metrics()
        for member in [*self.members, *self.stacks]:  # Keras leaves nested models' alone
            member.reset_metrics()

    def state(self) -> list:
        """Every variable a chunk of steps changes: weights, optimizer state, metrics, flags."""
        found = list(self.alive)
        for member in self.members:
            found += member.variables + member.optimizer.variables
            found += [v for metric in member.metrics for v in metric.variables]
        for stack in self.stacks:
            found += stack.state()
        return found

    def expand(self, logs) -> dict:
        """`logs` with each stack's results (vectors over its members) handed out to its
        members under their own "<index>:<name>" (and "val_" kept)."""
        logs = dict(logs or {})
        for stack in self.stacks:
            mark = f"{stack.name}{SEP}"
            for name in [n for n in logs if n.removeprefix("val_").startswith(mark)]:
                prefix = "val_" if name.startswith("val_") else ""
                parts = stack.member_parts(name.removeprefix("val_")[len(mark) :], logs.pop(name))
                logs.update({f"{prefix}{key}": value for key, value in parts.items()})
        return logs

    def sync(self) -> None:
        """Write the stacked members' weights and state back into their own models."""
        if not self.stacks:
            return
        if getattr(self, "_sync", None) is None:
            import tensorflow as tf

            def sync():
                for stack in self.stacks:
                    stack.sync_members()

            compat.set_untracked(self, "_sync", tf.function(sync, autograph=False))
        self._sync()


def _flat(results: dict, prefix: str) -> dict:
    """`results` with nested dicts (a metric whose result is a dict) flattened, as Keras's
    callbacks would see them, each name given `prefix`."""
    flat = {}
    for name, value in results.items():
        if isinstance(value, dict):
            flat.update(_flat(value, prefix))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def member_logs(logs, index: int) -> dict:
    """Member `index`'s part of the fused logs, under its own names (val_ kept)."""
    own = {}
    mark = f"{index}{SEP}"
    for name, value in (logs or {}).items():
        prefix = "val_" if name.startswith("val_") else ""
        bare = name.removeprefix("val_")
        if bare.startswith(mark):
            own[prefix + bare.removeprefix(mark)] = value
    return own


class _GroupReporter(keras.callbacks.Callback):
    """Hands each member's logs to its own `_Reporter`; stops and pauses the whole group."""

    def __init__(
        self,
        reporters: list[_Reporter],
        control: JobControl,
        emit: Listener,
        key,
        fused: FusedModel | None = None,
    ):
        super().__init__()
        self.fused = fused
        self.inspecting = any(r.rate is not None for r in reporters)
        self.reporters = reporters
        self.control = control
        self.emit = emit
        self.key = key
        self.retired: set[int] = set()  # members diverged in an earlier epoch: nothing to say

    def on_train_begin(self, logs=None):
        for reporter in self.reporters:
            reporter.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for reporter in self.reporters:
            reporter.on_epoch_begin(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        if self.control.stop_requested:
            self.model.stop_training = True

    def _sync(self) -> None:
        """Stacked members' own models and optimizers brought up to date, for what their
        reporters read from them (the effective rate, the learning rate)."""
        if self.fused is not None and self.fused.stacks:
            self.fused.sync()

    def on_train_batch_end(self, batch, logs=None):
        if self.inspecting:
            self._sync()
        if self.fused is not None:
            logs = self.fused.expand(logs)
        for index, reporter in enumerate(self.reporters):
            if index not in self.retired and reporter.diverged_at is None:
                reporter.on_train_batch_end(batch, member_logs(logs, index))
        if all(r.diverged_at is not None for r in self.reporters):
            self.model.stop_training = True
            return
        held = time.perf_counter()
        stop = self.control.hold(
            on_pause=lambda: self.emit(events.Status(self.key, "Paused")),
            on_resume=lambda: self.emit(events.Status(self.key, "Training...")),
        )
        paused = time.perf_counter() - held
        for reporter in self.reporters:
            reporter.not_training += paused
        if stop:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self._sync()
        if self.fused is not None:
            logs = self.fused.expand(logs)
        for index, reporter in enumerate(self.reporters):
            if index in self.retired:
                continue
            reporter.on_epoch_end(epoch, member_logs(logs, index))
            if reporter.diverged_at is not None:
                self.retired.add(index)


class FusedGroup:
    """Trains the members of one group (same `group_key`) together; `run()` returns each
    member's RunResult, in order, and reports each under its own key, as `TrainingSession`
    would (`Started`, `Steps`, `EpochEnded`, then `Finished` or `Failed`)."""

    def __init__(
        self,
        members: list[tuple[RunKey, str, RunConfig]],
        data: Dataset,
        loss_names: list[str],
        listener: Listener,
        control: JobControl,
        *,
        key: RunKey,
        inspect_optimizer: bool = False,
        steps_per_execution: int | None = None,
        stack: bool = True,
        measure: bool = False,
    ):
        """`stack=False` trains every member as its own model side by side, even those that
        could be stacked (`trainers.stacked`); after `run()`, `stack_sizes` lists the sizes
        of the stacks made.

        `measure=True` (the "auto" engine) times the group's first chunk against the first
        member's alone before anything trains (`timing`, a `Timing`); where the members are
        projected to train faster one after another, `run()` trains nothing, emits nothing
        for them, returns an empty list and sets `slower`."""
        self.members = members
        self.stack = stack
        self.measure = measure
        self.timing: Timing | None = None
        self.stack_sizes: list[int] = []
        self.data = data
        self.loss_names = loss_names
        self.listener = listener
        self.control = control
        self.key = key
        self.inspect_optimizer = inspect_optimizer
        self.steps_per_execution = steps_per_execution
        # What `_train` traced, kept for `release()` to drop a piece at a time.
        self._traced: list[keras.Model] = []

    def _status(self, text: str) -> None:
        self.listener(events.Status(self.key, text))

    def run(self) -> list[RunResult]:
        started = time.perf_counter()
        results = [RunResult(config=config) for _key, _label, config in self.members]
        try:
            with compat.forget_traced_gradients():
                self._train(results)
            if self.slower:
                return []
        except DescentError as exc:
            for result in results:
                result.status, result.message = "failed", str(exc)
        except Exception as exc:  # the job must end in a message, never a dead worker
            import traceback

            for result in results:
                result.status, result.message = "failed", unexpected_error(exc)
                result.traceback = traceback.format_exc()
        duration = time.perf_counter() - started
        for (key, _label, _config), result in zip(self.members, results, strict=True):
            result.duration_s = duration
            if result.ok:
                self.listener(events.Finished(key, result))
            else:
                self.listener(events.Failed(key, result.message, result))
        return results

    def release(self, between=None) -> None:
        """Drop what `run()` traced, a piece at a time, calling `between()` after each.

        A group's traced functions are ~75k Python objects held in cycles (the graphs' ops
        and tensors), and they would all become garbage at once when the group ends; freeing
        them costs one collection of ~0.15-0.25 s. `between` is where the window collects
        on its own thread (`gui.worker.collector`), so each collection frees one function's
        graph instead, a few tens of milliseconds. The members' models are left to the
        caller (their RunResults hold them)."""
        traced, self._traced = self._traced, []
        for model in traced:
            for name in ("train_function", "test_function", "predict_function"):
                if getattr(model, name, None) is None:
                    continue
                setattr(model, name, None)
                if between is not None:
                    between()
        del traced
        if between is not None:
            between()

    @property
    def slower(self) -> bool:
        """True where "auto" measured the members faster one after another (nothing trained)."""
        return self.timing is not None and self.timing.slower

    def _train(self, results: list[RunResult]) -> None:
        self._status(f"Building {len(self.members)} models...")
        keras.backend.clear_session(free_memory=on_main_thread())
        data = self.data
        first = self.members[0][2]
        built: list[Member] = []
        capacity = self.steps_per_execution  # the most steps one call may take
        for (_key, _label, config), loss_name in zip(self.members, self.loss_names, strict=True):
            run = build_member(
                config,
                data,
                loss_name,
                inspect_optimizer=self.inspect_optimizer,
                steps_per_execution=capacity,
            )
            if capacity is None:
                capacity = run.spe  # the first member's own choice
            # Its state made now, as its own fit would before tracing (and so `state()` has it
            # for the warm-up to put back, and a stack can start from it).
            run.model.optimizer.build(run.model.trainable_variables)
            built.append(run)
        together = stacked.stacks(built) if self.stack else []
        in_stacks = {position for group in together for position in group}
        alone = [position for position in range(len(built)) if position not in in_stacks]
        self.stack_sizes = [len(group) for group in together]
        spe = capacity
        if self.steps_per_execution is None and first.steps_per_execution == "auto":
            # "auto" aims at a chunk of ~0.1 s for one run; a group of n side-by-side members
            # and stacks costs about n runs' steps, so it takes n times fewer steps per call.
            spe = max(1, capacity // (len(alone) + len(together)))
        for run in built:
            run.spe = spe  # every recorder holds at least this many rows
        self._status("Stacking the networks..." if together else "Joining the models...")
        fused = FusedModel(
            [built[p].model for p in alone],
            [built[p].recorder for p in alone],
            indices=alone,
            stacks=[stacked.StackedMembers(group, [built[p] for p in group]) for group in together],
        )
        # The one alone-timing traced is the first member's (`_time_engines`).
        self._traced = [built[0].model, fused]
        fused.compile(
            optimizer=None,
            jit_compile=first.jit_compile,
            steps_per_execution=spe,
        )
        self._status("Measuring the starting losses...")
        initial = fused.expand(
            fused.evaluate(built[0].train_batches(), verbose=0, return_dict=True)
        )
        val = None
        if built[0].validation is not None:
            val = fused.expand(
                fused.evaluate(built[0].validation_batches(), verbose=0, return_dict=True)
            )
        batches = build.ShuffledBatches(
            data.x_train, built[0].y_train, built[0].batch, first.data_seed_value
        )
        reporters = []
        for index, ((key, _label, config), run, result) in enumerate(
            zip(self.members, built, results, strict=True)
        ):
            logs = _public(member_logs(initial, index))
            if val is not None:
                logs.update({f"val_{k}": v for k, v in _public(member_logs(val, index)).items()})
            info = run_info(config, data, run, logs)
            result.info, result.model = info, run.model
            reporter = _Reporter(
                self.listener, key, self.control, info, result, run.recorder, batches, hold=False
            )
            reporter.set_model(run.model)
            reporter.rate = run.rate
            reporters.append(reporter)
        self._status("Preparing the training step...")
        compat.warm_up_train_function(fused, batches.dataset, fused.state())
        fused.sync()  # traced now, off the training clock (the members hold this state already)
        if self.measure:
            self._status("Timing the group against one run alone...")
            self.timing = self._time_engines(fused, built[0], batches, spe)
            if self.slower:
                return
        self._status("Training...")
        for (key, label, _config), result in zip(self.members, results, strict=True):
            self.listener(events.Started(key, result.info, label))
        group = _GroupReporter(reporters, self.control, self.listener, self.key, fused)
        try:
            fused.fit(
                batches.dataset,
                epochs=first.epochs,
                validation_data=built[0].validation_batches(),
                shuffle=False,
                verbose=0,
                callbacks=[group],
            )
        finally:
            fused.sync()  # each member's own model gets its final weights
            for reporter in reporters:
                reporter.finish()

    def _time_engines(self, fused, first: Member, batches, spe: int) -> Timing:
        """What "auto" weighs: the group's and `first`'s alone train functions, each timed
        on the first chunk (the least of two calls, every variable put back after), and the
        seconds `first`'s own tracing took, the set-up each run pays again when trained alone."""
        state = fused.state()
        group = compat.time_train_function(fused, batches.dataset, state)
        started = time.perf_counter()
        compat.warm_up_train_function(first.model, batches.dataset, state)
        setup = time.perf_counter() - started
        alone = compat.time_train_function(first.model, batches.dataset, state)
        steps = first.steps_per_epoch
        return Timing(
            together_step=group / min(spe, steps),
            alone_step=alone / min(first.model.steps_per_execution, steps),
            alone_setup=setup,
            members=len(self.members),
            steps=steps * first.config.epochs,
        )


@dataclasses.dataclass(frozen=True)
class Timing:
    """The "auto" engine's measurements for one group, and the job's time projected from them:
    together, every step at the group's measured rate (its set-up is paid already); one after
    another, each member's set-up and steps at the first member's rate alone."""

    together_step: float  # seconds per step of the whole group
    alone_step: float  # seconds per step of the first member alone
    alone_setup: float  # seconds the first member's own train function took to trace
    members: int
    steps: int  # steps each member takes in the job

    @property
    def together(self) -> float:
        return self.steps * self.together_step

    @property
    def apart(self) -> float:
        return self.members * (self.alone_setup + self.steps * self.alone_step)

    @property
    def slower(self) -> bool:
        """True where training the members one after another is projected to be faster."""
        return self.together > self.apart

    def describe(self) -> str:
        return (
            f"measured on the first chunk: {self.together_step * 1000:.2g} ms per step "
            f"together, {self.alone_step * 1000:.2g} ms for one run alone, which traced in "
            f"{_seconds(self.alone_setup)}; so {self.steps} steps take about "
            f"{_seconds(self.together)} together and {_seconds(self.apart)} one after another"
        )


def _seconds(value: float) -> str:
    return f"{value:.2g} s" if value < 10 else f"{value:.0f} s"


def _public(logs: dict) -> dict[str, float]:
    from trainers.probes import INTERNAL_METRICS

    return {k: float(np.asarray(v)) for k, v in logs.items() if k not in INTERNAL_METRICS}


__all__ = ["FusedGroup", "FusedModel", "fusable", "group_key", "member_logs"]
