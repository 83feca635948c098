"""The user's CSV table: feature columns and one target column.

Every problem ends in a `DatasetError` that names the file, the row or column where it applies,
and what to do about it; a problem of many rows counts them all. Rows are counted as a
spreadsheet counts them: the first line of the file is row 1, header included. Text columns
and missing values are handled as the user chooses (`load_csv`, and `csv_table`).

How the task is chosen when `task="auto"`: a target column holding any text is a set of classes
(sorted by name). A numeric target with at most 20 distinct whole-number values is a set of
classes (two: binary); any other numeric target is regression. `task="regression"` or
`task="classification"` overrides the guess.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from pathlib import Path

from trainers.datasets.base import RawData, quoted
from trainers.datasets.csv_table import (
    DECIMAL_COMMA,
    MISSING_CELLS,
    make_table,
    read_column,
)
from trainers.datasets.file_common import LISTED, read_bytes
from trainers.errors import DatasetError

_SAMPLE_BYTES = 64 * 1024
_SAMPLE_ROWS = 50
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_DELIMITERS = {name: char for char, name in _DELIMITER_NAMES.items()}


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
    path: str | Path,
    *,
    target: str | None = None,
    task: str = "auto",
    delimiter: str = "auto",
    text_columns: str = "onehot",
    missing: str = "refuse",
    exclude: Sequence[str] | str = (),
) -> RawData:
    """Read a CSV table: feature columns and one target column (the last by default).

    Args:
        path: the file; UTF-8 (a BOM is fine), or UTF-16 or UTF-32 with a BOM.
        target: name of the target column (an exact match, else a case-insensitive one).
        task: "auto" (see the module docstring), "regression" or "classification".
        delimiter: "auto" (sniffed from the first rows), "comma", "semicolon" or "tab". With
            semicolons or tabs, a decimal comma ("1,5") reads as a decimal point.
        text_columns: a feature column of text (more text cells than numbers): "onehot" makes
            it one 0/1 column per distinct value, named "column=value" (at most
            `MAX_ONE_HOT` values); "refuse" refuses the file, offering the choices.
        missing: rows with a missing cell (empty, NA, NaN, null, ?, -): "refuse" the file,
            counting them; "drop" them; or "mean": fill each missing feature with its column's
            mean over the file's rows (validation rows included: simple, and the mean of
            four fifths of the rows would differ little). A missing one-hot value becomes the
            values' frequencies. Rows without a target are dropped by "drop" and "mean" alike.
        exclude: columns left out, never read: names (matched as `target` is), as a list or
            between commas.
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
    left_out = _left_out(file, names, _excluded_names(file, exclude), t)
    columns = list(zip(*rows, strict=True))
    decimal_comma = delimiter != ","
    features = [
        read_column(i, names[i], columns[i], decimal_comma)
        for i in range(width)
        if i != t and i not in left_out
    ]
    table = make_table(
        file,
        features,
        read_column(t, names[t], columns[t], decimal_comma, is_target=True),
        lines,
        task=task,
        text_columns=text_columns,
        missing=missing,
    )
    kind = "regression" if table.task == "regression" else "classes"
    notes = table.notes
    if left_out:
        notes.append(f"left out: {', '.join(quoted(names[i]) for i in sorted(left_out))}")
    return RawData(
        table.x,
        table.y,
        table.task,
        table.class_names,
        table.feature_names,
        description="; ".join(
            [f"{file}: {table.rows:,} rows, target column {quoted(names[t])} ({kind})", *notes]
        ),
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


def _is_number(cell: str) -> bool:
    if DECIMAL_COMMA.match(cell):
        cell = cell.replace(",", ".")
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _has_header(rows: list[list[str]]) -> bool:
    """A first row is a header when it is all text, or when one of its cells is text where the
    rows below hold numbers in that column."""
    first, below = rows[0], rows[1:_SAMPLE_ROWS]
    if all(not _is_number(cell) and cell.lower() not in MISSING_CELLS for cell in first):
        return True
    for col, cell in enumerate(first):
        if _is_number(cell):
            continue
        values = [r[col] for r in below if col < len(r) and r[col].lower() not in MISSING_CELLS]
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


def _find(names: list[str], wanted: str) -> int | None:
    """The index of the column `wanted`: an exact match, else a single case-insensitive one."""
    if wanted in names:
        return names.index(wanted)
    folded = [i for i, n in enumerate(names) if n.casefold() == str(wanted).strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _shown(names: list[str]) -> str:
    more = f" and {len(names) - LISTED:,} more" if len(names) > LISTED else ""
    return ", ".join(quoted(n) for n in names[:LISTED]) + more


def _target_index(file: str, names: list[str], target: str | None) -> int:
    if target is None:
        return len(names) - 1
    index = _find(names, target)
    if index is None:
        raise DatasetError(
            f"{file} has no column {quoted(target)}. Choose one of its columns: {_shown(names)}."
        )
    return index


def _excluded_names(file: str, exclude) -> list[str]:
    """`exclude` as a list of names: given as a list, or as one text of names between commas."""
    if isinstance(exclude, str):
        exclude = exclude.split(",")
    if not isinstance(exclude, list | tuple) or not all(isinstance(n, str) for n in exclude):
        raise DatasetError(
            f'{file}: `exclude` takes column names, like ["id", "name"] or "id,name". '
            f"Received: exclude={quoted(exclude)}"
        )
    return [name.strip() for name in exclude if name.strip()]


def _left_out(file: str, names: list[str], exclude: list[str], target: int) -> set[int]:
    """The indexes of the columns `exclude` names; never the target, never every feature."""
    left_out = set()
    for name in exclude:
        index = _find(names, name)
        if index is None:
            raise DatasetError(
                f"{file} has no column {quoted(name)} to leave out. Its columns: {_shown(names)}."
            )
        if index == target:
            raise DatasetError(
                f"{file}: {quoted(names[index])} is the target column, so it cannot be left "
                "out. Choose another target column, or keep this one."
            )
        left_out.add(index)
    if len(left_out) == len(names) - 1:
        raise DatasetError(
            f"{file}: leaving out {_shown([names[i] for i in sorted(left_out)])} leaves no "
            f"feature column beside the target {quoted(names[target])}: leave fewer out."
        )
    return left_out
