"""Where a run trains: one device, or every GPU at once with `tf.distribute.MirroredStrategy`.

A RunConfig's `distribute` is "none" (the default: TensorFlow's default device) or "mirrored".
Mirrored training keeps a copy of the model on every device, splits each global batch of
`batch_size` samples evenly between them, and adds up their gradients before the one update, so
a run takes the same steps as on one device, only spread out. The model, the optimizer and the
metrics must all be created inside `strategy.scope()`: Keras's TensorFlow optimizer remembers
the strategy it was made under, and variables made outside it would not be mirrored.

The devices are the GPUs TensorFlow sees; on a machine without one, every CPU device, which is
one unless a program split the CPU into logical devices before TensorFlow started (the tests do,
to check two replicas without a GPU). Several machines are another matter: see docs/scaling.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
from typing import Any

import numpy as np

from trainers import catalog
from trainers.config import RunConfig
from trainers.errors import ConfigError


def gpu_names() -> list[str]:
    """The GPUs TensorFlow sees, by the name the driver gives (empty when there is none)."""
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return names


def mirrored_devices() -> list[str]:
    """The devices a mirrored run spreads over: every GPU, or else every logical CPU device."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    devices = gpus or tf.config.list_logical_devices("CPU")
    return [device.name for device in devices]


@functools.cache
def mirrored_strategy():
    """The process's one MirroredStrategy over `mirrored_devices()`.

    Made once: each strategy sets up its own cross-device machinery, and the devices cannot
    change once TensorFlow has started.
    """
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(devices=mirrored_devices())


def strategy_scope(distribute: str) -> contextlib.AbstractContextManager:
    """The scope to build, compile and train a model in for `distribute` ("none": no-op)."""
    if distribute == "none":
        return contextlib.nullcontext()
    if distribute == "mirrored":
        return mirrored_strategy().scope()
    raise ConfigError(
        f'Unknown `distribute` {distribute!r}: use "none" (one device) or "mirrored".'
    )


def replicas(distribute: str) -> int:
    """How many copies of the model a run with `distribute` trains at once."""
    return 1 if distribute == "none" else mirrored_strategy().num_replicas_in_sync


def description(distribute: str, device: str) -> str:
    """`device` (from `session.device_description()`), with the replicas of a mirrored run."""
    if distribute == "none":
        return device
    count = replicas(distribute)
    if count == 1:
        return f"{device}, mirrored over 1 device (nothing to share the work with)"
    return f"{device}, mirrored over {count} devices"


# ----------------------------------------------------------------------- several machines
# Keras 3.15's `fit` fails under MultiWorkerMirroredStrategy before its first step (it reduces a
# sample batch across workers with a call the collective ops refuse; docs/scaling.md has the
# error). The loop below trains the same model, optimizer, loss and batch order as a session's
# `fit` would, with `strategy.run`, which works: a lab can spread one run over several machines.


def multi_worker_strategy():
    """A MultiWorkerMirroredStrategy for the cluster that the `TF_CONFIG` variable describes.

    Make it first thing in the program, before anything else touches TensorFlow: it sets up the
    connections between the workers, and each worker waits here until all have started.
    """
    import json
    import os

    text = os.environ.get("TF_CONFIG", "")
    try:
        spec = json.loads(text)
        workers, index = spec["cluster"]["worker"], int(spec["task"]["index"])
    except (ValueError, KeyError, TypeError):
        raise ConfigError(
            "Training on several machines needs TF_CONFIG, e.g. "
            '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
            '"task": {"type": "worker", "index": 0}} (this machine\'s place in the list). '
            f"Received: TF_CONFIG={text!r}"
        ) from None
    if not 0 <= index < len(workers):
        raise ConfigError(
            f"TF_CONFIG's task index {index} is not a place in its list of "
            f"{len(workers)} workers: number the machines from 0."
        )
    import tensorflow as tf

    return tf.distribute.MultiWorkerMirroredStrategy()


@dataclasses.dataclass
class MultiWorkerRun:
    """What `train_multi_worker` produced: every worker returns the same one."""

    step_losses: np.ndarray  # the loss of every update over the global batch, as a session's
    epoch_losses: list[float]  # the mean step loss of each epoch
    model: Any


def train_multi_worker(config: RunConfig, strategy=None) -> MultiWorkerRun:
    """Train `config` with every replica of `strategy` taking an equal share of each batch.

    Each worker runs this with the same `config`; all load the same data and visit it in the
    session's `epoch_order`, and each takes its share of every global batch of `batch_size`
    samples. `strategy` defaults to the current one (one device), which gives the reference a
    multi-worker run is compared with. The batch size must divide between the replicas.
    """
    import keras
    import tensorflow as tf

    from trainers import losses, models
    from trainers.session import (
        build_run_model,
        build_run_optimizer,
        epoch_order,
        load_dataset,
    )

    config = config.validate()
    if config.model_path:
        raise ConfigError("Training on several machines builds its own model: leave out model.")
    strategy = strategy or tf.distribute.get_strategy()
    data = load_dataset(config)
    loss_name = config.loss or catalog.DEFAULT_LOSS[data.task]
    models.check_loss_fits(loss_name, data.task)
    n = len(data.x_train)
    batch = n if config.batch_size == "full" else min(int(config.batch_size), n)
    count = strategy.num_replicas_in_sync
    if batch % count:
        raise ConfigError(
            f"A batch of {batch} samples does not split evenly between {count} replicas: "
            f"choose a batch size that is a multiple of {count}."
        )
    steps_per_epoch = math.ceil(n / batch)
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        model = build_run_model(config, data, loss_name)
        optimizer = build_run_optimizer(config, steps_per_epoch)
        loss_fn = losses.get(loss_name, **config.loss_options)
    y_train = models.prepare_labels(data.y_train, data.task, loss_name, data.n_classes)
    # Each worker keeps its share of every batch: split the elements, not the (one) file.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA

    @tf.function
    def train_step(batch_data):
        def replica_step(x, y):
            with tf.GradientTape() as tape:
                # A Keras loss called on one replica returns its share divided by the number
                # of replicas, so the gradients the optimizer adds up are those of the mean.
                loss = loss_fn(y, model(x, training=True))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            return loss

        shares = strategy.run(replica_step, args=batch_data)
        return strategy.reduce("SUM", shares, axis=None)

    step_losses: list[float] = []
    epoch_losses: list[float] = []
    for epoch in range(config.epochs):
        order = epoch_order(n, config.seed, epoch).numpy()
        epoch_data = tf.data.Dataset.from_tensor_slices((data.x_train[order], y_train[order]))
        epoch_data = epoch_data.batch(batch).with_options(options)
        first = len(step_losses)
        for batch_data in strategy.experimental_distribute_dataset(epoch_data):
            step_losses.append(float(train_step(batch_data)))
        epoch_losses.append(float(np.mean(step_losses[first:])))
    return MultiWorkerRun(np.array(step_losses, dtype=np.float64), epoch_losses, model)
