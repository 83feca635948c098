"""Many steps of each optimizer against the NumPy float64 reference of its EQUATIONS.md rule.

Each case runs 64 steps on a (3, 2) float32 variable with gradients that change in size and sign,
eagerly and under `tf.function(jit_compile=True)`. The tolerance is float32's: the reference is
exact to ~1e-16, so any gap is our rounding, or a wrong rule.
"""

import functools

import numpy as np
import pytest

from tests.trainers.optimizers import numpy_reference
from tests.trainers.optimizers.support import gradient_sequence, run_steps
from trainers import optimizers

STEPS = 64
W0 = np.array([[0.5, -1.0], [2.0, 0.0], [-0.3, 1.5]], dtype=np.float32)
RTOL, ATOL = 1e-5, 1e-6

# (case id, optimizer, hyperparameters): every hyperparameter given, most away from its default.
CASES = [
    ("sgd", "sgd", {"learning_rate": 0.1}),
    ("momentum-average", "momentum", {"learning_rate": 0.1, "momentum": 0.8, "ewma": True}),
    ("momentum-heavy-ball", "momentum", {"learning_rate": 0.02, "momentum": 0.9, "ewma": False}),
    ("nesterov-average", "nesterov", {"learning_rate": 0.1, "momentum": 0.8, "ewma": True}),
    ("nesterov-heavy-ball", "nesterov", {"learning_rate": 0.02, "momentum": 0.9, "ewma": False}),
    (
        "adagrad",
        "adagrad",
        {"learning_rate": 0.1, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    ),
    (
        "adagrad-from-zero",
        "adagrad",
        {"learning_rate": 0.05, "initial_accumulator_value": 0.0, "epsilon": 1e-7},
    ),
    ("adadelta", "adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4}),
    ("adadelta-defaults", "adadelta", {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-7}),
    ("rmsprop", "rmsprop", {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-7}),
    (
        "adam",
        "adam",
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-7},
    ),
    (
        "adam-defaults",
        "adam",
        {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    ),
]
_BY_ID = {case_id: (name, hp) for case_id, name, hp in CASES}


@functools.cache
def _paths(case_id: str, jit: bool) -> tuple[np.ndarray, np.ndarray]:
    """(our float32 path, the float64 reference path); cached so the report reuses the runs."""
    name, hyperparameters = _BY_ID[case_id]
    grads = gradient_sequence(STEPS, W0.shape, seed=len(case_id))
    ours = run_steps(optimizers.get(name, **hyperparameters), W0, grads, jit=jit)
    reference = np.stack(numpy_reference.RULES[name](W0, grads, **hyperparameters))
    return ours, reference


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "xla"])
@pytest.mark.parametrize("case_id", list(_BY_ID))
def test_matches_numpy_reference(case_id, jit):
    ours, reference = _paths(case_id, jit)
    # The weights must actually travel, or a do-nothing optimizer would pass.
    assert np.max(np.abs(reference[-1] - W0)) > 1e-2
    np.testing.assert_allclose(ours, reference, rtol=RTOL, atol=ATOL)


def test_report_largest_deviation(capsys):
    """Prints the largest |ours - reference| per optimizer over all its cases, eager and XLA."""
    largest: dict[str, float] = {}
    for case_id, name, _ in CASES:
        for jit in (False, True):
            ours, reference = _paths(case_id, jit)
            deviation = float(np.max(np.abs(ours - reference)))
            largest[name] = max(largest.get(name, 0.0), deviation)
    with capsys.disabled():
        print(f"\nLargest |float32 - float64 reference| over {STEPS} steps, eager and XLA:")
        for name, deviation in largest.items():
            print(f"  {name:<9} {deviation:.3e}")
    assert set(largest) == set(optimizers.CLASSES)
    assert all(deviation < 1e-4 for deviation in largest.values())
