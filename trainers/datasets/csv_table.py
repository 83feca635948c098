"""A CSV table's cells made into features and a target: the choices a researcher's data needs.

`csv_file` reads the file into columns of text; `make_table` turns them into numbers. A
feature column of text (more text cells than numbers) is one-hot encoded, or refused with the
choices offered; a column of numbers with a few text cells is refused, counting the rows to
correct. Rows with missing values are refused, dropped, or filled with the column mean. Every
message counts every problem row and names the first, so the user fixes the file once instead
of row after row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from trainers.datasets.base import classification_task, quoted
from trainers.datasets.file_common import (
    MAX_AUTO_CLASSES,
    MAX_LABEL,
    MAX_ONE_HOT,
    refuse_single_class,
)
from trainers.errors import DatasetError

MISSING_CELLS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
"""Cells that mean "no value" in exported tables (compared in lower case)."""
DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")
_SHOWN = 5  # rows or columns a message lists before "and N more"
_MISSING_ADVICE = "or choose Missing values: Drop rows or Fill with mean (--missing drop or mean)."


@dataclass
class Column:
    """One column as read: its cells, the same as numbers, and which cells are what.

    `numbers` is NaN where a cell is missing or text. `is_text` marks a column of categories:
    for a feature, one with more text cells than numbers; for the target, one with any text
    (whose missing cells are then only the empty ones: "NA" may name a class).
    """

    index: int
    name: str
    cells: np.ndarray
    numbers: np.ndarray
    missing: np.ndarray
    text: np.ndarray
    is_text: bool
    is_target: bool

    @property
    def label(self) -> str:
        return f"{'target column' if self.is_target else 'column'} {quoted(self.name)}"


def read_column(
    index: int, name: str, cells, decimal_comma: bool, is_target: bool = False
) -> Column:
    """The column of stripped text `cells` as a `Column`; decimal commas read as points."""
    if decimal_comma:
        cells = [c.replace(",", ".") if DECIMAL_COMMA.match(c) else c for c in cells]
    text = np.zeros(len(cells), dtype=bool)
    try:
        numbers = np.array(cells, dtype=np.float64)  # fast path: every cell a number
    except ValueError:
        numbers = np.full(len(cells), np.nan)
        for i, cell in enumerate(cells):
            if cell.lower() in MISSING_CELLS:
                continue
            try:
                numbers[i] = float(cell)
            except ValueError:
                text[i] = True
    # Objects, not fixed-width text: one long cell would make every cell of the column as wide.
    cells = np.array(cells, dtype=object)
    missing = np.isnan(numbers) & ~text
    n_text = int(text.sum())
    if is_target:
        is_text = n_text > 0
        if is_text:
            missing = cells == ""
    else:
        is_text = n_text > len(cells) - n_text - int(missing.sum())
    return Column(index, name, cells, numbers, missing, text, is_text, is_target)


@dataclass
class Table:
    """The features and target of a table's kept rows, and what was done to get them."""

    x: np.ndarray
    y: np.ndarray
    task: str
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    rows: int
    notes: list[str]


def make_table(
    file: str,
    features: list[Column],
    target: Column,
    lines: list[int],
    *,
    task: str,
    text_columns: str,
    missing: str,
) -> Table:
    """Features and target from the columns read, or the `DatasetError` that says what to do.

    `lines` holds each row's number in the file. `text_columns` ("onehot" or "refuse") and
    `missing` ("refuse", "drop" or "mean") are the user's choices, see `csv_file.load_csv`.
    """
    lines = np.asarray(lines)
    _check_numbers(file, features, lines)
    _check_text(file, [c for c in features if c.is_text], lines, text_columns)
    _check_finite(file, features, target, lines)
    if target.is_text and task == "regression":
        row = int(np.argmax(~target.missing & target.text))
        raise DatasetError(
            f"{file}: the target column {quoted(target.name)} holds text "
            f"({quoted(target.cells[row])} in row {lines[row]}); a regression target must be "
            "numbers. Choose another target column or use task='classification'."
        )
    keep, notes = _kept_rows(file, features, target, lines, missing)
    x, names, filled = _features(file, features, keep)
    if filled:
        notes.append(f"{filled:,} missing cells filled with the column mean")
    encoded = [
        f"{quoted(c.name)} ({len(np.unique(c.cells[keep & ~c.missing])):,} values)"
        for c in features
        if c.is_text
    ]
    if encoded:
        notes.insert(0, f"one-hot: {_listed(encoded)}")
    y, out_task, class_names = _target(file, target, keep, lines[keep], task)
    return Table(x, y, out_task, class_names, names, int(keep.sum()), notes)


def _listed(items: list[str], shown: int = _SHOWN) -> str:
    """The first `shown` items, then "and N more"."""
    if len(items) <= shown + 1:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} and {len(items) - shown:,} more"


def _rows_text(rows: np.ndarray) -> str:
    """ "row 4", "rows 4, 9 and 17" or "rows 4, 9, 17, 20, 33 and 7 more"."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    if len(rows) <= _SHOWN + 1:
        return f"rows {', '.join(map(str, rows[:-1]))} and {rows[-1]}"
    return f"rows {', '.join(map(str, rows[:_SHOWN]))} and {len(rows) - _SHOWN:,} more"


def _exclude_hint(names: list[str]) -> str:
    """How to leave `names` out: in the window and on the command line."""
    joined = ",".join(names)
    return f"Leave out; --exclude {joined if len(joined) <= 60 else 'NAME,NAME'}"


def _check_numbers(file: str, features: list[Column], lines: np.ndarray) -> None:
    """Refuse columns of numbers with text in some rows, counting the rows of each."""
    stray = [c for c in features if not c.is_text and c.text.any()]
    if not stray:
        return
    first = stray[0]
    row = int(np.argmax(first.text))
    example = f"{quoted(first.cells[row])} in row {lines[row]}"
    if len(stray) == 1:
        n = int(first.text.sum())
        cell = quoted(first.cells[row])
        where = _rows_text(lines[first.text]) + (f"; the first: {cell}" if n > 1 else f": {cell}")
        raise DatasetError(
            f"{file}: column {quoted(first.name)} holds numbers, but {n:,} "
            f"row{'s hold' if n > 1 else ' holds'} text in it ({where}). Correct those cells or "
            f"leave the column out ({_exclude_hint([first.name])})."
        )
    parts = [f"{quoted(c.name)} ({_rows_text(lines[c.text])})" for c in stray]
    raise DatasetError(
        f"{file}: columns {_listed(parts, 3)} hold numbers but text in some rows ({example}). "
        f"Correct those cells or leave the columns out "
        f"({_exclude_hint([c.name for c in stray])})."
    )


def _check_text(file: str, text: list[Column], lines: np.ndarray, choice: str) -> None:
    """Refuse text columns when asked to; else those too long or too varied to encode."""
    if not text:
        return
    names = [c.name for c in text]
    if choice == "refuse":
        row = int(np.argmax(text[0].text))
        several = len(text) > 1
        them, it = ("them", "one") if several else ("it", "it")
        raise DatasetError(
            f"{file}: feature column{'s' if several else ''} "
            f"{_listed([quoted(n) for n in names], 3)} hold{'' if several else 's'} text, not "
            f"numbers (row {lines[row]}: {quoted(text[0].cells[row])}). One-hot encode {them} "
            f"(Text columns: One-hot encode; --text-columns onehot), leave {them} out "
            f"({_exclude_hint(names)}), or choose {it} as the target."
        )
    for column in text:
        present = column.cells[~column.missing]
        longest = _longest(present)
        if len(present[longest]) > MAX_LABEL:  # a pasted paragraph, or a quote never closed
            raise DatasetError(
                f"{file}: row {lines[~column.missing][longest]} of column "
                f"{quoted(column.name)} holds {len(present[longest]):,} characters "
                f"({quoted(present[longest])}); a value to one-hot encode is a word or a "
                f"number. Leave the column out ({_exclude_hint([column.name])}), or look for a "
                'quote (") that is never closed.'
            )
        values = np.unique(present)
        if len(values) > MAX_ONE_HOT:
            raise DatasetError(
                f"{file}: column {quoted(column.name)} holds {len(values):,} different texts "
                f"(such as {quoted(values[0])} and {quoted(values[1])}); one-hot encoding takes "
                f"at most {MAX_ONE_HOT}. Leave it out ({_exclude_hint([column.name])}): an id or "
                "free text tells a network nothing it can learn."
            )


def _check_finite(file: str, features: list[Column], target: Column, lines: np.ndarray):
    """Refuse numbers that are not finite (inf, 1e400): no missing value, a wrong one."""
    columns = [c for c in _in_file_order(features, target) if not c.is_text]
    bad = [np.isinf(c.numbers) for c in columns]
    rows = np.any(bad, axis=0) if bad else np.zeros(len(lines), dtype=bool)
    if not rows.any():
        return
    row = int(np.argmax(rows))
    column = next(c for c, b in zip(columns, bad, strict=True) if b[row])
    where = f"row {lines[row]}, {column.label} holds {quoted(column.cells[row])}"
    n = int(rows.sum())
    if n == 1:
        raise DatasetError(
            f"{file}: {where}, which is not a finite number. Replace it or delete the row."
        )
    raise DatasetError(
        f"{file}: {n:,} rows hold numbers that are not finite ({_rows_text(lines[rows])}); "
        f"the first: {where}, which is not a finite number. Replace those values or delete "
        "the rows."
    )


def _in_file_order(features: list[Column], target: Column) -> list[Column]:
    return sorted([*features, target], key=lambda c: c.index)


def _kept_rows(
    file: str, features: list[Column], target: Column, lines: np.ndarray, choice: str
) -> tuple[np.ndarray, list[str]]:
    """The rows to keep as `missing` says, and what happened to the others."""
    columns = _in_file_order(features, target)
    gaps = np.stack([c.missing for c in columns])
    rows = gaps.any(axis=0)
    if not rows.any():
        return np.ones(len(lines), dtype=bool), []
    if choice == "refuse":
        row = int(np.argmax(rows))
        column = columns[int(np.argmax(gaps[:, row]))]
        cell = column.cells[row]
        where = f"row {lines[row]}, {column.label} " + (
            f"holds {quoted(cell)}" if cell else "is empty"
        )
        n = int(rows.sum())
        if n == 1:
            raise DatasetError(f"{file}: {where}. Fill it in or delete the row, {_MISSING_ADVICE}")
        raise DatasetError(
            f"{file}: {n:,} rows have missing values ({_rows_text(lines[rows])}; the first: "
            f"{where}). Fill them in or delete the rows, {_MISSING_ADVICE}"
        )
    if target.missing.all():
        raise DatasetError(
            f"{file}: the target column {quoted(target.name)} has no value in any row. Choose "
            "another target column."
        )
    keep = ~rows if choice == "drop" else ~target.missing
    if not keep.any():
        counts = sorted(((int(c.missing.sum()), c.name) for c in columns), reverse=True)
        worst = [f"{quoted(name)} ({n:,} rows)" for n, name in counts if n]
        raise DatasetError(
            f"{file}: every row has a missing value, so dropping them leaves none. Leave out "
            f"the columns with the most gaps ({_listed(worst, 3)}), or fill with the mean "
            "(--missing mean)."
        )
    dropped = int((~keep).sum())
    return keep, [f"{dropped:,} rows with missing values dropped"] if dropped else []


def _features(
    file: str, features: list[Column], keep: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...], int]:
    """(x, feature names, cells filled): numbers as they are, text one-hot encoded, and the
    missing cells of the kept rows filled with their column's mean over the kept rows."""
    blocks, names = [], []
    for column in features:
        missing = column.missing[keep]
        if column.is_text:
            cells = column.cells[keep]
            values = np.unique(cells[~missing])
            code = {value: i for i, value in enumerate(values)}
            block = np.zeros((len(cells), len(values)))
            known = np.flatnonzero(~missing)
            block[known, [code[c] for c in cells[known]]] = 1.0
            names += [f"{column.name}={value}" for value in values]
        else:
            block = column.numbers[keep][:, None]
            names.append(column.name)
        if missing.all():
            raise DatasetError(
                f"{file}: column {quoted(column.name)} has no values at all: leave it out "
                f"({_exclude_hint([column.name])})."
            )
        block[missing] = np.nan
        blocks.append(block)
    x = np.concatenate(blocks, axis=1)
    holes = np.isnan(x)
    filled = int(sum(c.missing[keep].sum() for c in features))
    if holes.any():
        x = np.where(holes, np.nanmean(x, axis=0), x)
    return x, tuple(names), filled


def _target(file: str, column: Column, keep: np.ndarray, lines: np.ndarray, task: str):
    """(y, task, class_names) of the kept rows."""
    if not column.is_text:
        return _numeric_target(file, column.numbers[keep], column.name, task)
    cells = column.cells[keep]
    longest = _longest(cells)
    if len(cells[longest]) > MAX_LABEL:  # a pasted paragraph, or a quote never closed
        raise DatasetError(
            f"{file}: row {lines[longest]} of the target column {quoted(column.name)} holds "
            f"{len(cells[longest]):,} characters ({quoted(cells[longest])}); a class is named "
            'by a word or a number. Choose another target column, or look for a quote (") '
            "that is never closed."
        )
    class_names = tuple(str(c) for c in np.unique(cells))
    if len(class_names) < 2:
        refuse_single_class(file, column.name, class_names[0])
    code = {name: i for i, name in enumerate(class_names)}
    labels = np.fromiter((code[c] for c in cells), dtype=np.int64, count=len(cells))
    return labels, classification_task(len(class_names)), class_names


def _longest(cells: np.ndarray) -> int:
    """The index of the longest of `cells` (Python strings)."""
    return max(range(len(cells)), key=lambda i: len(cells[i]))


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
