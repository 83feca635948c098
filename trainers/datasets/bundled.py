"""The small datasets that ship inside scikit-learn: nothing is downloaded."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import datasets as sk

from trainers.datasets.base import RawData, classification_task

_LOADERS: dict[str, Callable] = {
    "iris": sk.load_iris,
    "wine": sk.load_wine,
    "breast_cancer": sk.load_breast_cancer,
    "digits": sk.load_digits,
    "diabetes": sk.load_diabetes,
}

BUNDLED = tuple(_LOADERS)


def load_bundled(name: str) -> RawData:
    """Dataset `name` from scikit-learn, with its feature and class names."""
    bunch = _LOADERS[name]()
    x = np.asarray(bunch.data, dtype=np.float64)
    names = getattr(bunch, "feature_names", None)
    if names is None or len(names) != x.shape[1]:
        names = [f"feature {i + 1}" for i in range(x.shape[1])]
    feature_names = tuple(str(n) for n in names)
    target_names = getattr(bunch, "target_names", None)
    if target_names is None:
        return RawData(
            x, np.asarray(bunch.target, dtype=np.float64), "regression", (), feature_names
        )
    class_names = tuple(str(n) for n in target_names)
    return RawData(
        x,
        np.asarray(bunch.target, dtype=np.int64),
        classification_task(len(class_names)),
        class_names,
        feature_names,
    )


def load(info, options: dict, seed: int) -> RawData:
    """The catalog's loader for a scikit-learn dataset (no options; the seed only splits)."""
    return load_bundled(info.name)
