"""Building a run from its validated configuration: data, model, optimizer, schedule, batches.

Shared by the training session, comparisons and the multi-worker loop, so a run is built the
same way whichever of them trains it: `keras.utils.set_random_seed(config.seed)` right before
the model, the data visited in `epoch_order(n, seed, epoch)`, the learning rate following the
run's schedule. Keras and TensorFlow.
"""

from __future__ import annotations

import math
import platform
from pathlib import Path

import keras
import numpy as np

from trainers import catalog, datasets, distribute, models, optimizers, raw_model
from trainers.config import RunConfig
from trainers.datasets import Dataset
from trainers.errors import ConfigError

# Aim for one chunk of steps every ~30 ms: 20-50 events a second whatever the model.
TARGET_CHUNK_SECONDS = 0.03
MAX_STEPS_PER_EXECUTION = 128
VALIDATION_BATCH = 1024  # the validation loss is a mean over samples: big batches are faster


def loss_name(config: RunConfig, data: Dataset) -> str:
    """The run's loss: the one chosen, or the usual one for the data's task."""
    return config.loss or catalog.DEFAULT_LOSS[data.task]


def check_run(config: RunConfig, data: Dataset) -> str:
    """Refuse, before anything trains, a run whose loss, network or model does not fit `data`
    (a ConfigError that says what fits); return the run's loss name.

    The default network is built to fit; a user's `.keras` file is loaded here to look at its
    last layer (once more: the run builds its own copy, inside its strategy's scope)."""
    name = loss_name(config, data)
    models.check_loss_fits(name, data.task)
    check_architecture(config.architecture, data)
    if config.model_path:
        build_run_model(config, data, name)
    else:
        check_memory(config, data, name)
    return name


def memory_estimate(config: RunConfig, data: Dataset, loss: str):
    """`trainers.memory.Estimate` of training the default network of `config` on `data`."""
    from trainers import memory

    from_logits = bool(config.loss_options.get("from_logits", False))
    outputs = models.output_spec(data.task, loss, data.n_classes, from_logits).units
    cnn = len(data.input_shape) == 3 and config.architecture != "mlp"
    weights, per_sample = memory.default_network(
        tuple(data.input_shape), tuple(config.hidden_layers), outputs, cnn
    )
    batch = batch_size(config, len(data.x_train))
    amsgrad = bool(config.hyperparameters.get("amsgrad", False))
    return memory.estimate(config.optimizer, amsgrad, weights, per_sample, batch, VALIDATION_BATCH)


def check_memory(config: RunConfig, data: Dataset, loss: str, available: int | None = None) -> None:
    """Refuse a default network too big for the memory available (`available` bytes, default
    what the machine has now), with the estimate, before it is built."""
    from trainers import memory

    layers = ", ".join(str(units) for units in config.hidden_layers) or "none"
    memory.check_fits(
        memory_estimate(config, data, loss),
        memory.available_bytes() if available is None else available,
        f"This network (hidden layers {layers}, on {data.name})",
    )


def batch_size(config: RunConfig, n_train: int) -> int:
    """The run's batch in samples: "full" is every training sample; never more than there are."""
    return n_train if config.batch_size == "full" else min(int(config.batch_size), n_train)


def build_run_model(config: RunConfig, data: Dataset, loss_name: str) -> keras.Model:
    """The run's model: the user's `.keras` file, or the default network for `data` in the
    run's `architecture`, with the output layer `loss_name` needs; checked to fit the loss and
    the data before any training (`models.check_model_fits`: a ConfigError says what the last
    layer should be). Call it inside a distribution strategy's scope if any."""
    from_logits = bool(config.loss_options.get("from_logits", False))
    if config.model_path:
        # A model Descent saved takes raw rows (trainers.raw_model): train the network inside
        # it, or the data, standardized already, would be standardized twice.
        model = raw_model.unwrap_raw_model(models.load_user_model(config.model_path, data))
    else:
        check_architecture(config.architecture, data)
        model = models.build_model(
            data,
            loss_name,
            hidden_layers=config.hidden_layers,
            activation=config.activation,
            from_logits=from_logits,
            architecture=config.architecture,
        )
    models.check_model_fits(
        model,
        data.task,
        loss_name,
        data.n_classes,
        from_logits,
        source=Path(config.model_path).name if config.model_path else "The model",
    )
    return model


def check_architecture(architecture: str, data: Dataset) -> None:
    """Refuse a CNN for data that are not images, saying what fits."""
    if architecture == "cnn" and not data.is_image:
        shape = "x".join(map(str, data.input_shape))
        raise ConfigError(
            f"A CNN needs images (height x width x channels), and {data.name} has samples of "
            f"shape {shape}: choose the MLP (Network: MLP in the window, --architecture mlp)."
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
        seed=config.data_seed_value,
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
