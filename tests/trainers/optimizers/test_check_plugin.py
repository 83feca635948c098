"""Every optimizer of the catalog passes the in-process checks of `main.py check-plugin`."""

import pytest

from tests.trainers.optimizers import conformance
from trainers import catalog


@pytest.mark.parametrize("name", [info.name for info in catalog.OPTIMIZERS])
def test_our_optimizers_pass_the_plugin_checks(name):
    conformance.check_quick_plugin_checks(name)
