"""The user's own data: a CSV table, an NPZ archive of `x` and `y`, or a folder of images.

Every problem ends in a `DatasetError` that names the file, the row, column or array where it
applies, and what to do about it. Rows are counted as a spreadsheet counts them: the first line
of the file is row 1, header included.

How the task is chosen when `task="auto"`:
- CSV: a target column holding any text is a set of classes (sorted by name). A numeric target
  with at most 20 distinct whole-number values is a set of classes (two: binary); any other
  numeric target is regression.
- NPZ: `y` of an integer, bool or string type is a set of classes; a float `y` is regression.
`task="regression"` or `task="classification"` overrides the guess.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import zipfile
from pathlib import Path

import numpy as np

from trainers.catalog import Param
from trainers.datasets.base import RawData, classification_task, path_text, quoted
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
)
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

# Cells that mean "no value" in exported tables; in a feature column they are missing cells.
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
_SAMPLE_BYTES = 64 * 1024
_SAMPLE_ROWS = 50
MAX_LABEL = 1000
"""Longest class name a CSV target may hold: longer is pasted text, not a class."""
MIN_IMAGE_SIDE = 4
"""Smallest image side the default network takes: its two 2x2 poolings need 4 pixels."""
MAX_IMAGE_PIXELS = 50_000_000
"""Largest image read (50 megapixels, a large photo); a header declaring more is refused unread."""
_LISTED = 20  # names listed in a message; a file may have thousands of columns
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_DELIMITERS = {name: char for char, name in _DELIMITER_NAMES.items()}
_NPZ_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")


# ------------------------------------------------------------------------------------------ CSV


def csv_columns(path: str | Path) -> list[str]:
    """The column names of a CSV file, read from its first rows only.

    Without a header row the columns are named "column 1", "column 2", ... The last one is the
    default target.
    """
    path = Path(path)
    text = _decode(path, _read_bytes(path, limit=_SAMPLE_BYTES), partial=True)
    delimiter = _sniff(text)
    rows, _ = _parse(path, text, delimiter, max_rows=_SAMPLE_ROWS)
    if not rows:
        raise DatasetError(f"{path.name} is empty: it holds no rows. Choose a CSV file with data.")
    header = _has_header(rows)
    return _column_names(rows[0], header)


def load_csv(
    path: str | Path, *, target: str | None = None, task: str = "auto", delimiter: str = "auto"
) -> RawData:
    """Read a CSV table: numeric feature columns and one target column (the last by default).

    Args:
        path: the file; UTF-8 (a BOM is fine), or UTF-16 or UTF-32 with a BOM.
        target: name of the target column (an exact match, else a case-insensitive one).
        task: "auto" (see the module docstring), "regression" or "classification".
        delimiter: "auto" (sniffed from the first rows), "comma", "semicolon" or "tab". With
            semicolons or tabs, a decimal comma ("1,5") reads as a decimal point.
    """
    path = Path(path)
    file = path.name
    text = _decode(path, _read_bytes(path))
    if delimiter == "auto":
        delimiter = _sniff(text[:_SAMPLE_BYTES])
    delimiter = _DELIMITERS.get(delimiter, delimiter)
    rows, lines = _parse(path, text, delimiter)
    if not rows:
        raise DatasetError(f"{file} is empty: it holds no rows. Choose a CSV file with data.")
    header = _has_header(rows)
    names = _column_names(rows[0], header)
    if header:
        rows, lines = rows[1:], lines[1:]
    if not rows:
        raise DatasetError(
            f"{file} has a header row but no data rows below it. Add rows of numbers."
        )
    width = len(names)
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            first = "the header has" if header else f"row {lines[0]} has"
            raise DatasetError(
                f"{file}: row {line} has {len(row)} values but {first} {width}. Give every row "
                f"the same number of values (look for a missing or extra "
                f"{_DELIMITER_NAMES.get(delimiter, repr(delimiter))} in row {line})."
            )
    if width < 2:
        raise DatasetError(
            f"{file} has a single column ({quoted(names[0])}): it needs at least one feature "
            "column and a target column."
        )
    if len(rows) < 2:
        raise DatasetError(
            f"{file} has a single data row (row {lines[0]}); at least 2 samples are needed "
            "to train. Add rows."
        )
    t = _target_index(file, names, target)
    columns = list(zip(*rows, strict=True))
    decimal_comma = delimiter != ","
    feature_index = [i for i in range(width) if i != t]
    feature_names = [names[i] for i in feature_index]
    x = _features(file, [columns[i] for i in feature_index], feature_names, lines, decimal_comma)
    y, out_task, class_names = _target(file, columns[t], names[t], lines, task, decimal_comma)
    kind = "regression" if out_task == "regression" else "classes"
    return RawData(
        x,
        y,
        out_task,
        class_names,
        tuple(feature_names),
        description=f"{file}: {len(rows):,} rows, target column {quoted(names[t])} ({kind})",
        source=str(path),
    )


def _read_bytes(path: Path, limit: int | None = None) -> bytes:
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


def _decode(path: Path, raw: bytes, partial: bool = False) -> str:
    """UTF-8 (with or without BOM), or UTF-16 or UTF-32 with a BOM; anything else is refused."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        encoding = "utf-32"  # tested first: the UTF-32-LE mark starts like the UTF-16-LE one
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        if b"\x00" in raw[:_SAMPLE_BYTES]:
            raise DatasetError(
                f"{path.name} is a binary file, not CSV text. Export the table as CSV "
                "(comma-separated values) and choose that file."
            )
        encoding = "utf-8-sig"
    try:
        if partial:  # the sample may end inside a multi-byte character: leave that one out
            return codecs.getincrementaldecoder(encoding)().decode(raw, final=False)
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        raise DatasetError(
            f"{path.name} is not UTF-8 text: byte 0x{raw[exc.start]:02x} in row {row} cannot be "
            "read. Save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8') and choose it again."
        ) from exc


def _sniff(text: str) -> str:
    """The delimiter whose split gives the most consistent number of fields (> 1) per row.

    Tab and semicolon win ties over comma: a file separated by them may use decimal commas.
    """
    sample = [line for line in text.splitlines()[:_SAMPLE_ROWS] if line.strip()]
    best, best_score = ",", (0.0, 0)
    for rank, candidate in enumerate((",", ";", "\t")):
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=candidate)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode) / len(counts), rank)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _parse(
    path: Path, text: str, delimiter: str, max_rows: int | None = None
) -> tuple[list[list[str]], list[int]]:
    """Rows of stripped cells and the file row each one starts on; blank rows are skipped."""
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                rows.append(cells)
                lines.append(start)
                if max_rows is not None and len(rows) >= max_rows:
                    break
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            # Nearly always a quote that is opened and never closed, swallowing the rows below.
            raise DatasetError(
                f"{path.name}: the value starting in row {start} is longer than "
                f'{csv.field_size_limit():,} characters. Look for a quote (") in that row that '
                "is never closed, or remove the long text: a cell must hold one number or label."
            ) from exc
        raise DatasetError(
            f"{path.name}: row {reader.line_num} is not valid CSV ({exc}). Check the quotes "
            "in that row."
        ) from exc
    return rows, lines


def _is_number(cell: str, decimal_comma: bool = True) -> bool:
    try:
        _to_float(cell, decimal_comma)
    except ValueError:
        return False
    return True


def _has_header(rows: list[list[str]]) -> bool:
    """A first row is a header when it is all text, or when one of its cells is text where the
    rows below hold numbers in that column."""
    first, below = rows[0], rows[1:_SAMPLE_ROWS]
    if all(not _is_number(cell) and cell.lower() not in _MISSING for cell in first):
        return True
    for col, cell in enumerate(first):
        if _is_number(cell):
            continue
        values = [r[col] for r in below if col < len(r) and r[col].lower() not in _MISSING]
        if values and all(_is_number(v) for v in values):
            return True
    return False


def _column_names(first: list[str], header: bool) -> list[str]:
    if not header:
        return [f"column {i + 1}" for i in range(len(first))]
    names: list[str] = []
    for i, cell in enumerate(first):
        name = cell or f"column {i + 1}"
        base, k = name, 2
        while name in names:  # duplicate headers stay distinguishable
            name, k = f"{base} ({k})", k + 1
        names.append(name)
    return names


def _target_index(file: str, names: list[str], target: str | None) -> int:
    if target is None:
        return len(names) - 1
    if target in names:
        return names.index(target)
    folded = [i for i, n in enumerate(names) if n.casefold() == str(target).strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(quoted(n) for n in names[:_LISTED])
    more = f" and {len(names) - _LISTED:,} more" if len(names) > _LISTED else ""
    raise DatasetError(
        f"{file} has no column {quoted(target)}. Choose one of its columns: {shown}{more}."
    )


def _to_float(cell: str, decimal_comma: bool) -> float:
    if decimal_comma and _DECIMAL_COMMA.match(cell):
        cell = cell.replace(",", ".")
    return float(cell)


def _parse_column(cells, lines, decimal_comma: bool):
    """(values, text, gap): the column as floats, or the first (row, cell) that is text, and
    the first (row, cell) that is missing or not finite."""
    if decimal_comma:
        cells = [c.replace(",", ".") if _DECIMAL_COMMA.match(c) else c for c in cells]
    try:
        values = np.array(cells, dtype=np.float64)  # fast path: every cell a number
    except ValueError:
        values = np.empty(len(cells))
        gap = None
        for i, (cell, line) in enumerate(zip(cells, lines, strict=True)):
            if cell.lower() in _MISSING:
                values[i] = math.nan
                gap = gap or (line, cell)
                continue
            try:
                values[i] = float(cell)
            except ValueError:
                return None, (line, cell), gap
    finite = np.isfinite(values)
    if finite.all():
        return values, None, None
    first = int(np.argmin(finite))
    return values, None, (lines[first], cells[first])


def _features(file, columns, names, lines, decimal_comma) -> np.ndarray:
    """All feature columns as one float array, or the first problem, named."""
    parsed = [_parse_column(cells, lines, decimal_comma) for cells in columns]
    text = [
        f"{quoted(name)} (row {found[0]}: {quoted(found[1])})"
        for name, (_, found, _) in zip(names, parsed, strict=True)
        if found
    ]
    if text:
        several = len(text) > 1
        raise DatasetError(
            f"{file}: feature column{'s' if several else ''} {', '.join(text)} "
            f"{'are' if several else 'is'} not numeric. Features must be numbers: remove "
            f"{'those columns' if several else 'the column'}, encode "
            f"{'them' if several else 'it'} as numbers, or choose "
            f"{'one' if several else 'it'} as the target."
        )
    gaps = [(gap, name) for name, (_, _, gap) in zip(names, parsed, strict=True) if gap]
    if gaps:
        (line, cell), name = min(gaps, key=lambda item: item[0][0])
        raise DatasetError(f"{file}: row {line}, column {quoted(name)} {_gap_text(cell)}")
    return np.stack([values for values, _, _ in parsed], axis=1)


def _gap_text(cell: str) -> str:
    if not cell:
        return "is empty. Fill in the value or delete the row."
    if cell.lower() in _MISSING:
        return f"is missing ({quoted(cell)}). Fill in the value or delete the row."
    return f"holds {quoted(cell)}, which is not a finite number. Replace it or delete the row."


def _target(file, cells, name, lines, task, decimal_comma):
    """(y, task, class_names) for the target column."""
    for cell, line in zip(cells, lines, strict=True):
        if not cell:
            raise DatasetError(
                f"{file}: row {line} has no value in the target column {quoted(name)}. Fill it "
                "in or delete the row."
            )
    values, text, gap = _parse_column(cells, lines, decimal_comma)
    if text is None:
        if gap:
            line, cell = gap
            raise DatasetError(
                f"{file}: row {line}, target column {quoted(name)} {_gap_text(cell)}"
            )
        return _numeric_target(file, values, name, task)
    if task == "regression":
        line, cell = text
        raise DatasetError(
            f"{file}: the target column {quoted(name)} holds text ({quoted(cell)} in row "
            f"{line}); a regression target must be numbers. Choose another target column or use "
            "task='classification'."
        )
    longest = max(range(len(cells)), key=lambda i: len(cells[i]))
    if len(cells[longest]) > MAX_LABEL:  # a pasted paragraph, or a quote never closed
        raise DatasetError(
            f"{file}: row {lines[longest]} of the target column {quoted(name)} holds "
            f"{len(cells[longest]):,} characters ({quoted(cells[longest])}); a class is named by "
            'a word or a number. Choose another target column, or look for a quote (") that '
            "is never closed."
        )
    class_names = tuple(sorted(set(cells)))
    return _encode(file, name, np.array(cells), class_names)


def _numeric_target(file: str, numbers: np.ndarray, name: str, task: str):
    distinct = np.unique(numbers)
    whole = bool(np.all(distinct == np.round(distinct)))
    as_classes = task == "classification" or (
        task == "auto" and whole and len(distinct) <= MAX_AUTO_CLASSES
    )
    if not as_classes:
        return numbers, "regression", ()
    class_names = tuple(str(int(v)) if whole else f"{v:.10g}" for v in distinct)
    labels = np.searchsorted(distinct, numbers)
    if len(distinct) < 2:
        _single_class(file, name, class_names[0])
    return labels, classification_task(len(distinct)), class_names


def _encode(file: str, name: str, values: np.ndarray, class_names: tuple[str, ...]):
    if len(class_names) < 2:
        _single_class(file, name, class_names[0])
    labels = np.searchsorted(np.array(class_names), values)
    return labels, classification_task(len(class_names)), class_names


def _single_class(file: str, name: str, value: str):
    raise DatasetError(
        f"{file}: the target column {quoted(name)} holds the same class ({quoted(value)}) in "
        "every row; a classifier needs at least two classes. Choose another target column or "
        "add rows of another class."
    )


# ------------------------------------------------------------------------------------------ NPZ


def load_npz(path: str | Path, *, task: str = "auto") -> RawData:
    """Read arrays `x` (features or images) and `y` (targets) from an .npz archive.

    Loaded with `allow_pickle=False`: an object array is refused, never unpickled. An `x` of 3
    or 4 dimensions holding 0..255 or 0..1 is a stack of images; other inputs are standardized.
    """
    path = Path(path)
    file = path.name
    head = _read_bytes(path, limit=8)  # existence, folder and permission errors, as for CSV
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
        held = ", ".join(quoted(k) for k in archive.files[:_LISTED]) or "nothing"
        if len(archive.files) > _LISTED:
            held += f" and {len(archive.files) - _LISTED:,} more"
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
        return _encode(file, "y", values, tuple(sorted(set(values.tolist()))))
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
        _single_class(file, "y", class_names[0])
    return np.searchsorted(distinct, y), classification_task(len(distinct)), class_names


# --------------------------------------------------------------------------------- image folder


def load_image_folder(
    path: str | Path, *, image_size: int = 32, color_mode: str = "rgb"
) -> RawData:
    """Read a folder with one sub-folder of images per class; the sub-folder names the class.

    Images (png, jpg, bmp, gif: first frame, webp) are read with `tf.io.decode_image`, resized
    to `image_size` x `image_size` with `tf.image.resize` and scaled to [0, 1].
    """
    path = Path(path)
    folder = path.name
    class_dirs = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    if len(class_dirs) < 2:
        found = f"only {quoted(class_dirs[0].name)}" if class_dirs else "none"
        raise DatasetError(
            f"{folder}: an image folder needs at least two class sub-folders, one per class "
            f"(found {found}). Put each class's images in a sub-folder named after the class."
        )
    files: list[tuple[Path, int]] = []
    for label, class_dir in enumerate(class_dirs):
        images = sorted(
            p
            for p in class_dir.rglob("*")
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
        )
        if not images:
            raise DatasetError(
                f"{folder}: class folder {quoted(class_dir.name)} holds no images "
                f"({', '.join(IMAGE_SUFFIXES)}). Add images or remove the folder."
            )
        files.extend((p, label) for p in images)

    import tensorflow as tf  # imported here: the tabular loaders never need it

    channels = 1 if color_mode == "grayscale" else 3
    x = np.empty((len(files), image_size, image_size, channels), dtype=np.float32)
    for i, (file, _) in enumerate(files):
        name = quoted(file.relative_to(path).as_posix())
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise DatasetError(
                f"{folder}: image {name} cannot be opened ({exc.strerror or exc}). Check that "
                "it is readable, or delete it."
            ) from exc
        size = _declared_size(tf, data)
        if size and size[0] * size[1] > MAX_IMAGE_PIXELS:
            raise DatasetError(
                f"{folder}: image {name} declares {size[0]:,}x{size[1]:,} pixels; images of up "
                f"to {MAX_IMAGE_PIXELS:,} pixels are read. Shrink it, or delete it if it is "
                "damaged."
            )
        try:
            image = tf.io.decode_image(data, dtype=tf.float32, expand_animations=False)
        except (tf.errors.OpError, ValueError) as exc:
            raise DatasetError(
                f"{folder}: image {name} cannot be read ({_tf_message(exc)}). Replace or "
                "delete the file."
            ) from exc
        image = _with_channels(tf, image, channels)
        x[i] = tf.image.resize(image, (image_size, image_size)).numpy()
    np.clip(x, 0.0, 1.0, out=x)
    class_names = tuple(d.name for d in class_dirs)
    return RawData(
        x,
        np.array([label for _, label in files], dtype=np.int64),
        classification_task(len(class_names)),
        class_names,
        description=f"{folder}: {len(files):,} images in {len(class_names)} classes",
        images=True,
        source=str(path),
    )


def _declared_size(tf, data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, GIF, BMP or JPEG; None when not found.

    Checked before decoding: a damaged or crafted header can declare billions of pixels, and
    the decoder allocates them before it finds the data missing.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"BM") and len(data) >= 26:
        if int.from_bytes(data[14:18], "little") == 12:  # the old OS/2 header: 16-bit sides
            return int.from_bytes(data[18:20], "little"), int.from_bytes(data[20:22], "little")
        width = int.from_bytes(data[18:22], "little", signed=True)
        return abs(width), abs(int.from_bytes(data[22:26], "little", signed=True))
    if data.startswith(b"\xff\xd8"):
        try:
            height, width, _ = (int(v) for v in tf.image.extract_jpeg_shape(data).numpy())
        except (tf.errors.OpError, ValueError):
            return None  # the decoder names the damage
        return width, height
    return None


def _with_channels(tf, image, channels: int):
    have = image.shape[-1]
    if have in (2, 4):  # drop the alpha channel
        image = image[..., : have - 1]
        have -= 1
    if have == channels:
        return image
    if channels == 1:
        return tf.image.rgb_to_grayscale(image)
    return tf.image.grayscale_to_rgb(image)


def _tf_message(exc: Exception) -> str:
    """The useful part of a TensorFlow error, without the op and device decoration."""
    text = getattr(exc, "message", None) or str(exc)
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", text)
    return re.sub(r"\s*\[Op:\w+\].*$", "", text).strip()
