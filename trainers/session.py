"""One training run, from a validated RunConfig to a history, reported as events.

`TrainingSession.run()` works in the calling thread: the CLI calls it directly, the window's
worker calls it on its own QThread. Its `control` (a `trainers.control.JobControl`) takes stop,
pause and resume from any other thread; they take effect at the end of the chunk of steps in
progress. Everything the run reports goes to one listener as `trainers.events` events under the
session's `key`.

Step losses are the true loss of every update, not Keras's running epoch mean: a
`StepLossRecorder` metric writes each step's loss into a small buffer inside the compiled train
function, and the reporter reads it from the logs once per chunk of `steps_per_execution` steps. So
running many steps per call (much faster on small models) loses no point of the curve.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from pathlib import Path

import keras
import numpy as np

from trainers import advice, build, catalog, compat, distribute, events, losses, models, raw_model
from trainers.config import RunConfig
from trainers.control import JobControl
from trainers.datasets import Dataset
from trainers.errors import ConfigError, DescentError
from trainers.events import Listener, RunInfo, RunKey, RunResult, ignore, tee
from trainers.optimizers.base import DescentOptimizer
from trainers.probes import (
    INTERNAL_METRICS,
    BoundaryProbe,
    StepLossRecorder,
    effective_rate_function,
    read_ring,
    update_sizes,
)


class TrainingSession:
    """Runs one training run in the calling thread and reports it to one listener."""

    def __init__(
        self,
        config: RunConfig,
        listener: Listener | None = None,
        *,
        key: RunKey | None = None,
        label: str = "",
        control: JobControl | None = None,
        inspect_optimizer: bool = False,
        boundary_resolution: int = 0,
        tensorboard_dir: str | Path | None = None,
        snapshot_every: int = 0,
        on_snapshot=None,
    ):
        """`key` names the run in its events (default: job 0, member 0) and `label` is sent
        with `Started`; `control` is the job's (a new one by default). `inspect_optimizer`
        reports the size of every update and the effective learning rate once per chunk of
        steps (a little slower); `boundary_resolution` > 0 reports the decision regions of 2-D
        classification data on a grid of that many points a side, after every epoch;
        `tensorboard_dir` also writes the curves there as TensorBoard event logs
        (`trainers.exports.TensorBoardLog`). `on_snapshot(step, weights)`, if given, gets the
        trainable weights (one flat float32 array) at the start, at the first chunk end at or
        past every `snapshot_every` steps (every chunk for 0), and at the end: the landscape's
        trajectories (`trainers.landscape`); its time is kept off the training clock."""
        self.config = config
        self.listener = listener or ignore
        self.key = key or RunKey()
        self.label = label
        self.control = control or JobControl()
        self.tensorboard_dir = tensorboard_dir
        self.inspect_optimizer = inspect_optimizer
        self.boundary_resolution = boundary_resolution
        self.result: RunResult | None = None  # the run's result as it fills, once training starts
        self._emit: Listener = self.listener
        self.tensorboard_log = None  # the TensorBoardLog writing this run's logs, if any
        self.snapshot_every = snapshot_every
        self.on_snapshot = on_snapshot

    def _status(self, text: str) -> None:
        self._emit(events.Status(self.key, text))

    def run(self) -> RunResult:
        """Train; return the result. Bad input raises ConfigError/DatasetError after `Failed`."""
        started = time.perf_counter()
        try:
            config = self.config.validate()
            if self.tensorboard_dir is not None:  # here, so a bad folder ends as bad input
                from trainers.exports import TensorBoardLog

                self.tensorboard_log = TensorBoardLog(self.tensorboard_dir, report=self.listener)
                self._emit = tee(self.tensorboard_log, self.listener)
            self._status("Loading the dataset...")
            data = build.load_dataset(config)
            loss_name = build.check_run(config, data)
        except DescentError as exc:
            self._emit(events.Failed(self.key, str(exc), None))
            raise
        result = self.result = RunResult(config=config)
        try:
            with compat.forget_traced_gradients():
                self._train(config, data, loss_name, result)
        except DescentError as exc:
            result.status, result.message = "failed", str(exc)
        except Exception as exc:  # the run must end in a message, never a dead worker
            result.status, result.message = "failed", unexpected_error(exc)
            result.traceback = traceback.format_exc()
        result.duration_s = time.perf_counter() - started
        if result.ok:
            self._emit(events.Finished(self.key, result))
        else:
            self._emit(events.Failed(self.key, result.message, result))
        return result

    def _train(self, config: RunConfig, data: Dataset, loss_name: str, result: RunResult) -> None:
        self._status("Building the model...")
        # Keras's clear_session() runs gc.collect() unless told not to. Off the main thread (the
        # window's engine thread) that could destroy Qt widgets held in garbage cycles on the
        # wrong thread, so there the window's own collector frees the memory instead.
        keras.backend.clear_session(free_memory=on_main_thread())
        run = build_member(config, data, loss_name, inspect_optimizer=self.inspect_optimizer)
        model = run.model
        initial_logs = evaluate_logs(model, run.train_batches())
        if run.validation is not None:
            val = evaluate_logs(model, run.validation_batches())
            initial_logs.update({f"val_{k}": v for k, v in val.items()})
        info = run_info(config, data, run, initial_logs)
        boundary = None
        if self.boundary_resolution and data.task != "regression" and data.input_shape == (2,):
            boundary = BoundaryProbe(
                model,
                data.x_train,
                self.boundary_resolution,
                run.from_logits,
                loss_name == "binary_crossentropy",
            )
            info.points = (data.x_train, data.y_train)
            info.grid_axes = boundary.axes
        result.info = info
        result.model = model
        batches = build.ShuffledBatches(
            data.x_train, run.y_train, run.batch, config.data_seed_value
        )
        reporter = _Reporter(
            self._emit, self.key, self.control, info, result, run.recorder, batches
        )
        reporter.rate, reporter.boundary = run.rate, boundary
        callbacks: list[keras.callbacks.Callback] = [reporter]
        if config.sharpness_every:
            from trainers.sharpness import SharpnessTracker

            tracker = SharpnessTracker(
                model, data.x_train, run.y_train, config.optimizer, config.hyperparameters
            )
            callbacks.append(
                _SharpnessProbe(tracker, config.sharpness_every, reporter, self._emit, self.key)
            )
        if self.on_snapshot is not None:
            callbacks.append(_Snapshots(self.on_snapshot, self.snapshot_every, reporter))
        if config.optimizer in catalog.AVERAGED:
            callbacks.append(_AveragedWeights())
        # Traced and compiled here, so the training clock (from the reporter's start) counts
        # updates, not the second or more of tracing the first call of `fit` would carry.
        self._status("Preparing the training step...")
        compat.warm_up_train_function(model, batches.dataset, run.recorder.variables)
        self._status("Training...")
        self._emit(events.Started(self.key, info, self.label))
        try:
            model.fit(
                batches.dataset,
                epochs=config.epochs,
                validation_data=run.validation_batches(),
                shuffle=False,  # the batches come shuffled, see ShuffledBatches
                verbose=0,
                callbacks=callbacks,
            )
        finally:
            # Also when training raised: the steps so far go into the result (run() then marks
            # it failed), so a saved or exported run keeps its curves up to the error.
            reporter.finish()


class _SharpnessProbe(keras.callbacks.Callback):
    """Measures the run's sharpness at the start and at the first chunk end at or past every
    `every` steps (`trainers.sharpness.SharpnessTracker`), into the result and as events. Its
    time is kept off the training clock, as drawing the boundary is."""

    def __init__(self, tracker, every: int, reporter: _Reporter, emit: Listener, key: RunKey):
        super().__init__()
        self.tracker = tracker
        self.every = every
        self.reporter = reporter
        self.emit = emit
        self.key = key
        self.next_due = 0

    def on_train_begin(self, logs=None):
        self._measure(0)

    def on_train_batch_end(self, batch, logs=None):
        steps = self.reporter.steps
        if not steps or not len(steps[-1]) or self.reporter.diverged_at is not None:
            return
        step = int(steps[-1][-1])
        if step >= self.next_due:
            self._measure(step)

    def _measure(self, step: int) -> None:
        started = time.perf_counter()
        found = self.tracker.measure(self.model.optimizer)
        self.reporter.not_training += time.perf_counter() - started
        self.next_due = (step // self.every + 1) * self.every
        if found is None:
            return
        value, bound, quantity = found
        self.reporter.result.sharpness.append((step, value, bound))
        self.emit(events.SharpnessMeasured(self.key, step, value, bound, quantity))


class _AveragedWeights(keras.callbacks.Callback):
    """For an optimizer that evaluates on an average it keeps (schedule-free): each
    validation pass, and the model once trained (what is saved), use the averaged weights;
    training goes on from the weights it trains at."""

    def __init__(self):
        super().__init__()
        self.kept = None

    def _average(self) -> None:
        variables = self.model.trainable_variables
        averaged = compat.schedule_free_average(self.model.optimizer, variables)
        self.kept = [keras.ops.convert_to_numpy(v) for v in variables]
        for variable, value in zip(variables, averaged, strict=True):
            variable.assign(value)

    def on_test_begin(self, logs=None):
        if self.model.optimizer.built:
            self._average()

    def on_test_end(self, logs=None):
        if self.kept is not None:
            for variable, value in zip(self.model.trainable_variables, self.kept, strict=True):
                variable.assign(value)
            self.kept = None

    def on_train_end(self, logs=None):
        if self.model.optimizer.built:
            self._average()
            self.kept = None


def flat_weights(model) -> np.ndarray:
    """`model`'s trainable weights as one flat float32 array, in `trainable_variables` order."""
    parts = [np.asarray(v.numpy(), dtype=np.float32).ravel() for v in model.trainable_variables]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


class _Snapshots(keras.callbacks.Callback):
    """Hands the run's weights to `take(step, weights)` at the start, every `every` steps (at
    the chunk end reaching it) and at the end, off the training clock."""

    def __init__(self, take, every: int, reporter: _Reporter):
        super().__init__()
        self.take = take
        self.every = max(int(every), 1)
        self.reporter = reporter
        self.next_due = self.every
        self.last = -1

    def _snap(self, step: int) -> None:
        if step == self.last:
            return
        started = time.perf_counter()
        self.last = step
        self.take(step, flat_weights(self.model))
        self.reporter.not_training += time.perf_counter() - started

    def on_train_begin(self, logs=None):
        self._snap(0)

    def on_train_batch_end(self, batch, logs=None):
        steps = self.reporter.steps
        if not steps or not len(steps[-1]) or self.reporter.diverged_at is not None:
            return
        step = int(steps[-1][-1])
        if step >= self.next_due:
            self._snap(step)
            self.next_due = (step // self.every + 1) * self.every

    def on_train_end(self, logs=None):
        steps = [s for s in self.reporter.steps if len(s)]
        if steps and self.reporter.diverged_at is None:
            self._snap(int(steps[-1][-1]))


def unexpected_error(exc: Exception) -> str:
    """The message of a run ended by an error that is not one of ours."""
    return f"Training stopped with an unexpected error: {type(exc).__name__}: {exc}"


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class Member:
    """One run's compiled model and what trains it: made by `build_member`."""

    def __init__(self, **parts):
        self.config: RunConfig = parts["config"]
        self.data: Dataset = parts["data"]
        self.loss_name: str = parts["loss_name"]
        self.model: keras.Model = parts["model"]
        self.recorder: StepLossRecorder = parts["recorder"]
        self.rate = parts["rate"]  # effective_rate_function(optimizer), or None
        self.metric = parts["metric"]
        self.batch: int = parts["batch"]
        self.steps_per_epoch: int = parts["steps_per_epoch"]
        self.spe: int = parts["spe"]
        self.from_logits: bool = parts["from_logits"]
        self.y_train = models.prepare_labels(
            self.data.y_train, self.data.task, self.loss_name, self.data.n_classes
        )
        self.validation = None
        if len(self.data.x_val):
            y_val = models.prepare_labels(
                self.data.y_val, self.data.task, self.loss_name, self.data.n_classes
            )
            self.validation = (self.data.x_val, y_val)
        self.eval_batch = max(self.batch, build.VALIDATION_BATCH)

    def train_batches(self):
        """The training data in order, in evaluation batches (the epoch-0 losses)."""
        return build.ordered_batches(self.data.x_train, self.y_train, self.eval_batch)

    def validation_batches(self):
        if self.validation is None:
            return None
        return build.ordered_batches(*self.validation, self.eval_batch)


def build_member(
    config: RunConfig,
    data: Dataset,
    loss_name: str,
    *,
    inspect_optimizer: bool = False,
    steps_per_execution: int | None = None,
) -> Member:
    """Seed, build and compile the run's model with its optimizer, loss, metric and step
    recorder, under the run's distribution strategy. `steps_per_execution` overrides the
    run's own (a fused job's members share one)."""
    keras.utils.set_random_seed(config.seed)
    # Under a strategy the model, the optimizer and the metrics must be made in its scope
    # (their variables are mirrored on every device); fit and evaluate then use it.
    with distribute.strategy_scope(config.distribute):
        from_logits = bool(config.loss_options.get("from_logits", False))
        model = build.build_run_model(config, data, loss_name)
        n_train = len(data.x_train)
        batch = build.batch_size(config, n_train)
        steps_per_epoch = math.ceil(n_train / batch)
        replicas = distribute.replicas(config.distribute)
        if batch < replicas:
            raise ConfigError(
                f"A batch of {batch} samples cannot be shared between {replicas} devices: "
                f'use a batch size of at least {replicas}, or distribute = "none".'
            )
        distributed = replicas > 1 or config.distribute != "none"
        if distributed:
            spe = 1  # Keras 3.15 fails on several steps per call under a strategy (#19246)
        elif steps_per_execution is not None:
            spe = steps_per_execution
        elif config.steps_per_execution == "auto":
            spe = build.choose_steps_per_execution(model, batch, steps_per_epoch)
        else:
            spe = int(config.steps_per_execution)

        optimizer = build.build_run_optimizer(config, steps_per_epoch)
        loss = losses.get(loss_name, **config.loss_options)
        metric = models.metric_for(data.task, loss_name, from_logits)
        if not inspect_optimizer:
            recorder = StepLossRecorder(capacity=spe)
        elif distributed or not isinstance(optimizer, DescentOptimizer):
            recorder = StepLossRecorder(capacity=spe, watched=model.trainable_variables)
        else:
            recorder = StepLossRecorder(capacity=spe, optimizer=optimizer)
        # A plugin's plain Keras optimizer has no effective rate to read: its updates still are
        inspect_rate = inspect_optimizer and hasattr(optimizer, "effective_learning_rate")
        rate = effective_rate_function(optimizer) if inspect_rate else None
        model.compile(
            optimizer=optimizer,
            loss=loss,
            metrics=[metric, recorder],
            jit_compile=config.jit_compile,
            steps_per_execution=spe,
        )
        recorder.attach(model)
        # A saved model.keras must reload in plain Keras after `import trainers.keras_objects`:
        # record the compile settings without our per-step probes, not meant to be saved.
        compat.set_saved_compile_config(
            model,
            optimizer=optimizer,
            loss=loss,
            loss_weights=None,
            metrics=[metric],
            weighted_metrics=None,
            run_eagerly=False,
            steps_per_execution=spe,
            jit_compile=config.jit_compile,
        )
    return Member(
        config=config,
        data=data,
        loss_name=loss_name,
        model=model,
        recorder=recorder,
        rate=rate,
        metric=metric,
        batch=batch,
        steps_per_epoch=steps_per_epoch,
        spe=spe,
        from_logits=from_logits,
    )


def evaluate_logs(model: keras.Model, batches) -> dict[str, float]:
    """`model.evaluate` on `batches`, without our internal metrics."""
    logs = model.evaluate(batches, verbose=0, return_dict=True)
    return {k: float(v) for k, v in logs.items() if k not in INTERNAL_METRICS}


def run_info(config: RunConfig, data: Dataset, run: Member, initial_logs: dict) -> RunInfo:
    """What a run's `Started` event says about it (the views and the library read it)."""
    return RunInfo(
        config=config,
        dataset_summary=data.summary(),
        task=data.task,
        loss=run.loss_name,
        model_summary=models.describe(run.model),
        n_train=len(data.x_train),
        n_val=len(data.x_val),
        batch_size=run.batch,
        steps_per_epoch=run.steps_per_epoch,
        steps_per_execution=run.spe,
        total_steps=run.steps_per_epoch * config.epochs,
        metric=run.metric.name,
        device=distribute.description(config.distribute, build.device_description()),
        initial_logs=initial_logs,
        feature_names=data.feature_names,
        feature_scale=data.feature_scale,
        class_names=data.class_names,
        target_scale=data.target_scale,
        pixel_scale=raw_model.pixel_scale(data),
    )


class _Reporter(keras.callbacks.Callback):
    """Reads the true loss of each chunk of steps, checks for divergence, applies stop and pause.

    Kept cheap: it runs once per chunk of steps, reads one small buffer, and does no Python
    work that grows with the run.
    """

    def __init__(
        self,
        emit: Listener,
        key: RunKey,
        control: JobControl,
        info: RunInfo,
        result: RunResult,
        recorder: StepLossRecorder,
        batches: build.ShuffledBatches,
        *,
        hold: bool = True,
    ):
        """`hold=False`: the caller applies pause and stop between chunks (a fused group does,
        once for all its members), and adds the time paused to `not_training`."""
        super().__init__()
        self.hold = hold
        self.not_training = 0.0  # seconds paused or drawing the boundary, off the clock
        self.out_of_time = False  # its time budget ended it before its last epoch
        self.emit = emit
        self.key = key
        self.control = control
        self.info = info
        self.result = result
        self.recorder = recorder
        self.batches = batches
        self.rate = None  # effective_rate_function(optimizer) when inspecting the optimizer
        self.boundary: BoundaryProbe | None = None
        self.epoch_index = 0
        self.done_in_epoch = 0
        self.seen = 0  # rows of the recorder's ring buffer read this epoch
        self.steps: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.diverged_at: tuple[int, float] | None = None
        config = info.config
        optimizer = catalog.optimizer_info(config.optimizer)
        self.watch = advice.LossWatch(
            initial_loss=info.initial_logs["loss"],
            steps_per_epoch=info.steps_per_epoch,
            start_rate=config.learning_rate(),
            default_rate=float(optimizer.param("learning_rate").default),
            optimizer=optimizer.display_name,
            key=key,
        )

    def _boundary(self, epoch: int) -> None:
        if self.boundary is not None:
            self.emit(events.Boundary(self.key, epoch, self.boundary.probabilities()))

    def on_train_begin(self, logs=None):
        # The weights every update starts from: compare runs check they share them.
        self.result.initial_weights = [np.array(w) for w in self.model.get_weights()]
        self.recorder.start()
        self._boundary(0)
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_index = epoch
        self.done_in_epoch = 0
        self.batches.set_epoch(epoch)
        # Keras has just reset the metrics: the count starts again from 0 (what a validation
        # pass left in the buffer is overwritten before it is read).
        self.seen = 0

    def on_train_batch_begin(self, batch, logs=None):
        if self.control.stop_requested:
            self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        count = int(logs["step_loss_count"])
        rows = read_ring(np.asarray(logs["step_loss"], dtype=np.float64), count, self.seen)
        self.seen = count
        values = rows[:, 0]
        # Count the steps actually recorded: Keras's `batch` overshoots on a short last chunk.
        first = self.epoch_index * self.info.steps_per_epoch + self.done_in_epoch + 1
        self.done_in_epoch += len(values)
        steps = np.arange(first, first + len(values), dtype=np.int64)
        self.steps.append(steps)
        self.values.append(values)
        self.emit(events.Steps(self.key, steps, values))
        if self.rate is not None and len(steps):
            rate = np.array([float(self.rate())])
            sizes = update_sizes(rows[:, 1])
            self.emit(events.OptimizerSteps(self.key, steps, sizes, steps[-1:], rate))
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            self.diverged_at = (int(steps[bad[0]]), float(values[bad[0]]))
            self.model.stop_training = True
            return
        self.watch.add(values)
        if not self.hold:
            return
        held = time.perf_counter()
        stop = self.control.hold(
            on_pause=lambda: self.emit(events.Status(self.key, "Paused")),
            on_resume=lambda: self.emit(events.Status(self.key, "Training...")),
        )
        self.not_training += time.perf_counter() - held
        if stop:
            self.model.stop_training = True

    def training_seconds(self) -> float:
        """Seconds since the first update began, less the time paused or drawing the boundary."""
        return time.perf_counter() - self.started - self.not_training

    def on_epoch_end(self, epoch, logs=None):
        history = self.result.history
        clean = {
            k: float(v)
            for k, v in (logs or {}).items()
            if k not in INTERNAL_METRICS and k.removeprefix("val_") not in INTERNAL_METRICS
        }
        for key, value in clean.items():
            history.setdefault(key, []).append(value)
        self.result.epochs_done = epoch + 1
        seconds = self.training_seconds()
        self.result.epoch_times.append(seconds)
        self.emit(events.EpochEnded(self.key, epoch + 1, clean, seconds))
        if self.diverged_at is None and "loss" in clean:
            rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            for said in self.watch.epoch_ended(epoch + 1, clean["loss"], rate):
                self.emit(said)
        drawing = time.perf_counter()
        self._boundary(epoch + 1)
        self.not_training += time.perf_counter() - drawing
        budget = self.info.config.time_budget_s
        if budget is not None and seconds >= budget:
            self.out_of_time = True
            self.model.stop_training = True

    def finish(self) -> None:
        result = self.result
        if self.steps:
            result.step_numbers = np.concatenate(self.steps)
            result.step_losses = np.concatenate(self.values)
        if self.diverged_at is not None:
            step, value = self.diverged_at
            epoch = (step - 1) // self.info.steps_per_epoch + 1
            config = self.info.config
            cut = advice.rate_after_divergence(
                result.step_numbers,
                result.step_losses,
                config.learning_rate(),
                span=advice.smoothing_span(self.info.steps_per_epoch),
            )
            start = "starting rate" if config.schedule != "constant" else "rate"
            result.status = "diverged"
            result.message = (
                f"The loss became {value} at step {step} (epoch {epoch}): the run diverged. "
                f"The learning rate {cut.rate:g} is too high for "
                f"{catalog.optimizer_info(config.optimizer).display_name} here: {cut.reason()}. "
                f"Try a {start} of {cut.suggested:g}. The curves up to that step are kept."
            )
        elif self.control.stop_requested:
            result.status = "stopped"
            result.message = (
                f"Stopped by the user after {len(result.step_numbers)} steps "
                f"({result.epochs_done} full epochs)"
            )
        else:
            result.status = "completed"
            result.message = f"Completed {result.epochs_done} epochs"
            planned = self.info.config
            if self.out_of_time and result.epochs_done < planned.epochs:
                result.message += (
                    f" of {planned.epochs}: its time budget of {planned.time_budget_s:g} s of "
                    f"training ran out"
                )


def train(config: RunConfig, listener: Listener | None = None) -> RunResult:
    """Run `config` to the end in this thread (a convenience for scripts and the CLI)."""
    return TrainingSession(config, listener).run()


__all__ = ["TrainingSession", "train"]
