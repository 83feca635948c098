"""Datasets: built-in (generated, scikit-learn, Keras) and the user's files, one `Dataset` type.

    from trainers import datasets
    data = datasets.get("moons", samples=400, noise=0.2, seed=1)
    data = datasets.get("measurements.csv", target="price", validation_split=0.25)
    print(data.summary())

`get` is the only way in; the window and the CLI both use it and list `available()`.
"""

from trainers.datasets.base import Dataset
from trainers.datasets.files import (
    CSV_OPTIONS,
    IMAGE_FOLDER_OPTIONS,
    MAX_AUTO_CLASSES,
    NPZ_OPTIONS,
    csv_columns,
)
from trainers.datasets.keras_data import keras_cache_dir
from trainers.datasets.registry import available, get
from trainers.errors import DatasetError

__all__ = [
    "CSV_OPTIONS",
    "IMAGE_FOLDER_OPTIONS",
    "MAX_AUTO_CLASSES",
    "NPZ_OPTIONS",
    "Dataset",
    "DatasetError",
    "available",
    "csv_columns",
    "get",
    "keras_cache_dir",
]
