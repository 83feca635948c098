"""Our optimizers, each written from its published update rule as a Keras optimizer.

`get(name, **hyperparameters)` builds one by name and `available()` describes them all. The
classes are found through the catalog (`trainers.catalog.OPTIMIZERS` names each one's module),
so `trainers.optimizers.Adam` imports `trainers.optimizers.adam` when first asked for, and a
new optimizer needs no line here. They are registered with Keras under the package "descent",
so a saved `.keras` model that uses one reloads after `import trainers.keras_objects`.
"""

from trainers import catalog
from trainers.optimizers.registry import CLASSES, available, get


def __getattr__(name: str):
    """An optimizer class by its class name (`Adam`, `RMSprop`, ...), from the catalog."""
    for info in catalog.OPTIMIZERS:
        cls = info.load()
        if cls.__name__ == name:
            return cls
    raise AttributeError(f"module 'trainers.optimizers' has no attribute {name!r}")


__all__ = ["CLASSES", "available", "get"]
