"""One way in: `get(name_or_path)` for built-in names from the catalog and the user's files."""

from __future__ import annotations

import os
from pathlib import Path

from trainers import catalog
from trainers.catalog import DatasetInfo, Param, check_all
from trainers.datasets import files
from trainers.datasets.base import (
    Dataset,
    RawData,
    build_dataset,
    check_seed,
    check_validation_split,
    path_text,
    quoted,
)
from trainers.errors import DatasetError


def _built_in() -> dict[str, DatasetInfo]:
    """The catalog's datasets by name, read anew: entries may be registered at run time."""
    return {info.name: info for info in catalog.DATASETS}


def available() -> list[DatasetInfo]:
    """The built-in datasets, as the catalog describes them (the catalog's own list)."""
    return catalog.DATASETS


def get(
    name_or_path: str | os.PathLike,
    *,
    validation_split: float = 0.2,
    seed: int = 0,
    target: str | None = None,
    **options,
) -> Dataset:
    """Load a built-in dataset by name, or a .csv file, an .npz file or a folder of images.

    Args:
        name_or_path: a name from `available()` (it wins over a file of the same name: write
            "./iris" for that), or a path.
        validation_split: fraction of the samples held out for validation, in [0, 1);
            stratified by class when every class has at least 2 samples. Default 0.2.
        seed: seeds the split and, for generated datasets, the points themselves. Default 0.
        target: CSV only: the name of the target column. Default: the last column.
        **options: the dataset's options: `samples` and `noise` for generated datasets (see the
            catalog); `task`, `delimiter`, `text_columns`, `missing` and `exclude` for CSV
            (see `files.load_csv`); `task` for NPZ; `image_size` and `color_mode` for image
            folders.

    Raises:
        DatasetError: for anything that stops the data from loading, with a message for the
            user that names the file, the row, column or array, and what to do.
    """
    split = check_validation_split(validation_split)
    seed = check_seed(seed)
    entries = _built_in()
    built_in = isinstance(name_or_path, str) and name_or_path in entries
    path = None if built_in else Path(name_or_path).expanduser()
    try:
        if built_in:
            info = entries[name_or_path]
            raw = _load_built_in(info, seed, target, options)
            raw.description = raw.description or info.description
            return build_dataset(raw, info.name, validation_split=split, seed=seed)
        raw = _load_file(path, target, options)
        return build_dataset(raw, path.name, validation_split=split, seed=seed)
    except DatasetError:
        raise
    except MemoryError as exc:
        where = name_or_path if built_in else path.name
        raise DatasetError(
            f"{quoted(where)} is too large for this computer's memory. Use a smaller part of "
            "it (fewer rows, samples or images), or smaller images."
        ) from exc
    except Exception as exc:  # the last net: a bad file must never end in a traceback
        if built_in:
            raise DatasetError(
                f"{name_or_path} could not be loaded ({type(exc).__name__}: {exc})."
            ) from exc
        raise DatasetError(
            f"{path.name} could not be read ({type(exc).__name__}: {exc}). Check that it is a "
            "CSV file, an .npz archive or a folder of class sub-folders of images."
        ) from exc


def _load_built_in(info: DatasetInfo, seed: int, target, options: dict) -> RawData:
    if target is not None:
        raise DatasetError(
            f"{info.display_name} is a built-in dataset; `target` only applies to CSV files. "
            f"Received: target={target!r}"
        )
    values = {**info.defaults(), **_checked(info.params, options, info)}
    return info.load()(info, values, seed)


def _checked(params: tuple[Param, ...], values: dict, owner: DatasetInfo | str) -> dict:
    name = owner.display_name if isinstance(owner, DatasetInfo) else owner
    try:
        return check_all(params, values, name)
    except ValueError as exc:
        raise DatasetError(str(exc)) from None


def _load_file(path: Path, target, options: dict) -> RawData:
    suffix = path.suffix.lower()
    try:
        exists = path.exists()
    except (OSError, ValueError) as exc:  # a name too long for the system, or a NUL byte in it
        raise DatasetError(
            f"{quoted(str(path))} is not a usable path ({getattr(exc, 'strerror', None) or exc})."
            " Choose the file again, or type a shorter path."
        ) from exc
    if not exists:
        if not suffix and os.sep not in str(path) and "/" not in str(path):
            known = ", ".join(sorted(_built_in()))
            raise DatasetError(
                f"Unknown dataset {quoted(str(path))}: it is neither a built-in dataset ({known}) "
                "nor an existing file or folder."
            )
        raise DatasetError(f"{path_text(path)} does not exist. Check the path and the file name.")
    if path.is_dir():
        if suffix in files.CSV_SUFFIXES + files.NPZ_SUFFIXES:
            raise DatasetError(
                f"{path.name} is a folder, not a {suffix} file. Choose the file itself."
            )
        _no_target(path, target, "an image folder")
        values = {p.name: p.default for p in files.IMAGE_FOLDER_OPTIONS}
        values.update(_checked(files.IMAGE_FOLDER_OPTIONS, options, path.name))
        return files.load_image_folder(path, **values)
    if suffix in files.CSV_SUFFIXES:
        values = dict(options)
        exclude = values.pop("exclude", ())  # a list of names: load_csv checks it
        values = _checked(files.CSV_OPTIONS, values, path.name)
        return files.load_csv(path, target=target, exclude=exclude, **values)
    if suffix in files.NPZ_SUFFIXES:
        _no_target(path, target, "an .npz archive")
        values = _checked(files.NPZ_OPTIONS, options, path.name)
        return files.load_npz(path, **values)
    raise DatasetError(
        f"{path.name}: files of type {suffix or '(no extension)'!r} are not supported. Choose a "
        ".csv file, an .npz archive with arrays x and y, or a folder of class sub-folders of "
        "images."
    )


def _no_target(path: Path, target, what: str):
    if target is not None:
        raise DatasetError(
            f"{path.name} is {what}; `target` only applies to CSV files. "
            f"Received: target={target!r}"
        )
