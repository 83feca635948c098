"""Helpers the optimizer tests share: drive an optimizer over a gradient sequence."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def gradient_sequence(steps: int, shape=(3, 2), seed: int = 0) -> np.ndarray:
    """`steps` gradients that vary in size and sign, like a noisy descent: float32."""
    rng = np.random.default_rng(seed)
    scale = 1.0 + 0.5 * np.sin(np.arange(steps) / 5.0)  # the size drifts over time
    grads = rng.normal(size=(steps, *shape)) * scale.reshape(-1, *([1] * len(shape)))
    return grads.astype(np.float32)


def run_steps(optimizer, w0, grads, jit: bool = False) -> np.ndarray:
    """Apply `grads` one step at a time to a float32 variable starting at `w0`.

    With `jit`, each step runs in a `tf.function(jit_compile=True)`, as `model.fit` does with
    `jit_compile=True`. Returns the weights after every step, shape (steps, *w0.shape).
    """
    variable = keras.Variable(np.asarray(w0, dtype=np.float32))
    optimizer.build([variable])

    def step(gradient):
        optimizer.apply_gradients([(gradient, variable)])

    if jit:
        step = tf.function(step, jit_compile=True)
    path = []
    for gradient in grads:
        step(tf.constant(gradient, dtype=tf.float32))
        path.append(np.array(variable.numpy()))
    return np.stack(path)
