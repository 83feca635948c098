"""Text for a terminal: numbers, aligned tables, an epoch's logs, the catalog listing, and the run
library's table and details (`descent runs`, and the window's Runs tab shows the same details).

Only formatting: nothing here reads files, trains or prints.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from trainers import catalog

if TYPE_CHECKING:
    from trainers.runs import RunCurves, RunRecord

# A table column: its title, and the text of one row's cell.
Column = tuple[str, Callable[[Any], str]]


def format_number(value: Any, digits: int = 4) -> str:
    """A table cell: `-` for None, a float with `digits` decimals (nan, inf as such), else str."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else str(value)
    return str(value)


def format_time(timestamp: float | None) -> str:
    """A run's start time as local date and minute, the way a person scans a list."""
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def steps_per_epoch_text(steps: int) -> str:
    """`1 step/epoch`, `10 steps/epoch`."""
    return f"{steps} step/epoch" if steps == 1 else f"{steps} steps/epoch"


def format_logs(logs: dict[str, float]) -> str:
    """An epoch's logs, `loss 0.1234  val_loss 0.2345  ...`, in the order of history.csv."""
    from trainers.storage import history_columns

    return "  ".join(f"{k} {logs[k]:.4f}" for k in history_columns(logs))


def printable(text: str) -> str:
    """`text` with every character a terminal would act on rather than show (escape codes,
    carriage returns, bells, line breaks) written as its Python escape: a run named
    "\x1b[2J" is printed as that, not obeyed. Letters of every script stay as they are."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def aligned_table(columns: Sequence[Column], items: Sequence[Any], right: Sequence[bool]) -> str:
    """A plain-text table: a title line, then one line per item, columns two spaces apart;
    column i right-aligned where `right[i]` (numbers), else left-aligned. Every cell is
    `printable`."""
    cells = [[title for title, _ in columns]]
    cells += [[printable(cell(item)) for _, cell in columns] for item in items]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = []
    for line in cells:
        parts = [
            value.rjust(width) if to_right else value.ljust(width)
            for value, width, to_right in zip(line, widths, right, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


# ---------------------------------------------------------------------------- `descent list`
def catalog_text(origins: dict[str, str] | None = None) -> str:
    """What `descent list` prints before the device: datasets, optimizers, losses; an entry
    in `origins` (a plugin's) is marked with where it came from."""
    origins = origins or {}

    def mark(name: str) -> str:
        return f"  [{origins[name]}]" if name in origins else ""

    lines = ["Datasets"]
    for kind in ("generated", "scikit-learn", "keras"):
        lines.append(f"  {kind}:")
        for d in catalog.DATASETS:
            if d.kind == kind:
                lines.append(f"    {d.name:<16} {d.task:<11} {d.description}")
    lines.append(
        "  your own: a .csv (--target COLUMN), a .npz with x and y, a folder of class folders"
    )
    lines += ["", "Optimizers (hyperparameter=default, valid range: meaning)"]
    for info in catalog.OPTIMIZERS:
        equation = info.equation.replace("\n", " ; ")
        lines.append(f"  {info.name:<10} {info.display_name}: {equation}{mark(info.name)}")
        for p in info.params:
            lines.append(f"      {p.name}={p.default}  {p.range_text()}: {p.help}")
    lines += ["", f"{catalog.KERAS_BUILTIN} optimizers, as references (compare and benchmark)"]
    for info in catalog.KERAS_BUILTINS:
        lines.append(f"  {info.name:<24} {info.display_name}: {info.summary}")
        for p in info.params:
            lines.append(f"      {p.name}={p.default}  {p.range_text()}: {p.help}")
    lines += ["", "Losses (fits: tasks)"]
    for loss in catalog.LOSSES:
        opts = ", ".join(f"{p.name}={p.default}" for p in loss.params)
        lines.append(f"  {loss.name:<32} fits: {', '.join(loss.tasks):<20} {opts}{mark(loss.name)}")
    return "\n".join(lines) + "\n"


def device_text(description: str, gpu_count: int) -> str:
    """The device part of `descent list`."""
    text = f"\nDevice\n  {description}\n"
    if gpu_count > 1:
        text += f"  --distribute mirrored trains on all {gpu_count} GPUs at once\n"
    return text


# ------------------------------------------------------------------------- the run library
_RUN_COLUMNS: list[Column] = [
    ("id", lambda r: str(r.id)),
    ("name", lambda r: r.name),
    ("status", lambda r: r.status),
    ("dataset", lambda r: r.dataset),
    ("optimizer", lambda r: r.optimizer),
    ("lr", lambda r: "-" if r.learning_rate is None else f"{r.learning_rate:g}"),
    ("batch", lambda r: r.batch_size or "-"),
    ("epochs", lambda r: f"{r.epochs_done}/{r.epochs if r.epochs is not None else '?'}"),
    ("loss", lambda r: format_number(r.final_loss)),
    ("val_loss", lambda r: format_number(r.final_val_loss)),
    ("time s", lambda r: format_number(r.duration_s, 1)),
    ("started", lambda r: format_time(r.started_at)),
    ("tags", lambda r: ", ".join(r.tags)),
]
_NUMERIC_RUN_COLUMNS = {"id", "lr", "batch", "epochs", "loss", "val_loss", "time s"}


def format_table(records: Sequence[RunRecord]) -> str:
    """Runs as an aligned plain-text table, one line each (for `descent runs`)."""
    right = [title in _NUMERIC_RUN_COLUMNS for title, _ in _RUN_COLUMNS]
    return aligned_table(_RUN_COLUMNS, records, right)


def format_details(record: RunRecord, curves: RunCurves | None = None) -> str:
    """Everything about one run, as `descent runs show` prints it: settings, result, where it
    ran, and the epoch table when `curves` are given."""
    cell = format_number
    lines = [
        f"Run {record.id}: {record.name}",
        f"  status       {record.status}" + (f": {record.message}" if record.message else ""),
        f"  kind         {record.kind} (from the {record.source})"
        + (f", group {record.group!r}" if record.group else ""),
        f"  dataset      {record.dataset}",
        f"  optimizer    {record.optimizer}, learning rate {cell(record.learning_rate, 6)}",
        f"  loss         {record.loss or '-'}; batch {record.batch_size}",
        f"  epochs       {record.epochs_done} of {record.epochs}; {record.steps_done} steps",
        f"  started      {format_time(record.started_at)}; duration {cell(record.duration_s, 1)} s",
        f"  final        loss {cell(record.final_loss)}, val_loss {cell(record.final_val_loss)}"
        + (
            f", {record.metric} {cell(record.final_metric)}, val_{record.metric} "
            f"{cell(record.final_val_metric)}"
            if record.metric
            else ""
        ),
        f"  tags         {', '.join(record.tags) or '-'}",
        f"  model        {record.model_path or 'not saved'}",
        f"  device       {record.device or '-'} on {record.hostname} (pid {record.pid})",
        "  versions     " + ", ".join(f"{k} {v}" for k, v in record.versions.items()),
    ]
    for key, title in (("dataset_summary", "data"), ("model_summary", "network")):
        if key in record.details:
            lines.append(f"  {title:<12} {record.details[key]}")
    lines.append("  config       " + json.dumps(record.config, sort_keys=True))
    if curves is not None and len(curves.epochs):
        keys = [k for k in ("loss", "val_loss") if k in curves.history]
        keys += sorted(k for k in curves.history if k not in keys)
        lines.append("")
        lines.append("  " + "  ".join(["epoch".rjust(5), *(k.rjust(12) for k in keys)]))
        for i, epoch in enumerate(curves.epochs.tolist()):
            values = [cell(float(curves.history[k][i])).rjust(12) for k in keys]
            lines.append("  " + "  ".join([str(epoch).rjust(5), *values]))
    return "\n".join(printable(line) for line in lines)
