"""Asking a registry for a name it does not know is refused with the names it does know."""

import pytest

from trainers import catalog, losses, optimizers


@pytest.mark.parametrize(
    "get, what, unknown, entries",
    [
        (optimizers.get, "optimizer", "adabelief", catalog.OPTIMIZERS),
        (losses.get, "loss", "hinge", catalog.LOSSES),
    ],
    ids=["optimizers", "losses"],
)
def test_an_unknown_name_is_refused_listing_the_known_ones(get, what, unknown, entries):
    with pytest.raises(ValueError, match=f"Unknown {what} '{unknown}'") as error:
        get(unknown)
    for entry in entries:
        assert entry.name in str(error.value)


def test_the_modules_a_packager_bundles_hold_every_entry():
    """`implementation_modules()` lists what packaging/descent.spec hands PyInstaller: every
    entry's class or loader must be in one of them."""
    import importlib

    modules = catalog.implementation_modules()
    assert "trainers.optimizers.adam" in modules and "trainers.datasets.generated" in modules
    for name in modules:
        importlib.import_module(name)
    for entry in (*catalog.OPTIMIZERS, *catalog.LOSSES, *catalog.DATASETS):
        assert entry.load().__module__ in modules, entry.name
