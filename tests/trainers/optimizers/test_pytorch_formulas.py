"""Our AdamW, Adamax and Adam(amsgrad=True) against PyTorch's update rules, and our Lion against
Chen et al.'s and Keras's: 60 steps on a few weight tensors with random gradients.

PyTorch's rules are written out below in NumPy (float64) from the algorithms its documentation
gives for torch.optim.AdamW, torch.optim.Adamax and torch.optim.Adam; torch itself is not
needed. Each case sets PyTorch's own epsilon, 1e-8, on our side too (ours defaults to Keras's
1e-7). Two places where PyTorch's text needs reading with care:

- Adamax puts epsilon inside the maximum, `u = max(b2 * u, |g| + eps)`, not in the division.
- AMSGrad: the pseudo-code of the 1.x-2.0 documentation writes the maximum of the corrected
  `v_hat`, but torch's code (`torch.maximum(max_exp_avg_sqs[i], exp_avg_sq)`, then
  `max.sqrt() / sqrt(1 - b2^t) + eps`) keeps the maximum of `v` itself and corrects it with this
  step's `t`. EQUATIONS.md and our Adam follow the code, which is what torch computes; a test
  below shows the two readings differ here by far more than the tolerance, so the comparison
  tells them apart.

The tolerance is float32's, as for the NumPy references of EQUATIONS.md (`conformance`).
"""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.optimizers import conformance
from tests.trainers.optimizers.support import gradient_sequence
from trainers import optimizers

STEPS = 60
SHAPES = [(4, 3), (3,), (2, 3, 2)]
TORCH_EPS = 1e-8


def _weights() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    return [rng.normal(size=shape).astype(np.float32) for shape in SHAPES]


def _gradients() -> list[np.ndarray]:
    """Per step, one gradient per weight tensor: random signs, sizes drifting over time."""
    per_tensor = [gradient_sequence(STEPS, shape, seed=20 + i) for i, shape in enumerate(SHAPES)]
    return [[g[step] for g in per_tensor] for step in range(STEPS)]


# ------------------------------------------------- PyTorch's and Chen et al.'s rules, in NumPy


def _run(params, grads, step, **state):
    """`step(p, g, t, s)` on each tensor at each step; `s` its own state (`state`'s names, 0).
    Returns the tensors after every step: a list per step."""
    params = [np.array(p, dtype=np.float64) for p in params]
    states = [{name: np.zeros_like(p) for name in state} for p in params]
    path = []
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            params[i] = step(params[i], np.asarray(g, dtype=np.float64), t, states[i])
        path.append([p.copy() for p in params])
    return path


def torch_adam(params, grads, lr, betas, eps, amsgrad=False, weight_decay=0.0, decoupled=False):
    """torch.optim.Adam (and, `decoupled`, torch.optim.AdamW), `maximize=False`.

    for t = 1, 2, ...:
        AdamW:  theta <- theta - lr * lambda * theta
        Adam:   g <- g + lambda * theta                  (lambda = 0 in these tests)
        m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
        amsgrad: v_max <- max(v_max, v)                  (torch's code; see the module note)
        theta <- theta - lr / (1 - b1^t) * m / (sqrt(v or v_max) / sqrt(1 - b2^t) + eps)
    """
    b1, b2 = betas

    def step(theta, g, t, s):
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay:
            g = g + weight_decay * theta
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        second = s["v"]
        if amsgrad:
            s["v_max"] = np.maximum(s["v_max"], s["v"])
            second = s["v_max"]
        denominator = np.sqrt(second) / np.sqrt(1 - b2**t) + eps
        return theta - lr / (1 - b1**t) * s["m"] / denominator

    return _run(params, grads, step, m=0, v=0, v_max=0)


def torch_adamw(params, grads, lr, betas, eps, weight_decay, amsgrad=False):
    """torch.optim.AdamW: the decay theta <- theta (1 - lr * lambda) first, then Adam's step."""
    return torch_adam(params, grads, lr, betas, eps, amsgrad, weight_decay, decoupled=True)


def torch_amsgrad_as_the_docs_write_it(params, grads, lr, betas, eps):
    """The 1.x-2.0 documentation's literal AMSGrad: v_hat_max <- max(v_hat_max, v_hat), the
    maximum of the corrected values, then theta <- theta - lr m_hat / (sqrt(v_hat_max) + eps).
    Not what torch computes (see the module note): here only to show the two differ."""
    b1, b2 = betas

    def step(theta, g, t, s):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        s["v_hat_max"] = np.maximum(s["v_hat_max"], s["v"] / (1 - b2**t))
        return theta - lr * (s["m"] / (1 - b1**t)) / (np.sqrt(s["v_hat_max"]) + eps)

    return _run(params, grads, step, m=0, v=0, v_hat_max=0)


def torch_adamax(params, grads, lr, betas, eps, weight_decay=0.0):
    """torch.optim.Adamax:

    for t = 1, 2, ...:
        g <- g + lambda * theta                          (lambda = 0 in these tests)
        m <- b1 m + (1 - b1) g
        u <- max(b2 u, |g| + eps)
        theta <- theta - lr m / ((1 - b1^t) u)
    """
    b1, b2 = betas

    def step(theta, g, t, s):
        g = g + weight_decay * theta
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["u"] = np.maximum(b2 * s["u"], np.abs(g) + eps)
        return theta - lr * s["m"] / ((1 - b1**t) * s["u"])

    return _run(params, grads, step, m=0, u=0)


def chen_lion(params, grads, lr, beta1, beta2, wd):
    """Lion, Program 1 of Chen et al. (2023), "Symbolic Discovery of Optimization Algorithms":

    update = sign(beta1 * m + (1 - beta1) * g)
    m = beta2 * m + (1 - beta2) * g
    theta = theta - lr * (update + wd * theta)
    """

    def step(theta, g, t, s):
        update = np.sign(beta1 * s["m"] + (1 - beta1) * g)
        s["m"] = beta2 * s["m"] + (1 - beta2) * g
        return theta - lr * (update + wd * theta)

    return _run(params, grads, step, m=0)


# ------------------------------------------------------------------------------------- cases

CASES = {
    # id: (our optimizer and hyperparameters, the reference path's function of (w0, grads))
    "adamw-torch-defaults": (
        ("adamw", {"learning_rate": 1e-3, "epsilon": TORCH_EPS, "weight_decay_rate": 0.01}),
        lambda w, g: torch_adamw(
            w, g, lr=1e-3, betas=(0.9, 0.999), eps=TORCH_EPS, weight_decay=0.01
        ),
    ),
    "adamw-strong-decay": (
        (
            "adamw",
            {
                "learning_rate": 0.01,
                "beta_1": 0.8,
                "beta_2": 0.99,
                "epsilon": TORCH_EPS,
                "weight_decay_rate": 0.5,
            },
        ),
        lambda w, g: torch_adamw(w, g, lr=0.01, betas=(0.8, 0.99), eps=TORCH_EPS, weight_decay=0.5),
    ),
    "adamw-amsgrad": (
        (
            "adamw",
            {
                "learning_rate": 0.01,
                "beta_2": 0.9,
                "epsilon": TORCH_EPS,
                "weight_decay_rate": 0.1,
                "amsgrad": True,
            },
        ),
        lambda w, g: torch_adamw(
            w, g, lr=0.01, betas=(0.9, 0.9), eps=TORCH_EPS, weight_decay=0.1, amsgrad=True
        ),
    ),
    "adam-amsgrad-torch-defaults": (
        ("adam", {"learning_rate": 1e-3, "epsilon": TORCH_EPS, "amsgrad": True}),
        lambda w, g: torch_adam(w, g, lr=1e-3, betas=(0.9, 0.999), eps=TORCH_EPS, amsgrad=True),
    ),
    "adam-amsgrad-fast-v": (
        (
            "adam",
            {
                "learning_rate": 0.01,
                "beta_1": 0.8,
                "beta_2": 0.9,
                "epsilon": TORCH_EPS,
                "amsgrad": True,
            },
        ),
        lambda w, g: torch_adam(w, g, lr=0.01, betas=(0.8, 0.9), eps=TORCH_EPS, amsgrad=True),
    ),
    "adamax-torch-defaults": (
        ("adamax", {"learning_rate": 2e-3, "epsilon": TORCH_EPS}),
        lambda w, g: torch_adamax(w, g, lr=2e-3, betas=(0.9, 0.999), eps=TORCH_EPS),
    ),
    "adamax-fast-u": (
        ("adamax", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9, "epsilon": TORCH_EPS}),
        lambda w, g: torch_adamax(w, g, lr=0.01, betas=(0.8, 0.9), eps=TORCH_EPS),
    ),
    "lion-paper": (
        ("lion", {"learning_rate": 3e-3, "weight_decay_rate": 0.0}),
        lambda w, g: chen_lion(w, g, lr=3e-3, beta1=0.9, beta2=0.99, wd=0.0),
    ),
    "lion-decay": (
        ("lion", {"learning_rate": 3e-3, "beta_1": 0.8, "beta_2": 0.95, "weight_decay_rate": 1.0}),
        lambda w, g: chen_lion(w, g, lr=3e-3, beta1=0.8, beta2=0.95, wd=1.0),
    ),
}


def run_keras(optimizer, w0, grads, jit: bool = False) -> list[list[np.ndarray]]:
    """`grads` applied step by step to float32 variables starting at `w0` (under XLA with
    `jit`); the variables after every step."""
    variables = [keras.Variable(w) for w in w0]
    optimizer.build(variables)

    def step(gradients):
        optimizer.apply_gradients(zip(gradients, variables, strict=True))

    if jit:
        step = tf.function(step, jit_compile=True)
    path = []
    for gradients in grads:
        step([tf.constant(g) for g in gradients])
        path.append([np.array(v.numpy()) for v in variables])
    return path


def _largest(ours, reference) -> float:
    return max(
        float(np.max(np.abs(a - b)))
        for ours_step, reference_step in zip(ours, reference, strict=True)
        for a, b in zip(ours_step, reference_step, strict=True)
    )


def _assert_same_path(ours, reference) -> None:
    w0 = _weights()
    assert _largest([reference[-1]], [w0]) > 1e-2  # the weights travel
    for step, (ours_step, reference_step) in enumerate(zip(ours, reference, strict=True)):
        for i, (a, b) in enumerate(zip(ours_step, reference_step, strict=True)):
            np.testing.assert_allclose(
                a,
                b,
                rtol=conformance.RTOL,
                atol=conformance.ATOL,
                err_msg=f"tensor {i} after step {step + 1}",
            )


@functools.cache
def _paths(case_id: str, jit: bool):
    (name, hyperparameters), reference = CASES[case_id]
    w0, grads = _weights(), _gradients()
    return run_keras(optimizers.get(name, **hyperparameters), w0, grads, jit), reference(w0, grads)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "xla"])
@pytest.mark.parametrize("case_id", list(CASES))
def test_matches_the_published_rule(case_id, jit):
    ours, reference = _paths(case_id, jit)
    _assert_same_path(ours, reference)


@pytest.mark.parametrize("weight_decay", [0.0, 0.5])
def test_lion_matches_keras_lion(weight_decay):
    """keras.optimizers.Lion is the same rule; its decay is Keras's `weight_decay` keyword, which
    shrinks the weights by lr * wd * w before the step: the same decoupled decay."""
    w0, grads = _weights(), _gradients()
    ours = run_keras(
        optimizers.get("lion", learning_rate=3e-3, weight_decay_rate=weight_decay), w0, grads
    )
    theirs = run_keras(
        keras.optimizers.Lion(learning_rate=3e-3, weight_decay=weight_decay or None), w0, grads
    )
    _assert_same_path(ours, theirs)


def test_amsgrad_as_the_docs_write_it_is_a_different_rule():
    """The comparison tells the two readings of PyTorch's AMSGrad apart: the literal pseudo-code
    (maximum of the corrected v_hat) moves these weights far more than float32 rounding away
    from what torch computes (maximum of v), which is what our Adam matches."""
    w0, grads = _weights(), _gradients()
    computed = torch_adam(w0, grads, lr=0.01, betas=(0.8, 0.9), eps=TORCH_EPS, amsgrad=True)
    literal = torch_amsgrad_as_the_docs_write_it(
        w0, grads, lr=0.01, betas=(0.8, 0.9), eps=TORCH_EPS
    )
    assert _largest(computed, literal) > 100 * conformance.ATOL
    ours, _ = _paths("adam-amsgrad-fast-v", False)
    assert _largest(ours, literal) > 100 * conformance.ATOL


def test_report_largest_deviation(capsys):
    """Prints the largest |ours - reference| per case over 60 steps, eager and XLA."""
    largest = {
        case_id: max(_largest(*_paths(case_id, jit)) for jit in (False, True)) for case_id in CASES
    }
    with capsys.disabled():
        print(f"\nLargest |float32 ours - float64 published rule| over {STEPS} steps:")
        for case_id, deviation in largest.items():
            print(f"  {case_id:<28} {deviation:.3e}")
    assert all(deviation < 1e-4 for deviation in largest.values())
