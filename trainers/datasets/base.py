"""The one `Dataset` type every loader returns, and the split and scaling they all share.

A loader only reads: it returns `RawData` (every sample, labels already encoded as 0..k-1).
`build_dataset` then splits it into training and validation parts with a seed, fits the
standardization on the training part alone and applies it to both, so no loader can leak
validation statistics into training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trainers.errors import DatasetError

CLASSIFICATION_TASKS = ("binary", "multiclass")
_TASK_TEXT = {
    "regression": "regression",
    "binary": "binary classification",
    "multiclass": "multiclass classification",
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training and validation arrays ready for `model.fit`, and what they mean.

    `x_*` are float32 of shape `(n, *input_shape)`. `y_*` are float32 of shape `(n, 1)` for
    regression (standardized; `target_scale` holds the `(mean, std)` that undo it) and int32
    labels of shape `(n,)` indexing `class_names` for classification. Tabular features are
    standardized with the training split's statistics, kept in `feature_scale`; images are
    scaled to [0, 1] and `feature_scale` is None.
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: tuple[str, ...] = ()
    feature_names: tuple[str, ...] = ()
    input_shape: tuple[int, ...] = ()
    description: str = ""
    target_scale: tuple[float, float] = (0.0, 1.0)
    feature_scale: tuple[np.ndarray, np.ndarray] | None = None
    source: str = ""

    @property
    def is_classification(self) -> bool:
        return self.task in CLASSIFICATION_TASKS

    @property
    def n_classes(self) -> int:
        """Number of classes; 0 for regression."""
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        """Number of input values per sample (pixels times channels for images)."""
        return math.prod(self.input_shape)

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_val(self) -> int:
        return len(self.x_val)

    @property
    def n_samples(self) -> int:
        return self.n_train + self.n_val

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3

    def summary(self) -> str:
        """One line, e.g. "400 samples (320 train, 80 validation) · 2 features · 2 classes ·
        binary classification"."""
        parts = [
            f"{_count(self.n_samples, 'sample')} "
            f"({self.n_train:,} train, {self.n_val:,} validation)"
        ]
        if self.is_image:
            height, width, channels = self.input_shape
            colour = {1: "grey", 3: "RGB"}.get(channels, f"{channels}-channel")
            parts.append(f"{height}x{width} {colour} images")
        elif len(self.input_shape) > 1:
            parts.append("x".join(map(str, self.input_shape)) + " inputs")
        else:
            parts.append(_count(self.n_features, "feature"))
        if self.is_classification:
            parts.append(_count(self.n_classes, "class", "classes"))
        parts.append(_TASK_TEXT[self.task])
        return " · ".join(parts)

    def __repr__(self) -> str:  # the arrays would drown the dataclass repr
        return f"Dataset({self.name!r}: {self.summary()})"

    def target_to_original(self, y) -> np.ndarray:
        """Undo the target standardization: predictions back in the units of the data."""
        mean, std = self.target_scale
        return np.asarray(y, dtype=np.float64) * std + mean


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


@dataclass
class RawData:
    """Every sample of a dataset as a loader read it, before the split.

    `y` holds labels 0..len(class_names)-1 for classification and numbers for regression.
    With `images` true, `x` is (n, height, width, channels), either already in [0, 1] or of an
    integer type holding 0..255 (divided by 255 after the split, which keeps copies small).
    """

    x: np.ndarray
    y: np.ndarray
    task: str
    class_names: tuple[str, ...] = ()
    feature_names: tuple[str, ...] = ()
    description: str = ""
    images: bool = False
    source: str = ""


def quoted(value, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters: a message quotes a cell, never a whole field.

    A student's file can hold a megabyte in one cell; echoing it back would bury the advice.
    """
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 4]}...{text[-1]}"


def path_text(path) -> str:
    """A path as a message shows it: whole when it is of a usual length, else its two ends."""
    text = str(path)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-97:]}"


def classification_task(n_classes: int) -> str:
    """ "binary" for two classes, "multiclass" for more."""
    return "binary" if n_classes == 2 else "multiclass"


def check_validation_split(value) -> float:
    """`value` as a float in [0, 1), or DatasetError naming it."""
    try:
        split = float(value)
    except (TypeError, ValueError):
        split = math.nan
    if isinstance(value, bool) or not 0.0 <= split < 1.0:
        raise DatasetError(
            f"The validation split must be a fraction in [0, 1), e.g. 0.2 for 20%. "
            f"Received: validation_split={value!r}"
        )
    return split


def check_seed(value) -> int:
    """`value` as a non-negative whole number, or DatasetError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise DatasetError(f"The seed must be a whole number >= 0. Received: seed={value!r}")
    return int(value)


def split_indices(
    n: int, validation_split: float, seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, validation) index arrays.

    With `labels` and at least two samples in every class, the split is stratified: each class
    keeps its share in both parts (largest-remainder rounding, at least one training sample per
    class). Otherwise it is a plain shuffled split. A non-zero split takes at least one sample.
    """
    # A stream of its own, so a generator seeded with the same number is not correlated with it.
    rng = np.random.default_rng([seed, 0x5EED])
    if validation_split == 0.0 or n < 2:
        return rng.permutation(n), np.empty(0, dtype=np.intp)
    n_val = min(max(1, math.floor(n * validation_split + 0.5)), n - 1)
    if labels is not None:
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) > 1 and counts.min() >= 2:
            val_counts = _allocate(n_val, counts)
            train_parts, val_parts = [], []
            for cls, k in zip(classes, val_counts, strict=True):
                members = rng.permutation(np.flatnonzero(labels == cls))
                val_parts.append(members[:k])
                train_parts.append(members[k:])
            return (
                rng.permutation(np.concatenate(train_parts)),
                rng.permutation(np.concatenate(val_parts)),
            )
    order = rng.permutation(n)
    return order[n_val:], order[:n_val]


def _allocate(total: int, counts: np.ndarray) -> np.ndarray:
    """Split `total` over classes in proportion to `counts`, leaving each class one sample."""
    caps = counts - 1
    exact = counts * (total / counts.sum())
    alloc = np.minimum(np.floor(exact).astype(int), caps)
    remainder = exact - alloc
    # Hand out what rounding left over, largest remainder first (stable, so ties go in order).
    for index in np.argsort(-remainder, kind="stable"):
        if alloc.sum() >= total:
            break
        if alloc[index] < caps[index]:
            alloc[index] += 1
    return alloc


def build_dataset(raw: RawData, name: str, *, validation_split: float, seed: int) -> Dataset:
    """Split `raw`, scale it with training statistics only, and wrap it in a `Dataset`."""
    x, y = raw.x, np.asarray(raw.y)
    n = len(x)
    if len(y) != n:
        raise DatasetError(f"{name}: {n} inputs but {len(y)} targets; they must match.")
    if n < 2:
        raise DatasetError(
            f"{name}: only {n} sample; at least 2 are needed to train. Add more rows or samples."
        )
    classification = raw.task in CLASSIFICATION_TASKS
    if classification:
        labels = y.reshape(n).astype(np.int64)
        present = np.unique(labels)
        if len(present) < 2:
            only = raw.class_names[present[0]] if raw.class_names else str(present[0])
            raise DatasetError(
                f"{name}: every sample belongs to the same class ({only!r}); a classifier "
                "needs at least two classes. Choose another target or add samples of another "
                "class."
            )
    else:
        labels = None
    train, val = split_indices(n, validation_split, seed, labels)
    if len(train) < 2:
        raise DatasetError(
            f"{name}: a validation split of {validation_split:g} leaves {len(train)} training "
            f"sample(s) of {n}; at least 2 are needed. Lower the validation split or add samples."
        )
    if classification and len(np.unique(labels[train])) < 2:
        raise DatasetError(
            f"{name}: the training split holds a single class; a classifier needs at least two. "
            "Lower the validation split or add samples of the other classes."
        )

    if raw.images:
        x_train, x_val = _as_unit_images(x[train]), _as_unit_images(x[val])
        feature_scale = None
    else:
        x64 = np.asarray(x, dtype=np.float64)
        mean, std = _moments(x64[train])
        _check_scaled(name, x64, (mean, std), raw.feature_names, "feature column")
        x_train = ((x64[train] - mean) / std).astype(np.float32)
        x_val = ((x64[val] - mean) / std).astype(np.float32)
        feature_scale = (mean, std)  # float64: the saved model undoes it exactly

    if classification:
        y_train, y_val = labels[train].astype(np.int32), labels[val].astype(np.int32)
        target_scale = (0.0, 1.0)
    else:
        y64 = y.reshape(n, 1).astype(np.float64)
        mean, std = _moments(y64[train])
        _check_scaled(name, y64, (mean, std), ("target",), "the")
        y_train = ((y64[train] - mean) / std).astype(np.float32)
        y_val = ((y64[val] - mean) / std).astype(np.float32)
        target_scale = (float(mean[0]), float(std[0]))

    return Dataset(
        name=name,
        task=raw.task,
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        class_names=tuple(raw.class_names) if classification else (),
        feature_names=tuple(raw.feature_names),
        input_shape=tuple(int(d) for d in x.shape[1:]),
        description=raw.description,
        target_scale=target_scale,
        feature_scale=feature_scale,
        source=raw.source,
    )


def _moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation; a constant column keeps a scale of 1."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by _check_scaled
        mean = values.mean(axis=0)
        std = values.std(axis=0)
    # Rounding leaves a tiny non-zero std on constant columns; dividing by it would blow them up.
    std = np.where(std > 1e-12 * (np.abs(mean) + 1.0), std, 1.0)
    return mean, std


def _check_scaled(name: str, values: np.ndarray, scale, names: tuple[str, ...], what: str):
    """Refuse columns whose numbers are too large to standardize.

    Values near 1e308 are finite in the file but overflow the standard deviation (its squares),
    and a mean or scale beyond float32's 3.4e38 cannot be kept beside the model: training or
    the plots would see infinities from step one. The message names the column to rescale.
    """
    mean, std = (np.asarray(v, dtype=np.float64).reshape(-1) for v in scale)
    bad = ~(np.isfinite(mean) & np.isfinite(std)) | (np.abs(mean) > _SCALE_LIMIT)
    bad |= std > _SCALE_LIMIT
    if not bad.any():
        return
    column = int(np.argmax(bad))
    with np.errstate(over="ignore", invalid="ignore"):
        largest = float(np.nanmax(np.abs(values.reshape(len(values), -1)[:, column])))
    label = names[column] if column < len(names) else f"column {column + 1}"
    where = "the target" if what == "the" else f"{what} {quoted(label)}"
    raise DatasetError(
        f"{name}: {where} holds numbers too large to train on (up to {largest:.3g}). Rescale "
        "it, e.g. divide it by a power of ten, or look for a typing error in it."
    )


_SCALE_LIMIT = 1e38
"""float32's largest value is 3.4e38: a mean or spread beyond this cannot be stored with it."""


def _as_unit_images(pixels: np.ndarray) -> np.ndarray:
    if np.issubdtype(pixels.dtype, np.integer):
        out = pixels.astype(np.float32)
        out /= 255.0
        return out
    return pixels.astype(np.float32, copy=False)
