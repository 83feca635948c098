"""The user's NPZ archive: arrays `x` (features or images) and `y` (targets).

Every problem ends in a `DatasetError` that names the file, the array and what to do about it.
When `task="auto"`, a `y` of an integer, bool or string type is a set of classes and a float `y`
is regression; `task="regression"` or `task="classification"` overrides the guess.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from trainers.datasets.base import RawData, classification_task, quoted
from trainers.datasets.file_common import LISTED, encode_labels, read_bytes, refuse_single_class
from trainers.errors import DatasetError

MIN_IMAGE_SIDE = 4
"""Smallest image side the default network takes: its two 2x2 poolings need 4 pixels."""
_NPZ_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def load_npz(path: str | Path, *, task: str = "auto") -> RawData:
    """Read arrays `x` (features or images) and `y` (targets) from an .npz archive.

    Loaded with `allow_pickle=False`: an object array is refused, never unpickled. An `x` of 3
    or 4 dimensions holding 0..255 or 0..1 is a stack of images; other inputs are standardized.
    """
    path = Path(path)
    file = path.name
    head = read_bytes(path, limit=8)  # existence, folder and permission errors, as for CSV
    if head.startswith(b"\x93NUMPY"):
        raise DatasetError(
            f"{file} holds a single array (.npy), not an archive of x and y. Save it with "
            "numpy.savez(path, x=features, y=targets)."
        )
    if not head.startswith(_NPZ_MAGIC):
        raise DatasetError(
            f"{file} is not an .npz archive (it does not start like a zip file). Save it with "
            "numpy.savez(path, x=features, y=targets)."
        )
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(
            f"{file} is not a readable .npz archive ({exc}). Save it with "
            "numpy.savez(path, x=features, y=targets)."
        ) from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DatasetError(
            f"{file} holds a single array, not an archive of x and y. Save it with "
            "numpy.savez(path, x=features, y=targets)."
        )
    with archive:
        x = _npz_array(file, archive, "x")
        y = _npz_array(file, archive, "y")
    if x.ndim == 0 or x.size == 0:
        raise DatasetError(f"{file}: array 'x' is empty (shape {x.shape}). Save samples in it.")
    if x.dtype.kind not in "biuf":
        raise DatasetError(
            f"{file}: array 'x' has dtype {x.dtype}; features must be numbers. Convert them "
            "with x.astype('float32') before saving."
        )
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DatasetError(
            f"{file}: array 'y' has shape {y.shape}; it must hold one target per sample, "
            "shape (n,). For one-hot labels save y.argmax(axis=1)."
        )
    if len(x) != len(y):
        raise DatasetError(
            f"{file}: array 'x' has {len(x)} samples but 'y' has {len(y)}; they must have the "
            "same length."
        )
    _check_finite(file, "x", x)
    if x.ndim == 1:
        x = x[:, np.newaxis]
    elif x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim == 4 and min(x.shape[1:3]) < MIN_IMAGE_SIDE:
        raise DatasetError(
            f"{file}: array 'x' has shape {x.shape}, read as {x.shape[1]}x{x.shape[2]} images, "
            f"but the network's two pooling layers need images of at least {MIN_IMAGE_SIDE}x"
            f"{MIN_IMAGE_SIDE} pixels. To use the values as features, save "
            "x.reshape(len(x), -1)."
        )
    if x.dtype.kind == "b":
        x = x.astype(np.float32)
    images = x.ndim == 4 and _looks_like_pixels(x)
    y_out, out_task, class_names = _npz_target(file, y, task)
    return RawData(
        x,
        y_out,
        out_task,
        class_names,
        tuple(f"x{i + 1}" for i in range(x.shape[1])) if x.ndim == 2 else (),
        description=f"{file}: {len(x):,} samples of shape {x.shape[1:]}",
        images=images,
        source=str(path),
    )


def _npz_array(file: str, archive, key: str) -> np.ndarray:
    found = [k for k in archive.files if k in (key, key.upper())]
    if not found:
        held = ", ".join(quoted(k) for k in archive.files[:LISTED]) or "nothing"
        if len(archive.files) > LISTED:
            held += f" and {len(archive.files) - LISTED:,} more"
        raise DatasetError(
            f"{file} has no array {key!r} (it holds {held}). Save it with "
            "numpy.savez(path, x=features, y=targets)."
        )
    _check_declared_size(file, archive, found[0])
    try:
        return archive[found[0]]
    except MemoryError as exc:
        raise DatasetError(
            f"{file}: array {found[0]!r} is too large for this computer's memory. Save a "
            "smaller part of it, e.g. x[:10000] and y[:10000]."
        ) from exc
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DatasetError(
                f"{file}: array {found[0]!r} holds Python objects (dtype=object), which are not "
                "loaded because unpickling can run code. Save numbers or strings instead, e.g. "
                "x.astype('float32')."
            ) from exc
        raise DatasetError(f"{file}: array {found[0]!r} cannot be read ({exc}).") from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(
            f"{file}: array {found[0]!r} cannot be read ({exc}); the archive may be damaged."
        ) from exc


def _check_declared_size(file: str, archive, key: str) -> None:
    """Refuse an array whose header promises more bytes than the archive holds for it.

    A damaged or hand-made .npy header can declare a shape of petabytes; numpy would try to
    allocate that before noticing the data is missing. Reading the header alone costs nothing.
    """
    member = key + ".npy" if key + ".npy" in archive.zip.namelist() else key
    try:
        info = archive.zip.getinfo(member)
        with archive.zip.open(member) as f:
            version = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(f)
            header_bytes = f.tell()
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile):
        return  # numpy's own reading reports these, named, in _npz_array
    if dtype.hasobject:
        return  # refused unread (pickle) in _npz_array
    declared = math.prod(shape) * dtype.itemsize
    held = info.file_size - header_bytes
    if declared > held:
        raise DatasetError(
            f"{file}: array {key!r} is damaged or cut short: its header declares shape {shape} "
            f"of {dtype} ({declared:,} bytes) but the archive holds {max(held, 0):,} bytes of "
            "it. Save it again with numpy.savez(path, x=features, y=targets)."
        )


def _check_finite(file: str, key: str, values: np.ndarray):
    if values.dtype.kind != "f":
        return
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if bad.any():
        raise DatasetError(
            f"{file}: array {key!r} holds NaN or infinite values in {int(bad.sum())} sample(s), "
            f"the first at index {int(np.argmax(bad))}. Replace them or drop those samples."
        )


def _looks_like_pixels(x: np.ndarray) -> bool:
    if x.dtype == np.uint8:
        return True
    low, high = float(x.min()), float(x.max())
    if x.dtype.kind in "iu":
        return low >= 0 and high <= 255
    return low >= 0.0 and high <= 1.0


def _npz_target(file: str, y: np.ndarray, task: str):
    kind = y.dtype.kind
    if kind in "US":
        if task == "regression":
            raise DatasetError(
                f"{file}: array 'y' holds text (dtype {y.dtype}); a regression target must be "
                "numbers. Use task='classification'."
            )
        values = y.astype(str)
        return encode_labels(file, "y", values, tuple(sorted(set(values.tolist()))))
    if kind not in "biuf":
        raise DatasetError(
            f"{file}: array 'y' has dtype {y.dtype}; targets must be numbers or strings."
        )
    _check_finite(file, "y", y)
    if kind == "b":
        y = y.astype(np.int64)
    as_classes = task == "classification" or (task == "auto" and kind != "f")
    if not as_classes:
        return y.astype(np.float64), "regression", ()
    distinct = np.unique(y)
    whole = bool(np.all(distinct == np.round(distinct)))
    if kind == "b":
        class_names = tuple(str(bool(v)) for v in distinct)
    else:
        class_names = tuple(str(int(v)) if whole else f"{v:.10g}" for v in distinct)
    if len(distinct) < 2:
        refuse_single_class(file, "y", class_names[0])
    return np.searchsorted(distinct, y), classification_task(len(distinct)), class_names
