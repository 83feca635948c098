"""Where our rule coincides with a Keras built-in (up to where epsilon goes), the paths agree.

Twenty steps on a (3, 2) float32 variable. Gradients have sizes in [0.5, 2] and random signs, so
the squared-gradient averages stay >= 0.025 and epsilon-placement differences stay eps-sized.
"""

import keras
import numpy as np
import pytest

from tests.trainers.optimizers.support import run_steps
from trainers import optimizers

STEPS = 20
W0 = np.array([[0.5, -1.0], [2.0, 0.0], [-0.3, 1.5]], dtype=np.float32)

# Same arithmetic in a different order (Keras keeps -lr * v instead of v): float32 rounding only.
FLOAT32 = {"rtol": 1e-6, "atol": 2e-6}
# Epsilon placement: Keras's Adagrad and RMSprop divide by sqrt(s + eps) instead of sqrt(s) + eps,
# and Keras's Adam, folding the corrections into the rate, divides by sqrt(v^) + eps / sqrt(1 -
# b2^t), an eps of up to 1e-7 / sqrt(0.001) = 3.2e-6. Each step then differs by a relative
# <= eps / sqrt(s) + eps / (2 s) with s >= 0.025 (Adam: v^ >= 0.25), i.e. <= 7e-6, and 20 steps
# of size <= 0.35 (Adagrad) or <= lr * 3.2 move the paths apart by at most ~4e-6 on top of the
# float32 rounding: 1e-5 covers that bound with a margin.
EPS_PLACEMENT = {"rtol": 1e-5, "atol": 1e-5}

CASES = [
    # (id, ours, Keras's, tolerance)
    ("sgd", ("sgd", {"learning_rate": 0.1}), keras.optimizers.SGD, {"learning_rate": 0.1}, FLOAT32),
    (
        "momentum-heavy-ball",
        ("momentum", {"learning_rate": 0.05, "momentum": 0.9, "ewma": False}),
        keras.optimizers.SGD,
        {"learning_rate": 0.05, "momentum": 0.9},
        FLOAT32,
    ),
    (
        "nesterov-heavy-ball",
        ("nesterov", {"learning_rate": 0.05, "momentum": 0.9, "ewma": False}),
        keras.optimizers.SGD,
        {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
        FLOAT32,
    ),
    # The average is heavy-ball's v times (1 - beta): Keras's rate scaled by (1 - beta) = 0.2.
    (
        "momentum-average",
        ("momentum", {"learning_rate": 0.1, "momentum": 0.8, "ewma": True}),
        keras.optimizers.SGD,
        {"learning_rate": 0.1 * (1 - 0.8), "momentum": 0.8},
        FLOAT32,
    ),
    (
        "nesterov-average",
        ("nesterov", {"learning_rate": 0.1, "momentum": 0.8, "ewma": True}),
        keras.optimizers.SGD,
        {"learning_rate": 0.1 * (1 - 0.8), "momentum": 0.8, "nesterov": True},
        FLOAT32,
    ),
    # Keras's Adagrad starts s at 0.1 by default: both are given s0 explicitly.
    (
        "adagrad",
        ("adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.1, "epsilon": 1e-7}),
        keras.optimizers.Adagrad,
        {"learning_rate": 0.1, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        EPS_PLACEMENT,
    ),
    # Keras's Adadelta keeps eps inside both roots, as we do: the same rule.
    (
        "adadelta",
        ("adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}),
        keras.optimizers.Adadelta,
        {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6},
        FLOAT32,
    ),
    (
        "rmsprop",
        ("rmsprop", {"learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7}),
        keras.optimizers.RMSprop,
        {"learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7},
        EPS_PLACEMENT,
    ),
    # Keras's Adam folds the corrections into the rate, which amounts to eps / sqrt(1 - b2^t) in
    # place of eps: an eps-sized difference, bounded as above.
    (
        "adam",
        ("adam", {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
        keras.optimizers.Adam,
        {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        EPS_PLACEMENT,
    ),
]


def _gradients() -> np.ndarray:
    rng = np.random.default_rng(7)
    sizes = rng.uniform(0.5, 2.0, size=(STEPS, *W0.shape))
    signs = rng.choice([-1.0, 1.0], size=(STEPS, *W0.shape))
    return (sizes * signs).astype(np.float32)


@pytest.mark.parametrize(
    "ours, keras_class, keras_hyperparameters, tolerance",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_agrees_with_keras_builtin(ours, keras_class, keras_hyperparameters, tolerance):
    name, hyperparameters = ours
    grads = _gradients()
    our_path = run_steps(optimizers.get(name, **hyperparameters), W0, grads)
    keras_path = run_steps(keras_class(**keras_hyperparameters), W0, grads)
    assert np.max(np.abs(keras_path[-1] - W0)) > 1e-2  # both actually moved
    np.testing.assert_allclose(our_path, keras_path, **tolerance)
