"""Our losses: each a per-sample function in `keras.ops` plus a thin `keras.losses.Loss` class.

`get("huber", delta=2.0)` makes one by its catalog name; `available()` and `for_task(task)` say
what there is. Importing this package registers every class with Keras (package "descent"), so a
saved `.keras` model that uses one reloads.
"""

from trainers.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from trainers.losses.registry import CLASSES, available, for_task, get
from trainers.losses.regression import (
    Huber,
    MeanAbsoluteError,
    MeanSquaredError,
    RootMeanSquaredError,
    SmoothL1,
    huber,
    mean_absolute_error,
    mean_squared_error,
    root_mean_squared_error,
    smooth_l1,
)

__all__ = [
    "CLASSES",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Huber",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "RootMeanSquaredError",
    "SmoothL1",
    "SparseCategoricalCrossentropy",
    "available",
    "binary_crossentropy",
    "categorical_crossentropy",
    "for_task",
    "get",
    "huber",
    "mean_absolute_error",
    "mean_squared_error",
    "root_mean_squared_error",
    "smooth_l1",
    "sparse_categorical_crossentropy",
]
