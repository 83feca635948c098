"""MNIST, Fashion-MNIST and CIFAR-10 through `keras.datasets`, from the Keras cache.

Keras keeps downloaded files under `$KERAS_HOME/datasets` (default `~/.keras/datasets`). When
`DESCENT_OFFLINE` is set and a file is missing there, the loader refuses at once, without
touching the network, and says which file to put where; a failed download says the same.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainers.datasets.base import RawData
from trainers.errors import DatasetError

_KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class KerasSource:
    """Where `keras.datasets.<module>.load_data()` looks for a dataset and how it names it.

    `files` are relative to the cache's `datasets/` folder, spelt as keras/src/datasets spells
    them; `origins` are the matching URLs, for a user who fetches them by hand.
    """

    module: str
    files: tuple[str, ...]
    origins: tuple[str, ...]
    class_names: tuple[str, ...]


_FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)

SOURCES: dict[str, KerasSource] = {
    "mnist": KerasSource(
        "mnist",
        ("mnist.npz",),
        (_KERAS_URL + "mnist.npz",),
        tuple(str(d) for d in range(10)),
    ),
    "fashion_mnist": KerasSource(
        "fashion_mnist",
        tuple(f"fashion-mnist/{name}" for name in _FASHION_FILES),
        tuple(_KERAS_URL + name for name in _FASHION_FILES),
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
    ),
    # keras.datasets.cifar10 calls get_file("cifar-10-batches-py-target", extract=True), which
    # keeps the downloaded archive under this name and extracts it beside it.
    "cifar10": KerasSource(
        "cifar10",
        ("cifar-10-batches-py-target_archive",),
        ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
        (
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
    ),
}


def offline() -> bool:
    """True when `DESCENT_OFFLINE` is set to anything but "", "0", "false" or "no"."""
    return os.environ.get("DESCENT_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def keras_cache_dir() -> Path:
    """The folder Keras reads cached datasets from: `$KERAS_HOME/datasets` or ~/.keras/datasets.

    Mirrors keras.utils.get_file: an existing cache folder that is not writable is replaced by
    /tmp/.keras.
    """
    home = Path(os.path.expanduser(os.environ.get("KERAS_HOME") or "~/.keras"))
    if home.exists() and not os.access(home, os.W_OK):
        home = Path("/tmp/.keras")
    return home / "datasets"


def missing_files(name: str) -> list[Path]:
    """The cache files of Keras dataset `name` that are not there yet."""
    cache = keras_cache_dir()
    return [cache / f for f in SOURCES[name].files if not (cache / f).is_file()]


def _where_text(name: str, files: list[Path]) -> str:
    source = SOURCES[name]
    cache = keras_cache_dir()
    lines = []
    for relative, origin in zip(source.files, source.origins, strict=True):
        if cache / relative in files:
            renamed = Path(origin).name != Path(relative).name
            note = " (the downloaded file, renamed)" if renamed else ""
            lines.append(f"  {cache / relative}  <-  {origin}{note}")
    return "\n".join(lines)


def load_keras(name: str) -> RawData:
    """Every image of Keras dataset `name` (train and test parts pooled), as 0..255 pixels."""
    source = SOURCES[name]
    missing = missing_files(name)
    if missing and offline():
        raise DatasetError(
            f"{name} is not in the Keras cache and downloads are off (DESCENT_OFFLINE is set). "
            f"Download {'this file' if len(missing) == 1 else 'these files'} and save "
            f"{'it' if len(missing) == 1 else 'them'} as:\n{_where_text(name, missing)}\n"
            "Then load the dataset again."
        )
    try:
        module = importlib.import_module(f"keras.datasets.{source.module}")
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as exc:  # a failed download raises a bare Exception in keras
        where = _where_text(name, missing_files(name))
        hint = (
            f"Download it by hand and save it as:\n{where}"
            if where
            else f"The cached files under {keras_cache_dir()} may be damaged: delete them "
            "and try again."
        )
        raise DatasetError(f"{name} could not be loaded ({exc}). {hint}") from exc
    x = np.concatenate([x_train, x_test])
    if x.ndim == 3:
        x = x[..., np.newaxis]
    y = np.concatenate([np.ravel(y_train), np.ravel(y_test)]).astype(np.int64)
    return RawData(
        x,
        y,
        "multiclass",
        source.class_names,
        images=True,
        source=str(keras_cache_dir()),
    )


def load(info, options: dict, seed: int) -> RawData:
    """The catalog's loader for a Keras dataset (no options; the seed only splits)."""
    return load_keras(info.name)
