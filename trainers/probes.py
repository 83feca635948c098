"""The in-graph probes of a training run: what each step's loss was, how far its update moved
the weights, the optimizer's effective learning rate, and the decision regions.

They run inside Keras's compiled train function (or, for the rate and the regions, once per
chunk of steps or per epoch), so they cost little whatever `steps_per_execution` is, and the
session reads their values from the train function's logs without eager work of its own.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from trainers import compat

# Ours, not the user's: the per-step buffer of StepLossRecorder, kept out of the logs.
INTERNAL_METRICS = {"step_loss", "step_loss_count"}
FIRST = "only_first_replica"  # how a metric variable that every device fills alike is read


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
        the same strategy scope): a `StepLossTracker` takes the place of Keras's own."""
        compat.replace_loss_tracker(model, StepLossTracker(self))

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
