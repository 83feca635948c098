"""Training one run on several machines at once, with `MultiWorkerMirroredStrategy`.

Keras 3.15's `fit` fails under MultiWorkerMirroredStrategy before its first step (it reduces a
sample batch across workers with a call the collective ops refuse; docs/scaling.md has the
error). The loop here trains the same model, optimizer, loss and batch order as a session's
`fit` would, with `strategy.run`, which works: a lab can spread one run over several machines.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import keras
import numpy as np

from trainers import build, losses, models
from trainers.config import RunConfig
from trainers.errors import ConfigError


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
    import tensorflow as tf

    config = config.validate()
    if config.model_path:
        raise ConfigError("Training on several machines builds its own model: leave out model.")
    strategy = strategy or tf.distribute.get_strategy()
    data = build.load_dataset(config)
    loss_name = build.loss_name(config, data)
    models.check_loss_fits(loss_name, data.task)
    n = len(data.x_train)
    batch = build.batch_size(config, n)
    count = strategy.num_replicas_in_sync
    if batch % count:
        raise ConfigError(
            f"A batch of {batch} samples does not split evenly between {count} replicas: "
            f"choose a batch size that is a multiple of {count}."
        )
    steps_per_epoch = math.ceil(n / batch)
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        model = build.build_run_model(config, data, loss_name)
        optimizer = build.build_run_optimizer(config, steps_per_epoch)
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
        order = build.epoch_order(n, config.data_seed_value, epoch).numpy()
        epoch_data = tf.data.Dataset.from_tensor_slices((data.x_train[order], y_train[order]))
        epoch_data = epoch_data.batch(batch).with_options(options)
        first = len(step_losses)
        for batch_data in strategy.experimental_distribute_dataset(epoch_data):
            step_losses.append(float(train_step(batch_data)))
        epoch_losses.append(float(np.mean(step_losses[first:])))
    return MultiWorkerRun(np.array(step_losses, dtype=np.float64), epoch_losses, model)
