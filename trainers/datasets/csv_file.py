"""The user's CSV table: numeric feature columns and one target column.

Every problem ends in a `DatasetError` that names the file, the row or column where it applies,
and what to do about it. Rows are counted as a spreadsheet counts them: the first line of the
file is row 1, header included.

How the task is chosen when `task="auto"`: a target column holding any text is a set of classes
(sorted by name). A numeric target with at most 20 distinct whole-number values is a set of
classes (two: binary); any other numeric target is regression. `task="regression"` or
`task="classification"` overrides the guess.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from pathlib import Path

import numpy as np

from trainers.datasets.base import RawData, classification_task, quoted
from trainers.datasets.file_common import (
    LISTED,
    MAX_AUTO_CLASSES,
    MAX_LABEL,
    encode_labels,
    read_bytes,
    refuse_single_class,
)
from trainers.errors import DatasetError

# Cells that mean "no value" in exported tables; in a feature column they are missing cells.
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
_SAMPLE_BYTES = 64 * 1024
_SAMPLE_ROWS = 50
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_DELIMITERS = {name: char for char, name in _DELIMITER_NAMES.items()}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")


def csv_columns(path: str | Path) -> list[str]:
    """The column names of a CSV file, read from its first rows only.

    Without a header row the columns are named "column 1", "column 2", ... The last one is the
    default target.
    """
    path = Path(path)
    text = _decode(path, read_bytes(path, limit=_SAMPLE_BYTES), partial=True)
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
    text = _decode(path, read_bytes(path))
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
    shown = ", ".join(quoted(n) for n in names[:LISTED])
    more = f" and {len(names) - LISTED:,} more" if len(names) > LISTED else ""
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
    return encode_labels(file, name, np.array(cells), class_names)


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
        refuse_single_class(file, name, class_names[0])
    return labels, classification_task(len(distinct)), class_names
