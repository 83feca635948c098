"""Independent NumPy float64 versions of the update rules in EQUATIONS.md.

Written from the equations, not from our classes: each function takes the weights, the list of
gradients (one per step) and the hyperparameters, and returns the weights after every step.
"""

from __future__ import annotations

import numpy as np


def _walk(w0, grads, step, **state):
    """The weights after each of `grads`: `step(w, g, t, state)` returns the next weights and
    may update `state` (the optimizer's averages, starting at the values given, 0 by default)."""
    w = np.array(w0, dtype=np.float64)
    path = []
    for t, g in enumerate(grads, start=1):
        w = step(w, np.asarray(g, dtype=np.float64), t, state)
        path.append(w)
    return path


def sgd(w0, grads, learning_rate):
    return _walk(w0, grads, lambda w, g, t, s: w - learning_rate * g)


def momentum(w0, grads, learning_rate, momentum, ewma):
    beta = momentum

    def step(w, g, t, s):
        s["v"] = beta * s["v"] + (1 - beta) * g if ewma else beta * s["v"] + g
        return w - learning_rate * s["v"]

    return _walk(w0, grads, step, v=0.0)


def nesterov(w0, grads, learning_rate, momentum, ewma):
    beta = momentum

    def step(w, g, t, s):
        if ewma:
            s["v"] = beta * s["v"] + (1 - beta) * g
            return w - learning_rate * (beta * s["v"] + (1 - beta) * g)
        s["v"] = beta * s["v"] + g
        return w - learning_rate * (beta * s["v"] + g)

    return _walk(w0, grads, step, v=0.0)


def adagrad(w0, grads, learning_rate, initial_accumulator_value, epsilon):
    def step(w, g, t, s):
        s["s"] = s["s"] + g * g
        return w - learning_rate * g / (np.sqrt(s["s"]) + epsilon)

    return _walk(w0, grads, step, s=initial_accumulator_value)


def adadelta(w0, grads, learning_rate, rho, epsilon):
    def step(w, g, t, s):
        s["a"] = rho * s["a"] + (1 - rho) * g * g
        u = np.sqrt(s["d"] + epsilon) / np.sqrt(s["a"] + epsilon) * g
        s["d"] = rho * s["d"] + (1 - rho) * u * u
        return w - learning_rate * u

    return _walk(w0, grads, step, a=0.0, d=0.0)


def rmsprop(w0, grads, learning_rate, rho, epsilon):
    def step(w, g, t, s):
        s["s"] = rho * s["s"] + (1 - rho) * g * g
        return w - learning_rate * g / (np.sqrt(s["s"]) + epsilon)

    return _walk(w0, grads, step, s=0.0)


def adam(w0, grads, learning_rate, beta_1, beta_2, epsilon):
    def step(w, g, t, s):
        s["m"] = beta_1 * s["m"] + (1 - beta_1) * g
        s["v"] = beta_2 * s["v"] + (1 - beta_2) * g * g
        m_hat = s["m"] / (1 - beta_1**t)
        v_hat = s["v"] / (1 - beta_2**t)
        return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)

    return _walk(w0, grads, step, m=0.0, v=0.0)


def adam_amsgrad(w0, grads, learning_rate, beta_1, beta_2, epsilon, amsgrad):
    """Adam, or with `amsgrad` AMSGrad: the largest v so far, corrected with this step's t."""
    if not amsgrad:
        return adam(w0, grads, learning_rate, beta_1, beta_2, epsilon)

    def step(w, g, t, s):
        s["m"] = beta_1 * s["m"] + (1 - beta_1) * g
        s["v"] = beta_2 * s["v"] + (1 - beta_2) * g * g
        s["vmax"] = np.maximum(s["vmax"], s["v"])
        m_hat = s["m"] / (1 - beta_1**t)
        v_hat = s["vmax"] / (1 - beta_2**t)
        return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)

    return _walk(w0, grads, step, m=0.0, v=0.0, vmax=0.0)


def adamw(w0, grads, learning_rate, beta_1, beta_2, epsilon, weight_decay_rate, amsgrad):
    """The weights shrink by eta * lambda first; then Adam's step (AMSGrad's with `amsgrad`)."""

    def step(w, g, t, s):
        w = w * (1 - learning_rate * weight_decay_rate)
        s["m"] = beta_1 * s["m"] + (1 - beta_1) * g
        s["v"] = beta_2 * s["v"] + (1 - beta_2) * g * g
        s["vmax"] = np.maximum(s["vmax"], s["v"]) if amsgrad else s["v"]
        m_hat = s["m"] / (1 - beta_1**t)
        v_hat = s["vmax"] / (1 - beta_2**t)
        return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)

    return _walk(w0, grads, step, m=0.0, v=0.0, vmax=0.0)


def adamax(w0, grads, learning_rate, beta_1, beta_2, epsilon):
    def step(w, g, t, s):
        s["m"] = beta_1 * s["m"] + (1 - beta_1) * g
        s["u"] = np.maximum(beta_2 * s["u"], np.abs(g) + epsilon)
        return w - learning_rate / (1 - beta_1**t) * s["m"] / s["u"]

    return _walk(w0, grads, step, m=0.0, u=0.0)


def lion(w0, grads, learning_rate, beta_1, beta_2, weight_decay_rate):
    def step(w, g, t, s):
        c = beta_1 * s["m"] + (1 - beta_1) * g
        w = w - learning_rate * (np.sign(c) + weight_decay_rate * w)
        s["m"] = beta_2 * s["m"] + (1 - beta_2) * g
        return w

    return _walk(w0, grads, step, m=0.0)
