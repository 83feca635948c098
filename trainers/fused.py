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

import time

import keras
import numpy as np

from trainers import build, compat, events
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

SEP = ":"  # a member's log names in the fused logs: "<index>:<name>"


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
    return None


class FusedModel(keras.Model):
    """The members side by side: its train and test steps are the members' own, in turn.

    Its logs hold each member's metric results under "<index>:<name>". `alive` holds one flag
    per member: a member whose flag is down is skipped (frozen), its logs repeat its last
    results.
    """

    def __init__(self, members: list[keras.Model], recorders: list):
        import tensorflow as tf

        super().__init__(name="fused_members")
        self.members = list(members)
        compat.set_untracked(self, "recorders", list(recorders))
        compat.set_untracked(
            self,
            "alive",
            [tf.Variable(True, trainable=False, name=f"alive_{i}") for i in range(len(members))],
        )
        self.built = True

    def call(self, inputs, training=False):
        return [member(inputs, training=training) for member in self.members]

    def train_step(self, data):
        import tensorflow as tf

        logs = {}
        for index, (member, recorder, alive) in enumerate(
            zip(self.members, self.recorders, self.alive, strict=True)
        ):
            results = tf.cond(
                alive,
                lambda member=member: member.train_step(data),
                lambda member=member: member.get_metrics_result(),
            )
            alive.assign(tf.logical_and(alive, tf.math.is_finite(recorder.latest)))
            logs.update(_flat(results, f"{index}{SEP}"))
        return logs

    def test_step(self, data):
        logs = {}
        for index, member in enumerate(self.members):
            logs.update(_flat(member.test_step(data), f"{index}{SEP}"))
        return logs

    def reset_metrics(self):
        super().reset_metrics()
        for member in self.members:  # Keras leaves nested models' metrics alone
            member.reset_metrics()

    def state(self) -> list:
        """Every variable a chunk of steps changes: weights, optimizer state, metrics, flags."""
        found = list(self.alive)
        for member in self.members:
            found += member.variables + member.optimizer.variables
            found += [v for metric in member.metrics for v in metric.variables]
        return found


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

    def __init__(self, reporters: list[_Reporter], control: JobControl, emit: Listener, key):
        super().__init__()
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

    def on_train_batch_end(self, batch, logs=None):
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
    ):
        self.members = members
        self.data = data
        self.loss_names = loss_names
        self.listener = listener
        self.control = control
        self.key = key
        self.inspect_optimizer = inspect_optimizer
        self.steps_per_execution = steps_per_execution

    def _status(self, text: str) -> None:
        self.listener(events.Status(self.key, text))

    def run(self) -> list[RunResult]:
        started = time.perf_counter()
        results = [RunResult(config=config) for _key, _label, config in self.members]
        try:
            with compat.forget_traced_gradients():
                self._train(results)
        except DescentError as exc:
            for result in results:
                result.status, result.message = "failed", str(exc)
        except Exception as exc:  # the job must end in a message, never a dead worker
            for result in results:
                result.status, result.message = "failed", unexpected_error(exc)
        duration = time.perf_counter() - started
        for (key, _label, _config), result in zip(self.members, results, strict=True):
            result.duration_s = duration
            if result.ok:
                self.listener(events.Finished(key, result))
            else:
                self.listener(events.Failed(key, result.message, result))
        return results

    def _train(self, results: list[RunResult]) -> None:
        self._status(f"Building {len(self.members)} models...")
        keras.backend.clear_session(free_memory=on_main_thread())
        data = self.data
        first = self.members[0][2]
        built: list[Member] = []
        spe = self.steps_per_execution
        for (_key, _label, config), loss_name in zip(self.members, self.loss_names, strict=True):
            run = build_member(
                config,
                data,
                loss_name,
                inspect_optimizer=self.inspect_optimizer,
                steps_per_execution=spe,
            )
            if spe is None:
                # The first member's own choice; "auto" aims at a chunk of ~0.1 s for one run,
                # so a group of K takes K times fewer steps per call.
                spe = run.spe
                if config.steps_per_execution == "auto":
                    spe = max(1, spe // len(self.members))
            run.spe = spe  # the first member's recorder holds at least this many rows
            # Its state made now, as its own fit would before tracing (and so `state()` has it
            # for the warm-up to put back).
            run.model.optimizer.build(run.model.trainable_variables)
            built.append(run)
        fused = FusedModel([run.model for run in built], [run.recorder for run in built])
        fused.compile(
            optimizer=None,
            jit_compile=first.jit_compile,
            steps_per_execution=spe,
        )
        self._status("Measuring the starting losses...")
        initial = fused.evaluate(built[0].train_batches(), verbose=0, return_dict=True)
        val = None
        if built[0].validation is not None:
            val = fused.evaluate(built[0].validation_batches(), verbose=0, return_dict=True)
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
        self._status("Training...")
        for (key, label, _config), result in zip(self.members, results, strict=True):
            self.listener(events.Started(key, result.info, label))
        group = _GroupReporter(reporters, self.control, self.listener, self.key)
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
            for reporter in reporters:
                reporter.finish()


def _public(logs: dict) -> dict[str, float]:
    from trainers.probes import INTERNAL_METRICS

    return {k: float(np.asarray(v)) for k, v in logs.items() if k not in INTERNAL_METRICS}


__all__ = ["FusedGroup", "FusedModel", "fusable", "group_key", "member_logs"]
