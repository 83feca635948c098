"""A real `model.fit` with each optimizer lowers the loss, with and without XLA."""

import pytest

from tests.trainers.optimizers import conformance
from trainers import catalog


@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
@pytest.mark.parametrize("name", [info.name for info in catalog.OPTIMIZERS])
def test_fit_lowers_the_loss(name, jit_compile):
    conformance.check_fit_lowers_the_loss(name, jit_compile)
