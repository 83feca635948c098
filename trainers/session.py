"""One training run, from a validated RunConfig to a history, reported as plain-Python events.

`TrainingSession.run()` works in the calling thread: the CLI calls it directly, the window's
worker calls it on its own QThread. `stop()`, `pause()` and `resume()` may be called from any
other thread; they take effect at the end of the chunk of steps in progress.

Step losses are the true loss of every update, not Keras's running epoch mean: a
`StepLossRecorder` metric writes each step's loss into a small buffer inside the compiled train
function, and the reporter reads it from the logs once per chunk of `steps_per_execution` steps. So
running many steps per call (much faster on small models) loses no point of the curve.
"""

from __future__ import annotations

import contextlib
import math
import platform
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from trainers import catalog, datasets, distribute, losses, models, optimizers
from trainers.config import RunConfig
from trainers.datasets import Dataset
from trainers.errors import ConfigError, DescentError, TrainingError
from trainers.optimizers._common import DescentOptimizer

# Aim for one chunk of steps every ~30 ms: 20-50 events a second whatever the model.
TARGET_CHUNK_SECONDS = 0.03
MAX_STEPS_PER_EXECUTION = 128
# Ours, not the user's: the per-step buffer of StepLossRecorder, kept out of the logs.
INTERNAL_METRICS = {"step_loss", "step_loss_count"}
VALIDATION_BATCH = 1024  # the validation loss is a mean over samples: big batches are faster
FIRST = "only_first_replica"  # how a metric variable that every device fills alike is read


@dataclass
class RunInfo:
    """What was built for a run, sent with the `started` event."""

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


@dataclass
class RunResult:
    """Everything a run produced. `status` is completed, stopped, diverged or failed."""

    config: RunConfig
    status: str = "failed"
    message: str = ""
    info: RunInfo | None = None
    step_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    step_losses: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_done: int = 0
    duration_s: float = 0.0
    epoch_times: list[float] = field(default_factory=list)  # seconds from the first step
    initial_weights: list[np.ndarray] = field(default_factory=list)
    model: Any = None

    @property
    def ok(self) -> bool:
        return self.status in ("completed", "stopped")

    def final(self, key: str) -> float | None:
        values = self.history.get(key) or []
        return values[-1] if values else None


class TrainingListener:
    """Receives a run's events. Override what you need; every method defaults to doing nothing.

    All events arrive on the thread that called `TrainingSession.run()`.
    """

    def on_status(self, text: str) -> None:
        """What the session is doing now, in a few words (loading data, compiling ...)."""

    def on_started(self, info: RunInfo) -> None:
        """The model is built and compiled; training starts."""

    def on_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        """New points of the step curve: step numbers (1-based, over the run) and losses."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """Epoch `epoch` (1-based) ended: loss, val_loss and the metric, training and validation."""

    def on_optimizer_steps(
        self,
        steps: np.ndarray,
        update_norms: np.ndarray,
        rate_steps: np.ndarray,
        learning_rates: np.ndarray,
    ) -> None:
        """Per update of `steps`: the size of the step ||w_t - w_(t-1)||; and the optimizer's
        effective learning rate (the median over weights) after each update of `rate_steps`,
        read once per chunk of steps: the chunk's last. Only when the session inspects the
        optimizer."""

    def on_boundary(self, epoch: int, probabilities: np.ndarray) -> None:
        """The model's class probabilities over `RunInfo.grid_axes` (rows follow y, columns x)
        after epoch `epoch` (0 = untrained): for 2-D classification datasets only."""

    def on_finished(self, result: RunResult) -> None:
        """The run completed or was stopped; `result` holds the whole history."""

    def on_failed(self, message: str, result: RunResult | None) -> None:
        """The run could not start (result None) or ended badly (diverged, error); history kept."""


class ForwardingListener(TrainingListener):
    """Passes every event on to `listener`. A wrapper that adds to some events (the run
    library, TensorBoard logs) overrides only those, and forwards them itself."""

    def __init__(self, listener: TrainingListener | None = None) -> None:
        self.listener = listener if listener is not None else TrainingListener()

    def on_status(self, text: str) -> None:
        self.listener.on_status(text)

    def on_started(self, info: RunInfo) -> None:
        self.listener.on_started(info)

    def on_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        self.listener.on_steps(steps, losses)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.listener.on_epoch_end(epoch, logs)

    def on_optimizer_steps(
        self,
        steps: np.ndarray,
        update_norms: np.ndarray,
        rate_steps: np.ndarray,
        learning_rates: np.ndarray,
    ) -> None:
        self.listener.on_optimizer_steps(steps, update_norms, rate_steps, learning_rates)

    def on_boundary(self, epoch: int, probabilities: np.ndarray) -> None:
        self.listener.on_boundary(epoch, probabilities)

    def on_finished(self, result: RunResult) -> None:
        self.listener.on_finished(result)

    def on_failed(self, message: str, result: RunResult | None) -> None:
        self.listener.on_failed(message, result)


def build_run_model(config: RunConfig, data: Dataset, loss_name: str) -> keras.Model:
    """The run's model: the user's `.keras` file, or the default network for `data`, with the
    output layer `loss_name` needs. Call it inside a distribution strategy's scope if any."""
    if config.model_path:
        return models.load_user_model(config.model_path, data)
    return models.build_model(
        data,
        loss_name,
        hidden_layers=config.hidden_layers,
        activation=config.activation,
        from_logits=bool(config.loss_options.get("from_logits", False)),
    )


def build_run_optimizer(config: RunConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The run's optimizer, its learning rate following the run's schedule."""
    hyper = dict(config.hyperparameters)
    hyper["learning_rate"] = make_schedule(config, steps_per_epoch)
    return optimizers.get(config.optimizer, **hyper)


def device_description() -> str:
    """Where TensorFlow trains: the GPUs it sees by name, or the CPU."""
    names = distribute.gpu_names()
    if not names:
        return f"CPU ({platform.processor() or platform.machine()})"
    return "GPU: " + ", ".join(names)


def load_dataset(config: RunConfig) -> Dataset:
    """The dataset a (validated) configuration asks for."""
    return datasets.get(
        config.dataset,
        validation_split=config.validation_split,
        seed=config.seed,
        target=config.target,
        **config.dataset_options,
    )


def choose_steps_per_execution(model: keras.Model, batch_size: int, steps_per_epoch: int) -> int:
    """How many steps to run per call so that chunks end about every TARGET_CHUNK_SECONDS.

    Estimated from the work of one step (about 6 floating-point operations per weight per
    sample, at 20 GFLOP/s) plus a fixed per-step overhead of 0.4 ms. Measured on a 2-core Xeon
    with Adam and the step recorder: 0.41-0.51 ms a step for MLPs of 490 and 9,610 weights
    (overhead), 25-68 GFLOP/s for MLPs of 0.3-0.7 million weights at batch 32-128. The earlier
    2 GFLOP/s and 0.3 ms made the row-1 workload's chunks 10 ms long (100 events a second) and
    gave models of 0.3 million weights one step per call.
    """
    flops = 6.0 * model.count_params() * batch_size
    step_seconds = 4e-4 + flops / 2e10
    steps = int(TARGET_CHUNK_SECONDS / step_seconds)
    return max(1, min(steps, steps_per_epoch, MAX_STEPS_PER_EXECUTION))


def epoch_order(n: int, seed: int, epoch: int):
    """The order in which epoch `epoch` (0-based) visits the `n` training samples.

    A pure function of (seed, epoch), so compare runs see the data in the same order, a rerun
    sees it again, and a test can rebuild it. TensorFlow tensor of int64 indices.
    """
    import tensorflow as tf

    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=key)


class ShuffledBatches:
    """The training batches, in `epoch_order(n, seed, epoch)` for the epoch being trained.

    Keras's own `shuffle=True` on arrays draws its permutation inside a seeded tf.data map that
    restarts with every epoch's iterator under `keras.utils.set_random_seed`: every epoch saw
    the batches in the same order, and the step curve showed the same spike at each epoch's
    start. Here the reporter sets `epoch` before each epoch's iterator is made.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch: int, seed: int):
        import tensorflow as tf

        n = len(x)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        xs, ys = tf.constant(x), tf.constant(y)
        order = tf.data.Dataset.from_tensors(0).flat_map(
            lambda _: tf.data.Dataset.from_tensor_slices(epoch_order(n, seed, self.epoch))
        )
        data = order.batch(batch).map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)))
        steps = math.ceil(n / batch)
        data = data.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(2)
        self.dataset = data.with_options(steady_pipeline())

    def set_epoch(self, epoch: int) -> None:
        self.epoch.assign(epoch)


def steady_pipeline():
    """tf.data options for our in-memory pipelines: no autotuning.

    They have nothing to tune (no parallel map, a fixed prefetch), but tf.data's autotuning
    thread still started with every epoch's iterator, and destroying the iterator at the next
    epoch's start waited for that thread, now and then for 300 ms (an epoch of the row-1
    benchmark is 250 ms; bench/bench_throughput.py).
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def ordered_batches(x: np.ndarray, y: np.ndarray, batch: int):
    """`x`, `y` for evaluation, as a tf.data pipeline in order with `steady_pipeline()`
    options (Keras would make one from the arrays with autotuning on, anew for every pass)."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).prefetch(1)
    return data.with_options(steady_pipeline())


def make_schedule(config: RunConfig, steps_per_epoch: int):
    """The learning rate as Keras takes it: a float, or a schedule over update steps."""
    rate = config.learning_rate()
    opts = config.schedule_options
    if config.schedule == "constant":
        return rate
    if config.schedule == "step":
        every = opts.get("every", 10) * steps_per_epoch
        return keras.optimizers.schedules.ExponentialDecay(
            rate, decay_steps=every, decay_rate=opts.get("factor", 0.5), staircase=True
        )
    if config.schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(
            rate, decay_steps=steps_per_epoch, decay_rate=opts.get("decay_rate", 0.9)
        )
    return keras.optimizers.schedules.CosineDecay(
        rate, decay_steps=config.epochs * steps_per_epoch, alpha=opts.get("alpha", 0.0)
    )


@contextlib.contextmanager
def _forget_traced_gradients():
    """Drop the gradient functions TensorFlow registered while training, when training ends.

    Keras's TensorFlow optimizer sums gradients through a `tf.custom_gradient`, which registers a
    new gradient function in TensorFlow's process-wide registry each time a train step is traced
    and never removes it; the function's closure holds the traced step's graph. That was 6-8 MB a
    run in one window session (bench/bench_memory.py). Once the run is over its train step is
    never traced again, so the entries added under `CustomGradient-*` names are dropped. The
    registry is private TensorFlow API: if it is not where it was, nothing is done.
    """
    try:
        from tensorflow.python.framework import ops as tf_ops

        registry = tf_ops._gradient_registry._registry
    except (ImportError, AttributeError):
        registry = None
    before = set(registry) if isinstance(registry, dict) else None
    try:
        yield
    finally:
        if before is not None:
            for name in [n for n in registry if n not in before]:
                if name.startswith("CustomGradient-"):
                    del registry[name]


class TrainingSession:
    """Runs one training run in the calling thread and reports it to a `TrainingListener`."""

    def __init__(
        self,
        config: RunConfig,
        listener: TrainingListener | None = None,
        *,
        inspect_optimizer: bool = False,
        boundary_resolution: int = 0,
        tensorboard_dir: str | Path | None = None,
    ):
        """`inspect_optimizer` reports the size of every update and the effective learning rate
        once per chunk of steps (a little slower); `boundary_resolution` > 0 reports the
        decision regions of 2-D classification data on a grid of that many points a side, after
        every epoch;
        `tensorboard_dir` also writes the curves there as TensorBoard event logs
        (`trainers.exports.TensorBoardListener`)."""
        self.config = config
        self.listener = listener or TrainingListener()
        self.tensorboard_dir = tensorboard_dir
        self.inspect_optimizer = inspect_optimizer
        self.boundary_resolution = boundary_resolution
        self.result: RunResult | None = None  # the run's result as it fills, once training starts
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()

    # ------------------------------------------------------------------ control, any thread
    def stop(self) -> None:
        """Stop at the end of the chunk in progress (also ends a pause)."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        """Hold training at the end of the chunk in progress until `resume()` or `stop()`."""
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # ------------------------------------------------------------------------------- run
    def run(self) -> RunResult:
        """Train; return the result. Bad input raises ConfigError/DatasetError after on_failed."""
        started = time.perf_counter()
        try:
            config = self.config.validate()
            if self.tensorboard_dir is not None:  # here, so a bad folder ends as bad input
                from trainers.exports import TensorBoardListener

                self.listener = TensorBoardListener(self.listener, self.tensorboard_dir)
            self.listener.on_status("Loading the dataset...")
            data = load_dataset(config)
            loss_name = config.loss or catalog.DEFAULT_LOSS[data.task]
            models.check_loss_fits(loss_name, data.task)
        except DescentError as exc:
            self.listener.on_failed(str(exc), None)
            raise
        result = self.result = RunResult(config=config)
        try:
            with _forget_traced_gradients():
                self._train(config, data, loss_name, result)
        except DescentError as exc:
            result.status, result.message = "failed", str(exc)
        except Exception as exc:  # the run must end in a message, never a dead worker
            result.status = "failed"
            result.message = (
                f"Training stopped with an unexpected error: {type(exc).__name__}: {exc}"
            )
        result.duration_s = time.perf_counter() - started
        if result.ok:
            self.listener.on_finished(result)
        else:
            self.listener.on_failed(result.message, result)
        return result

    def _train(self, config: RunConfig, data: Dataset, loss_name: str, result: RunResult) -> None:
        listener = self.listener
        listener.on_status("Building the model...")
        # Keras's clear_session() runs gc.collect() unless told not to. Off the main thread (the
        # window's engine thread) that could destroy Qt widgets held in garbage cycles on the
        # wrong thread, so there the window's own collector frees the memory instead.
        on_main_thread = threading.current_thread() is threading.main_thread()
        keras.backend.clear_session(free_memory=on_main_thread)
        keras.utils.set_random_seed(config.seed)
        # Under a strategy the model, the optimizer and the metrics must be made in its scope
        # (their variables are mirrored on every device); fit and evaluate then use it.
        with distribute.strategy_scope(config.distribute):
            from_logits = bool(config.loss_options.get("from_logits", False))
            model = build_run_model(config, data, loss_name)
            n_train = len(data.x_train)
            batch = n_train if config.batch_size == "full" else min(int(config.batch_size), n_train)
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
            elif config.steps_per_execution == "auto":
                spe = choose_steps_per_execution(model, batch, steps_per_epoch)
            else:
                spe = int(config.steps_per_execution)

            optimizer = build_run_optimizer(config, steps_per_epoch)
            loss = losses.get(loss_name, **config.loss_options)
            metric = models.metric_for(data.task, loss_name, from_logits)
            if not self.inspect_optimizer:
                recorder = StepLossRecorder(capacity=spe)
            elif distributed or not isinstance(optimizer, DescentOptimizer):
                recorder = StepLossRecorder(capacity=spe, watched=model.trainable_variables)
            else:
                recorder = StepLossRecorder(capacity=spe, optimizer=optimizer)
            rate = effective_rate_function(optimizer) if self.inspect_optimizer else None
            model.compile(
                optimizer=optimizer,
                loss=loss,
                metrics=[metric, recorder],
                jit_compile=config.jit_compile,
                steps_per_execution=spe,
            )
            recorder.attach(model)
            # A saved model.keras must reload in plain Keras after `import trainers`: record the
            # compile settings without our per-step probes, which are not meant to be saved.
            model._compile_config = type(model._compile_config)(
                optimizer=optimizer,
                loss=loss,
                loss_weights=None,
                metrics=[metric],
                weighted_metrics=None,
                run_eagerly=False,
                steps_per_execution=spe,
                jit_compile=config.jit_compile,
            )
        y_train = models.prepare_labels(data.y_train, data.task, loss_name, data.n_classes)
        validation = None
        if len(data.x_val):
            y_val = models.prepare_labels(data.y_val, data.task, loss_name, data.n_classes)
            validation = (data.x_val, y_val)

        # The untrained model's losses: epoch 0 of the curves, the baseline every run starts from.
        eval_batch = max(batch, VALIDATION_BATCH)
        initial = model.evaluate(
            ordered_batches(data.x_train, y_train, eval_batch), verbose=0, return_dict=True
        )
        initial_logs = {k: float(v) for k, v in initial.items() if k not in INTERNAL_METRICS}
        if validation is not None:
            val = model.evaluate(
                ordered_batches(*validation, eval_batch), verbose=0, return_dict=True
            )
            initial_logs.update(
                {f"val_{k}": float(v) for k, v in val.items() if k not in INTERNAL_METRICS}
            )
        info = RunInfo(
            config=config,
            dataset_summary=data.summary(),
            task=data.task,
            loss=loss_name,
            model_summary=models.describe(model),
            n_train=n_train,
            n_val=len(data.x_val),
            batch_size=batch,
            steps_per_epoch=steps_per_epoch,
            steps_per_execution=spe,
            total_steps=steps_per_epoch * config.epochs,
            metric=metric.name,
            device=distribute.description(config.distribute, device_description()),
            initial_logs=initial_logs,
        )
        boundary = None
        if self.boundary_resolution and data.task != "regression" and data.input_shape == (2,):
            boundary = BoundaryProbe(
                model,
                data.x_train,
                self.boundary_resolution,
                from_logits,
                loss_name == "binary_crossentropy",
            )
            info.points = (data.x_train, data.y_train)
            info.grid_axes = boundary.axes
        result.info = info
        result.model = model
        batches = ShuffledBatches(data.x_train, y_train, batch, config.seed)
        reporter = _Reporter(self, info, result, recorder, batches, rate, boundary)
        listener.on_status("Training...")
        listener.on_started(info)
        try:
            model.fit(
                batches.dataset,
                epochs=config.epochs,
                validation_data=None
                if validation is None
                else ordered_batches(*validation, eval_batch),
                shuffle=False,  # the batches come shuffled, see ShuffledBatches
                verbose=0,
                callbacks=[reporter],
            )
        finally:
            # Also when training raised: the steps so far go into the result (run() then marks
            # it failed), so a saved or exported run keeps its curves up to the error.
            reporter.finish()


def update_sizes(half_squared: np.ndarray) -> np.ndarray:
    """||w_t - w_(t-1)|| from the recorder's column of ||w_t - w_(t-1)||^2 / 2."""
    return np.sqrt(2.0 * np.maximum(half_squared, 0.0))


def read_ring(buffer: np.ndarray, count: int, seen: int) -> np.ndarray:
    """Rows `seen` .. `count - 1` of a ring buffer written at `i % len(buffer)`, oldest first."""
    return buffer[np.arange(seen, count) % len(buffer)]


class StepLossRecorder(keras.metrics.Metric):
    """Records the loss of every training step, and optionally the size of its update, in a
    ring buffer for the step curve and the optimizer's inside view.

    Keras's `logs["loss"]` is a running mean over the epoch, and with `steps_per_execution` > 1
    callbacks see only every k-th step. `attach(model)` (after compile) puts a `StepLossTracker`
    in place of the model's own loss tracker: it keeps that running mean as before, and hands
    each step's loss here, the very value Keras took the gradients of (regularization penalties
    included), without computing the loss a second time. This metric, which Keras updates
    after the optimizer's step, writes it at row `count % capacity`. Its result is the buffer
    and the count, so they come back with the train function's logs: the callback reads the new
    rows from there (`read_ring`) without a single eager operation of its own per chunk. Keras
    resets the count at the start of each epoch.

    With `optimizer`, one of ours, or the model's trainable `watched` weights, each row also
    holds half the squared size of the step's update, ||w_t - w_(t-1)||^2 / 2 (`update_sizes`
    takes the root): the optimizer sums it as it updates (`DescentOptimizer`), or, under a
    distribution strategy, this metric compares the weights with a flat copy kept since the
    last step (Keras computes metrics after `apply_gradients`, so the weights here are the
    updated ones). Every operation here runs at every step and costs a few microseconds on
    small models whatever its size, so there are few of them.

    Under a MirroredStrategy each device gets the loss of its part of the batch, and the logs
    add up the devices' buffers (their aggregation is "sum"): each device writes its row
    divided by the number of devices, so the sum is the mean over devices, the batch's loss and
    the update's size (the same on every device).
    """

    def __init__(
        self, capacity: int, watched=(), optimizer=None, name: str = "step_loss", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        # At least two rows: a one-row array would come out of Keras's logs as a float.
        self.capacity = max(int(capacity), 2)
        self.watched = [] if optimizer is not None else list(watched)
        self.columns = 2 if optimizer is not None or self.watched else 1
        self.from_optimizer = optimizer is not None
        self.buffer = self.add_variable(
            shape=(self.capacity, self.columns),
            initializer="zeros",
            name="buffer",
            aggregation="sum",
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", dtype="int32", name="count", aggregation=FIRST
        )
        # The step's loss, from the StepLossTracker (which Keras updates before this metric).
        self.latest = self.add_variable(shape=(), initializer="zeros", name="latest")
        if self.from_optimizer:
            self.half_squared = self.add_variable(shape=(), initializer="zeros", name="size")
            optimizer.record_update_sizes(self.half_squared)
        if self.watched:
            size = sum(math.prod(v.shape) for v in self.watched)
            # "first", not the default "sum": `start()` assigns it outside the devices, and a
            # "sum" variable would get 1/n of the weights on each of n devices.
            self.previous = self.add_variable(
                shape=(size,), initializer="zeros", name="previous", aggregation=FIRST
            )

    def attach(self, model: keras.Model) -> None:
        """Take each step's loss from `model`'s loss tracker (call after `model.compile`, in
        the same strategy scope). Keras 3 keeps the tracker in `model._loss_tracker`, a `Mean`
        named "loss", made by compile and updated by its train and test steps."""
        # Set past Keras's attribute tracking, as compile sets it: tracked, it would be listed
        # twice in `model.metrics`.
        object.__setattr__(model, "_loss_tracker", StepLossTracker(self))

    def _flat_weights(self):
        ops = keras.ops
        return ops.concatenate([ops.reshape(ops.cast(w, "float32"), (-1,)) for w in self.watched])

    def start(self) -> None:
        """Take the weights the first update starts from (call before training)."""
        if self.watched:
            self.previous.assign(self._flat_weights())
        self.count.assign(0)

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        row = self.latest.value
        if self.from_optimizer:
            row = ops.stack([row, self.half_squared.value])
        elif self.watched:
            import tensorflow as tf

            weights = self._flat_weights()
            half_squared = tf.nn.l2_loss(weights - self.previous)
            self.previous.assign(weights)
            row = ops.stack([row, half_squared])
        replicas = _replicas_in_sync()
        if replicas > 1:
            row = row / replicas
        index = ops.reshape(self.count % self.capacity, (1, 1))
        self.buffer.assign(
            ops.scatter_update(self.buffer, index, ops.reshape(row, (1, self.columns)))
        )
        self.count.assign(self.count + 1)

    def result(self):
        return {"step_loss": self.buffer, "step_loss_count": self.count}

    def reset_state(self):
        self.count.assign(0)  # the weight copy stays: it is the last step's weights


def _replicas_in_sync() -> int:
    """How many devices run this step together (1 outside a distribution strategy)."""
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    return context.num_replicas_in_sync if context is not None else 1


class StepLossTracker(keras.metrics.Mean):
    """Keras's loss tracker (the running mean in `logs["loss"]`) that also hands each step's
    loss to a `StepLossRecorder`."""

    def __init__(self, recorder: StepLossRecorder, name: str = "loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.recorder = recorder

    def update_state(self, values, sample_weight=None):
        super().update_state(values, sample_weight=sample_weight)
        self.recorder.latest.assign(keras.ops.cast(values, self.recorder.latest.dtype))


def effective_rate_function(optimizer):
    """A compiled function returning `optimizer.effective_learning_rate()` (eta for SGD,
    eta / (sqrt(s) + eps) over a median of weights for AdaGrad and RMSprop, ...) now.

    The rate follows the optimizer's state, which moves a little with each step; read once per
    chunk of steps (20-50 times a second) it costs one call instead of some twenty operations
    inside every step, a fifth of the training time of a small model.
    """
    import tensorflow as tf

    @tf.function(autograph=False)
    def rate():
        return keras.ops.cast(optimizer.effective_learning_rate(), "float32")

    return rate


class BoundaryProbe:
    """The model's class probabilities on a grid over 2-D inputs: the decision regions."""

    def __init__(self, model, x: np.ndarray, resolution: int, from_logits: bool, binary: bool):
        self.model = model
        self.from_logits = from_logits
        self.binary = binary
        low, high = x.min(axis=0), x.max(axis=0)
        margin = 0.1 * (high - low) + 1e-3
        xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution, dtype=np.float32)
        ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution, dtype=np.float32)
        self.axes = (xs, ys)
        gx, gy = np.meshgrid(xs, ys)
        self.points = np.stack([gx.ravel(), gy.ravel()], axis=1)
        self.shape = (resolution, resolution)

    def probabilities(self) -> np.ndarray:
        """Shape (resolution, resolution, classes); rows follow y, columns follow x."""
        out = keras.ops.convert_to_numpy(self.model(self.points, training=False))
        out = out.astype(np.float64)
        if self.binary:
            p = 1.0 / (1.0 + np.exp(-out)) if self.from_logits else out
            out = np.concatenate([1.0 - p, p], axis=1)
        elif self.from_logits:
            out = np.exp(out - out.max(axis=1, keepdims=True))
            out /= out.sum(axis=1, keepdims=True)
        return out.reshape(*self.shape, -1)


class _Reporter(keras.callbacks.Callback):
    """Reads the true loss of each chunk of steps, checks for divergence, applies stop and pause.

    Kept cheap: it runs once per chunk of steps, reads one small buffer, and does no Python
    work that grows with the run.
    """

    def __init__(
        self,
        session: TrainingSession,
        info: RunInfo,
        result: RunResult,
        recorder: StepLossRecorder,
        batches: ShuffledBatches,
        rate=None,
        boundary: BoundaryProbe | None = None,
    ):
        super().__init__()
        self.session = session
        self.info = info
        self.result = result
        self.listener = session.listener
        self.recorder = recorder
        self.batches = batches
        self.rate = rate  # effective_rate_function(optimizer) when inspecting the optimizer
        self.boundary = boundary
        self.epoch_index = 0
        self.done_in_epoch = 0
        self.seen = 0  # rows of the recorder's ring buffer read this epoch
        self.steps: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.diverged_at: tuple[int, float] | None = None

    def on_train_begin(self, logs=None):
        # The weights every update starts from: compare runs check they share them.
        self.result.initial_weights = [np.array(w) for w in self.model.get_weights()]
        self.recorder.start()
        if self.boundary is not None:
            self.listener.on_boundary(0, self.boundary.probabilities())
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_index = epoch
        self.done_in_epoch = 0
        self.batches.set_epoch(epoch)
        # Keras has just reset the metrics: the count starts again from 0 (what a validation
        # pass left in the buffer is overwritten before it is read).
        self.seen = 0

    def on_train_batch_begin(self, batch, logs=None):
        if self.session.stop_requested:
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
        self.listener.on_steps(steps, values)
        if self.rate is not None and len(steps):
            rate = np.array([float(self.rate())])
            self.listener.on_optimizer_steps(steps, update_sizes(rows[:, 1]), steps[-1:], rate)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            self.diverged_at = (int(steps[bad[0]]), float(values[bad[0]]))
            self.model.stop_training = True
            return
        session = self.session
        if not session._running.is_set():
            self.listener.on_status("Paused")
            while not session._running.wait(0.1):
                pass
            if not session.stop_requested:
                self.listener.on_status("Training...")
        if session.stop_requested:
            self.model.stop_training = True

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
        self.result.epoch_times.append(time.perf_counter() - self.started)
        self.listener.on_epoch_end(epoch + 1, clean)
        if self.boundary is not None:
            self.listener.on_boundary(epoch + 1, self.boundary.probabilities())

    def finish(self) -> None:
        result = self.result
        if self.steps:
            result.step_numbers = np.concatenate(self.steps)
            result.step_losses = np.concatenate(self.values)
        if self.diverged_at is not None:
            step, value = self.diverged_at
            epoch = (step - 1) // self.info.steps_per_epoch + 1
            rate = self.info.config.learning_rate()
            result.status = "diverged"
            result.message = (
                f"The loss became {value} at step {step} (epoch {epoch}): "
                f"the run diverged. The learning rate {rate:g} is probably too high for "
                f"{catalog.optimizer_info(self.info.config.optimizer).display_name} here; "
                f"try {rate / 10:g}. The curves up to that step are kept."
            )
        elif self.session.stop_requested:
            result.status = "stopped"
            result.message = (
                f"Stopped by the user after {len(result.step_numbers)} steps "
                f"({result.epochs_done} full epochs)"
            )
        else:
            result.status = "completed"
            result.message = f"Completed {result.epochs_done} epochs"


def train(config: RunConfig, listener: TrainingListener | None = None) -> RunResult:
    """Run `config` to the end in this thread (a convenience for scripts and the CLI)."""
    return TrainingSession(config, listener).run()


__all__ = [
    "ConfigError",
    "RunInfo",
    "RunResult",
    "TrainingError",
    "TrainingListener",
    "TrainingSession",
    "choose_steps_per_execution",
    "device_description",
    "train",
]
