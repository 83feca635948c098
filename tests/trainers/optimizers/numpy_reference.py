"""Independent NumPy float64 versions of the update rules in EQUATIONS.md.

Written from the equations, not from our classes: each function takes the weights, the list of
gradients (one per step) and the hyperparameters, and returns the weights after every step.
"""

from __future__ import annotations

import numpy as np


def _steps(w0, grads):
    return np.array(w0, dtype=np.float64), [np.asarray(g, dtype=np.float64) for g in grads]


def sgd(w0, grads, learning_rate):
    w, grads = _steps(w0, grads)
    path = []
    for g in grads:
        w = w - learning_rate * g
        path.append(w)
    return path


def momentum(w0, grads, learning_rate, momentum, ewma):
    w, grads = _steps(w0, grads)
    beta = momentum
    v = np.zeros_like(w)
    path = []
    for g in grads:
        v = beta * v + (1 - beta) * g if ewma else beta * v + g
        w = w - learning_rate * v
        path.append(w)
    return path


def nesterov(w0, grads, learning_rate, momentum, ewma):
    w, grads = _steps(w0, grads)
    beta = momentum
    v = np.zeros_like(w)
    path = []
    for g in grads:
        if ewma:
            v = beta * v + (1 - beta) * g
            w = w - learning_rate * (beta * v + (1 - beta) * g)
        else:
            v = beta * v + g
            w = w - learning_rate * (beta * v + g)
        path.append(w)
    return path


def adagrad(w0, grads, learning_rate, initial_accumulator_value, epsilon):
    w, grads = _steps(w0, grads)
    s = np.full_like(w, initial_accumulator_value)
    path = []
    for g in grads:
        s = s + g * g
        w = w - learning_rate * g / (np.sqrt(s) + epsilon)
        path.append(w)
    return path


def adadelta(w0, grads, learning_rate, rho, epsilon):
    w, grads = _steps(w0, grads)
    a = np.zeros_like(w)
    d = np.zeros_like(w)
    path = []
    for g in grads:
        a = rho * a + (1 - rho) * g * g
        u = np.sqrt(d + epsilon) / np.sqrt(a + epsilon) * g
        d = rho * d + (1 - rho) * u * u
        w = w - learning_rate * u
        path.append(w)
    return path


def rmsprop(w0, grads, learning_rate, rho, epsilon):
    w, grads = _steps(w0, grads)
    s = np.zeros_like(w)
    path = []
    for g in grads:
        s = rho * s + (1 - rho) * g * g
        w = w - learning_rate * g / (np.sqrt(s) + epsilon)
        path.append(w)
    return path


def adam(w0, grads, learning_rate, beta_1, beta_2, epsilon):
    w, grads = _steps(w0, grads)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    path = []
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        m_hat = m / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        w = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        path.append(w)
    return path
