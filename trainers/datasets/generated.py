"""Generated datasets in the spirit of TensorFlow Playground: small, 2-D or 1-D, seeded.

Each generator takes `samples`, `noise` and `seed` (validated against the catalog by the
registry) and returns `RawData`. The same seed gives the same points; classes are balanced.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from sklearn.datasets import make_blobs, make_circles, make_moons

from trainers.datasets.base import RawData

_XY = ("x1", "x2")
_BINARY = ("0", "1")


def moons(samples: int, noise: float, seed: int) -> RawData:
    """Two interleaving half circles (scikit-learn `make_moons`)."""
    x, y = make_moons(n_samples=samples, noise=noise, random_state=seed)
    return RawData(x, y, "binary", _BINARY, _XY)


def circles(samples: int, noise: float, seed: int) -> RawData:
    """A ring (class 0) around a disc of half its radius (scikit-learn `make_circles`)."""
    x, y = make_circles(n_samples=samples, noise=noise, factor=0.5, random_state=seed)
    return RawData(x, y, "binary", _BINARY, _XY)


def spirals(samples: int, noise: float, seed: int) -> RawData:
    """Two arms winding one and a half turns around the origin, half a turn apart."""
    rng = np.random.default_rng(seed)
    y = _balanced_labels(samples, 2)
    # Radius grows with the angle, so the arms never cross; radius 1 at the end of the arm.
    t = rng.uniform(0.05, 1.0, samples)
    angle = 3.0 * math.pi * t + math.pi * y
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    x += rng.normal(0.0, noise, x.shape)
    return RawData(x, y, "binary", _BINARY, _XY)


def xor(samples: int, noise: float, seed: int) -> RawData:
    """Points in [-1, 1]^2; class 1 where the signs of x1 and x2 differ."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (samples, 2))
    # A small gap along the axes, as in the Playground, so noise 0 gives clean quadrants.
    x += np.where(x >= 0, 0.05, -0.05)
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    x += rng.normal(0.0, noise, x.shape)
    return RawData(x, y, "binary", _BINARY, _XY)


# Three fixed centres, evenly spaced on a circle, so every seed gives the same layout.
_BLOB_CENTRES = 4.0 * np.array(
    [[math.cos(a), math.sin(a)] for a in (math.pi / 2, 7 * math.pi / 6, 11 * math.pi / 6)]
)


def blobs(samples: int, noise: float, seed: int) -> RawData:
    """Three Gaussian clusters with standard deviation `noise` (scikit-learn `make_blobs`)."""
    x, y = make_blobs(
        n_samples=samples, centers=_BLOB_CENTRES, cluster_std=noise, random_state=seed
    )
    return RawData(x, y, "multiclass", ("0", "1", "2"), _XY)


def sine(samples: int, noise: float, seed: int) -> RawData:
    """x uniform in [-3, 3], y = sin(x) + Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, (samples, 1))
    y = np.sin(x) + rng.normal(0.0, noise, x.shape)
    return RawData(x, y, "regression", (), ("x",))


OUTLIER_FRACTION = 0.1


def linear_outliers(samples: int, noise: float, seed: int) -> RawData:
    """y = 2x + 1 + noise for x in [-3, 3], with 10% of points pushed 5 to 10 units up.

    The outliers all lie on one side, so the least-squares line is dragged towards them while
    MAE and Smooth L1 stay close to the true line: the losses disagree where it shows.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, (samples, 1))
    y = 2.0 * x + 1.0 + rng.normal(0.0, noise, x.shape)
    n_out = max(1, round(OUTLIER_FRACTION * samples))
    chosen = rng.choice(samples, size=n_out, replace=False)
    y[chosen, 0] += rng.uniform(5.0, 10.0, n_out)
    return RawData(x, y, "regression", (), ("x",))


def _balanced_labels(samples: int, n_classes: int) -> np.ndarray:
    return np.arange(samples) % n_classes


GENERATORS: dict[str, Callable[[int, float, int], RawData]] = {
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
    "xor": xor,
    "blobs": blobs,
    "sine": sine,
    "linear_outliers": linear_outliers,
}


def load(info, options: dict, seed: int) -> RawData:
    """The catalog's loader for a generated dataset: `options` holds `samples` and `noise`."""
    return GENERATORS[info.name](options["samples"], options["noise"], seed)
