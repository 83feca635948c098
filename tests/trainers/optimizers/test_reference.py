"""Many steps of each optimizer against the NumPy float64 reference of its EQUATIONS.md rule.

Each case runs 64 steps on a (3, 2) float32 variable with gradients that change in size and sign,
eagerly and under `tf.function(jit_compile=True)`. The tolerance is float32's: the reference is
exact to ~1e-16, so any gap is our rounding, or a wrong rule.
"""

import functools

import numpy as np
import pytest

from tests.trainers.optimizers import conformance
from tests.trainers.optimizers.records import cases
from trainers import optimizers

STEPS = conformance.STEPS
CASES = cases()  # (case id, optimizer, hyperparameters): every hyperparameter given
_BY_ID = {case_id: (name, hp) for case_id, name, hp in CASES}


@functools.cache
def _paths(case_id: str, jit: bool) -> tuple[np.ndarray, np.ndarray]:
    """(our float32 path, the float64 reference path); cached so the report reuses the runs."""
    name, hyperparameters = _BY_ID[case_id]
    return conformance.rule_paths(name, case_id, hyperparameters, jit)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "xla"])
@pytest.mark.parametrize("case_id", list(_BY_ID))
def test_matches_numpy_reference(case_id, jit):
    ours, reference = _paths(case_id, jit)
    # The weights must actually travel, or a do-nothing optimizer would pass.
    assert np.max(np.abs(reference[-1] - conformance.W0)) > 1e-2
    np.testing.assert_allclose(ours, reference, rtol=conformance.RTOL, atol=conformance.ATOL)


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
