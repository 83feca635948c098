"""One test record per optimizer: what the conformance tests need beside its catalog entry.

Adding an optimizer means adding its record here (its NumPy reference lives in
`numpy_reference.py`); every conformance test (config round trip, the rule against the
reference eager and under XLA, refusing out-of-range values, a real fit, saving and reloading,
the effective rate) then runs on it. A catalog optimizer without a record fails
`test_every_catalog_optimizer_has_a_test_record`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.trainers.optimizers import numpy_reference


@dataclass(frozen=True)
class OptimizerRecord:
    """What the conformance tests know of one optimizer.

    `rule(w0, grads, **hyperparameters)` is an independent NumPy float64 version of its update
    (the weights after every step); `cases` name sets of hyperparameters, every one given, to
    check against it; `non_default` sets every hyperparameter away from its default (a round
    trip that drops one is noticed); `fit` makes visible progress on a small regression in a
    few dozen steps.
    """

    rule: Callable
    cases: dict[str, dict] = field(default_factory=dict)
    non_default: dict = field(default_factory=dict)
    fit: dict = field(default_factory=dict)


RECORDS: dict[str, OptimizerRecord] = {
    "sgd": OptimizerRecord(
        numpy_reference.sgd,
        cases={"sgd": {"learning_rate": 0.1}},
        non_default={"learning_rate": 0.2},
        fit={"learning_rate": 0.05},
    ),
    "momentum": OptimizerRecord(
        numpy_reference.momentum,
        cases={
            "average": {"learning_rate": 0.1, "momentum": 0.8, "ewma": True},
            "heavy-ball": {"learning_rate": 0.02, "momentum": 0.9, "ewma": False},
        },
        non_default={"learning_rate": 0.05, "momentum": 0.7, "ewma": False},
        fit={"learning_rate": 0.1},
    ),
    "nesterov": OptimizerRecord(
        numpy_reference.nesterov,
        cases={
            "average": {"learning_rate": 0.1, "momentum": 0.8, "ewma": True},
            "heavy-ball": {"learning_rate": 0.02, "momentum": 0.9, "ewma": False},
        },
        non_default={"learning_rate": 0.05, "momentum": 0.6, "ewma": False},
        fit={"learning_rate": 0.1},
    ),
    "adagrad": OptimizerRecord(
        numpy_reference.adagrad,
        cases={
            "adagrad": {"learning_rate": 0.1, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
            "from-zero": {
                "learning_rate": 0.05,
                "initial_accumulator_value": 0.0,
                "epsilon": 1e-7,
            },
        },
        non_default={"learning_rate": 0.2, "initial_accumulator_value": 0.1, "epsilon": 1e-5},
        fit={"learning_rate": 0.1},
    ),
    "adadelta": OptimizerRecord(
        numpy_reference.adadelta,
        cases={
            "adadelta": {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4},
            "defaults": {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-7},
        },
        non_default={"learning_rate": 0.5, "rho": 0.9, "epsilon": 1e-6},
        # AdaDelta's first steps are about sqrt(epsilon) long: 3e-4 at the default 1e-7, which
        # lowers the loss by only ~6% in 32 steps here; 1e-4 (Zeiler used 1e-6 to 1e-8) moves
        # faster.
        fit={"learning_rate": 1.0, "epsilon": 1e-4},
    ),
    "rmsprop": OptimizerRecord(
        numpy_reference.rmsprop,
        cases={"rmsprop": {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-7}},
        non_default={"learning_rate": 0.002, "rho": 0.8, "epsilon": 1e-6},
        fit={"learning_rate": 0.01},
    ),
    "adam": OptimizerRecord(
        numpy_reference.adam_amsgrad,
        cases={
            "adam": {
                "learning_rate": 0.01,
                "beta_1": 0.8,
                "beta_2": 0.99,
                "epsilon": 1e-7,
                "amsgrad": False,
            },
            "defaults": {
                "learning_rate": 0.001,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-7,
                "amsgrad": False,
            },
            # beta_2 = 0.9 lets v follow the gradients' drifting size down, below its maximum.
            "amsgrad": {
                "learning_rate": 0.01,
                "beta_1": 0.8,
                "beta_2": 0.9,
                "epsilon": 1e-7,
                "amsgrad": True,
            },
        },
        non_default={
            "learning_rate": 0.002,
            "beta_1": 0.8,
            "beta_2": 0.99,
            "epsilon": 1e-6,
            "amsgrad": True,
        },
        fit={"learning_rate": 0.02},
    ),
    "adamw": OptimizerRecord(
        numpy_reference.adamw,
        cases={
            "adamw": {
                "learning_rate": 0.01,
                "beta_1": 0.8,
                "beta_2": 0.99,
                "epsilon": 1e-7,
                "weight_decay_rate": 0.5,
                "amsgrad": False,
            },
            "amsgrad": {
                "learning_rate": 0.01,
                "beta_1": 0.9,
                "beta_2": 0.9,
                "epsilon": 1e-7,
                "weight_decay_rate": 0.1,
                "amsgrad": True,
            },
        },
        non_default={
            "learning_rate": 0.002,
            "beta_1": 0.8,
            "beta_2": 0.99,
            "epsilon": 1e-6,
            "weight_decay_rate": 0.1,
            "amsgrad": True,
        },
        fit={"learning_rate": 0.02},
    ),
    "adamax": OptimizerRecord(
        numpy_reference.adamax,
        cases={
            "adamax": {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-7},
            "defaults": {
                "learning_rate": 0.002,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-7,
            },
        },
        non_default={"learning_rate": 0.004, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6},
        fit={"learning_rate": 0.02},
    ),
    "lion": OptimizerRecord(
        numpy_reference.lion,
        cases={
            "lion": {
                "learning_rate": 0.01,
                "beta_1": 0.9,
                "beta_2": 0.99,
                "weight_decay_rate": 0.0,
            },
            "decay": {
                "learning_rate": 0.003,
                "beta_1": 0.8,
                "beta_2": 0.95,
                "weight_decay_rate": 1.0,
            },
        },
        non_default={
            "learning_rate": 0.001,
            "beta_1": 0.8,
            "beta_2": 0.95,
            "weight_decay_rate": 0.3,
        },
        # Every weight moves the rate per step: 0.01 takes them 0.32 in 32 steps.
        fit={"learning_rate": 0.01},
    ),
}


def record(name: str) -> OptimizerRecord:
    """The record of optimizer `name`; a clear failure when it has none."""
    if name not in RECORDS:
        raise LookupError(
            f"The optimizer {name!r} has no test record: add one to "
            "tests/trainers/optimizers/records.py (its NumPy rule, cases, non-default values "
            "and fit settings)."
        )
    return RECORDS[name]


def cases() -> list[tuple[str, str, dict]]:
    """Every (case id, optimizer, hyperparameters) of every record."""
    found = []
    for name, entry in RECORDS.items():
        for case, hyperparameters in entry.cases.items():
            found.append((case if case == name else f"{name}-{case}", name, hyperparameters))
    return found
