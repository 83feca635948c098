"""Writing the run library: the rows a run is recorded with, and the INSERTs and UPDATEs behind
`RunLibrary`'s writes and edits.

The `*_row` functions build a run's columns from what the session reports; they run before the
write transaction, which stays short. The functions taking a connection run inside the write
transaction the caller holds (`RunLibrary._writing`), so a run's row, curves and tags change
together or not at all.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainers.runs.process import process_token, versions

if TYPE_CHECKING:
    from trainers.config import RunConfig
    from trainers.events import RunInfo, RunResult

# One epoch row: (epoch, seconds, logs).
EpochRow = tuple[int, float | None, dict[str, float]]


def default_name(config: RunConfig) -> str:
    """A run's name until the user renames it: optimizer, learning rate, batch size and
    dataset ("adam lr=0.001 · batch 32 · moons")."""
    dataset = Path(config.dataset).name if os.sep in config.dataset else config.dataset
    try:
        rate = f" lr={config.learning_rate():g}"
    except (ValueError, TypeError):
        rate = ""
    return f"{config.optimizer}{rate} · batch {config.batch_size} · {dataset}"


def _finite_or_none(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# ------------------------------------------------------------------------ rows, before writing
def new_run_row(
    config: RunConfig,
    *,
    name: str | None,
    kind: str,
    group: str | None,
    source: str,
    hostname: str,
) -> dict[str, Any]:
    """The columns of a new run in status `running`, owned by this process."""
    now = time.time()
    pid = os.getpid()
    try:
        rate = config.learning_rate()
    except (ValueError, TypeError):
        rate = None
    return {
        "name": name or default_name(config),
        "kind": kind,
        "group_name": group,
        "source": source,
        "status": "running",
        "dataset": config.dataset,
        "optimizer": config.optimizer,
        "loss": config.loss,
        "learning_rate": rate,
        "batch_size": str(config.batch_size),
        "epochs": int(config.epochs),
        "config": json.dumps(config.to_dict()),
        "started_at": now,
        "updated_at": now,
        "versions": json.dumps(versions()),
        "pid": pid,
        "process_token": process_token(pid),
        "hostname": hostname,
    }


def info_row(info: RunInfo) -> dict[str, Any]:
    """What the session built: loss, metric, device, and the dataset and model descriptions."""
    details = {
        "dataset_summary": info.dataset_summary,
        "model_summary": info.model_summary,
        "task": info.task,
        "n_train": info.n_train,
        "n_val": info.n_val,
        "steps_per_epoch": info.steps_per_epoch,
        "steps_per_execution": info.steps_per_execution,
        "total_steps": info.total_steps,
    }
    return {
        "loss": info.loss,
        "metric": info.metric,
        "device": info.device,
        "batch_size": str(info.batch_size),
        "details": json.dumps(details),
        "config": json.dumps(info.config.to_dict()),
        "updated_at": time.time(),
    }


def finish_row(result: RunResult | None, status: str = "") -> dict[str, Any]:
    """How a run ended: status (the result's unless given), message, duration, final metrics."""
    status = status or (result.status if result is not None else "failed")
    row: dict[str, Any] = {
        "status": status,
        "finished_at": time.time(),
        "message": result.message if result is not None else "",
    }
    if result is not None:
        row["duration_s"] = float(result.duration_s)
        row["epochs_done"] = int(result.epochs_done)
        final = {key: values[-1] for key, values in result.history.items() if values}
        if final:
            metric = result.info.metric if result.info is not None else None
            row.update(
                final_logs=json.dumps(final),
                final_loss=_finite_or_none(final.get("loss")),
                final_val_loss=_finite_or_none(final.get("val_loss")),
                final_metric=_finite_or_none(final.get(metric)) if metric else None,
                final_val_metric=(_finite_or_none(final.get(f"val_{metric}")) if metric else None),
            )
    return row


# ------------------------------------------------------------- inside the write transaction
def insert_run(db: sqlite3.Connection, row: dict[str, Any]) -> int:
    """Add a run (a `new_run_row`); returns its id."""
    columns = ", ".join(row)
    marks = ", ".join(f":{key}" for key in row)
    cursor = db.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", row)
    return int(cursor.lastrowid)


def update_run(db: sqlite3.Connection, run_id: int, row: dict[str, Any]) -> None:
    """Set a run's columns (names from our code, never from the user) to the values of `row`."""
    sets = ", ".join(f"{key} = :{key}" for key in row)
    db.execute(f"UPDATE runs SET {sets} WHERE id = :id", {**row, "id": run_id})


def insert_epochs(db: sqlite3.Connection, run_id: int, epochs: Sequence[EpochRow]) -> None:
    """Add (or replace) epoch rows of a run."""
    for epoch, seconds, logs in epochs:
        db.execute(
            "INSERT OR REPLACE INTO epochs (run_id, epoch, seconds, logs) VALUES (?, ?, ?, ?)",
            (run_id, int(epoch), seconds, json.dumps(logs)),
        )


def append_curves(
    db: sqlite3.Connection,
    run_id: int,
    steps: np.ndarray | None,
    losses: np.ndarray | None,
    epochs: Sequence[EpochRow],
) -> None:
    """Add step points and epoch rows to a run, and move its progress and final losses on.

    Steps are kept as chunks of raw float64 (one row per flush, not per step: a million-step
    run stays a few thousand rows), which also keeps NaN and inf of a diverged run exact.
    """
    has_steps = steps is not None and len(steps) > 0
    if has_steps:
        steps = np.ascontiguousarray(steps, dtype="<i8")
        losses = np.ascontiguousarray(losses, dtype="<f8")
        db.execute(
            "INSERT OR REPLACE INTO step_chunks (run_id, first_step, steps, losses) "
            "VALUES (?, ?, ?, ?)",
            (run_id, int(steps[0]), steps.tobytes(), losses.tobytes()),
        )
    insert_epochs(db, run_id, epochs)
    updates = ["updated_at = ?"]
    values: list[Any] = [time.time()]
    if has_steps:
        updates.append("steps_done = MAX(steps_done, ?)")
        values.append(int(steps[-1]))
    if epochs:
        last_epoch, _, last_logs = epochs[-1]
        updates += ["epochs_done = MAX(epochs_done, ?)", "final_logs = ?"]
        values += [int(last_epoch), json.dumps(last_logs)]
        updates += ["final_loss = ?", "final_val_loss = ?"]
        values += [
            _finite_or_none(last_logs.get("loss")),
            _finite_or_none(last_logs.get("val_loss")),
        ]
    db.execute(f"UPDATE runs SET {', '.join(updates)} WHERE id = ?", (*values, run_id))


def mark_interrupted(db: sqlite3.Connection, run_ids: Sequence[int], message: str) -> None:
    """Mark runs `interrupted` (those still `running`), their duration up to the last commit."""
    for run_id in run_ids:
        db.execute(
            "UPDATE runs SET status = 'interrupted', message = ?, "
            "duration_s = updated_at - started_at WHERE id = ? AND status = 'running'",
            (message, run_id),
        )


def replace_tags(db: sqlite3.Connection, run_id: int, tags: Sequence[str]) -> None:
    """Make `tags` the run's only tags."""
    db.execute("DELETE FROM tags WHERE run_id = ?", (run_id,))
    db.executemany("INSERT INTO tags (run_id, tag) VALUES (?, ?)", [(run_id, t) for t in tags])


def delete_run(db: sqlite3.Connection, run_id: int) -> None:
    """Delete a run; its curves and tags go with it (ON DELETE CASCADE)."""
    db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
