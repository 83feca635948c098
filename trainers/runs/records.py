"""A run as the library hands it out: `RunRecord` (its row and tags) and `RunCurves`, each built
from the rows the library reads, and a record as plain JSON-ready data."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from trainers.config import RunConfig


@dataclass
class RunRecord:
    """One run as the library holds it (curves apart: see `RunLibrary.curves`)."""

    id: int
    name: str
    kind: str  # train or compare
    group: str | None  # the comparison it belongs to
    source: str  # cli or window
    status: str
    message: str
    dataset: str
    optimizer: str
    loss: str | None
    learning_rate: float | None
    batch_size: str | None
    epochs: int | None
    config: dict[str, Any]
    started_at: float
    updated_at: float
    finished_at: float | None
    duration_s: float | None
    epochs_done: int
    steps_done: int
    final_loss: float | None
    final_val_loss: float | None
    metric: str | None
    final_metric: float | None
    final_val_metric: float | None
    final_logs: dict[str, float]
    device: str | None
    versions: dict[str, str]
    details: dict[str, Any]
    model_path: str | None
    pid: int | None
    hostname: str | None
    tags: list[str] = field(default_factory=list)

    def run_config(self) -> RunConfig:
        """The run's configuration as a RunConfig, to train it again."""
        from trainers.config import RunConfig

        return RunConfig.from_dict(self.config)


@dataclass
class RunCurves:
    """A run's curves: every step's loss, and the epoch logs (epoch 0 is the untrained model).

    `history[key][i]` belongs to `epochs[i]`; NaN where that epoch has no such value.
    """

    steps: np.ndarray
    losses: np.ndarray
    epochs: np.ndarray
    epoch_seconds: np.ndarray
    history: dict[str, np.ndarray]


# How a `runs` row becomes a RunRecord: these fields are decoded; every other one is the
# column of the same name as stored.
_JSON_OR_EMPTY = ("final_logs", "versions", "details")
_DECODED = {"group", "message", "config", "tags", *_JSON_OR_EMPTY}
_AS_STORED = [f.name for f in dataclasses.fields(RunRecord) if f.name not in _DECODED]


def record_from_row(description: Sequence[Sequence[Any]], row: Sequence[Any]) -> RunRecord:
    """A RunRecord (tags not yet attached) from a `SELECT * FROM runs` row and its cursor's
    `description`."""
    data = {column[0]: value for column, value in zip(description, row, strict=True)}
    values = {name: data[name] for name in _AS_STORED}
    for name in _JSON_OR_EMPTY:
        values[name] = json.loads(data[name]) if data[name] else {}
    return RunRecord(
        **values,
        group=data["group_name"],
        message=data["message"] or "",
        config=json.loads(data["config"]),
    )


def curves_from_rows(
    chunks: Sequence[tuple[bytes, bytes]], epoch_rows: Sequence[tuple[int, float | None, str]]
) -> RunCurves:
    """RunCurves from a run's step chunks (steps, losses: raw little-endian int64 and float64)
    and its epoch rows (epoch, seconds, logs as JSON), each in order."""
    if chunks:
        steps = np.concatenate([np.frombuffer(s, dtype="<i8") for s, _ in chunks])
        losses = np.concatenate([np.frombuffer(v, dtype="<f8") for _, v in chunks])
    else:
        steps, losses = np.zeros(0, np.int64), np.zeros(0, np.float64)
    logs = [json.loads(text) for _, _, text in epoch_rows]
    keys = sorted({key for entry in logs for key in entry})
    history = {key: np.array([float(entry.get(key, math.nan)) for entry in logs]) for key in keys}
    return RunCurves(
        steps=steps.astype(np.int64),
        losses=losses.astype(np.float64),
        epochs=np.array([row[0] for row in epoch_rows], dtype=np.int64),
        epoch_seconds=np.array(
            [math.nan if row[1] is None else row[1] for row in epoch_rows], dtype=np.float64
        ),
        history=history,
    )


def record_as_dict(record: RunRecord) -> dict[str, Any]:
    """A run as plain JSON-ready data (for `descent runs --json`)."""
    return dataclasses.asdict(record)
