"""What the user's file loaders share: the suffixes, the option tables and the helpers.

`csv_file`, `npz_file` and `image_folder` each read one kind of file with these; `files` gathers
them into one place to import from.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import numpy as np

from trainers.catalog import Param
from trainers.datasets.base import classification_task, path_text, quoted
from trainers.errors import DatasetError

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
NPZ_SUFFIXES = (".npz",)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")

MAX_AUTO_CLASSES = 20
"""A numeric target with at most this many distinct whole numbers is read as classes."""

_TASK = Param(
    "task",
    "auto",
    "auto: guess from the target; regression or classification: force it",
    kind="choice",
    choices=("auto", "regression", "classification"),
)
CSV_OPTIONS = (
    _TASK,
    Param(
        "delimiter",
        "auto",
        "what separates the values: auto-detected, or comma, semicolon or tab",
        kind="choice",
        choices=("auto", "comma", "semicolon", "tab"),
    ),
    Param(
        "text_columns",
        "onehot",
        "a feature column of text: onehot (one 0/1 column per value) or refuse",
        kind="choice",
        choices=("onehot", "refuse"),
    ),
    Param(
        "missing",
        "refuse",
        "rows with missing values: refuse the file, drop the rows, or fill with the column mean",
        kind="choice",
        choices=("refuse", "drop", "mean"),
    ),
)
"""The CSV options; `exclude` (the columns left out, see `csv_file.excluded_names`) is checked
apart, being a list of names."""
NPZ_OPTIONS = (_TASK,)
IMAGE_FOLDER_OPTIONS = (
    Param(
        "image_size",
        32,
        "side of the square every image is resized to, in pixels",
        kind="int",
        low=4,
        high=512,
    ),
    Param(
        "color_mode",
        "rgb",
        "rgb: three colour channels; grayscale: one",
        kind="choice",
        choices=("rgb", "grayscale"),
    ),
)

MAX_LABEL = 1000
"""Longest class name a CSV target (or value a one-hot column) may hold: longer is pasted
text, not a class."""
MAX_ONE_HOT = 50
"""Most distinct values a CSV text column is one-hot encoded with: more is an id or free text."""
LISTED = 20  # names listed in a message; a file may have thousands of columns


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes (the first `limit` of them when given), or a `DatasetError` that says
    why it cannot be read."""
    if not path.exists():
        raise DatasetError(f"{path_text(path)} does not exist. Check the path and the file name.")
    if path.is_dir():
        raise DatasetError(
            f"{path.name} is a folder, not a file. Choose a .csv or .npz file, or a folder "
            "holding one sub-folder of images per class."
        )
    try:
        with path.open("rb") as f:
            return f.read() if limit is None else f.read(limit)
    except OSError as exc:
        raise DatasetError(
            f"{path.name} could not be read ({exc.strerror or exc}). Check that the file is "
            "readable and not open elsewhere."
        ) from exc


def encode_labels(
    file: str, name: str, values: np.ndarray, class_names: tuple[str, ...]
) -> tuple[np.ndarray, str, tuple[str, ...]]:
    """(labels, task, class_names): each value's index in the sorted `class_names`."""
    if len(class_names) < 2:
        refuse_single_class(file, name, class_names[0])
    labels = np.searchsorted(np.array(class_names), values)
    return labels, classification_task(len(class_names)), class_names


def refuse_single_class(file: str, name: str, value: str) -> NoReturn:
    """Raise the error for a target that holds one class only: nothing to tell apart."""
    raise DatasetError(
        f"{file}: the target column {quoted(name)} holds the same class ({quoted(value)}) in "
        "every row; a classifier needs at least two classes. Choose another target column or "
        "add rows of another class."
    )
