"""The columns of the Runs tab's table: each one's header and how a run record fills its cell,
as the text shown and the number it sorts by (None: it sorts by the text)."""

from __future__ import annotations

# Table columns: (header, how a RunRecord fills it: (text, sort value or None)).
COLUMNS = (
    ("Name", lambda r: (r.name, None)),
    ("Status", lambda r: (r.status, None)),
    ("Dataset", lambda r: (r.dataset, None)),
    ("Optimizer", lambda r: (r.optimizer, None)),
    ("Loss", lambda r: (r.loss or "", None)),
    ("Learning rate", lambda r: _number(r.learning_rate, "{:g}")),
    ("Batch", lambda r: (r.batch_size or "", _to_float(r.batch_size))),
    ("Epochs", lambda r: (f"{r.epochs_done}/{r.epochs}", float(r.epochs_done))),
    ("Final loss", lambda r: _number(r.final_loss)),
    ("Final val loss", lambda r: _number(r.final_val_loss)),
    ("Metric", lambda r: _metric(r)),
    ("Time (s)", lambda r: _number(r.duration_s, "{:.1f}")),
    ("Started", lambda r: (_started(r.started_at), r.started_at)),
    ("Tags", lambda r: (", ".join(r.tags), None)),
)
COL_NAME, COL_STATUS, COL_STARTED = 0, 1, 12


def _to_float(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _number(value: float | None, form: str = "{:.4f}") -> tuple[str, float | None]:
    if value is None:
        return "", None
    return form.format(value), float(value)


def _metric(record) -> tuple[str, float | None]:
    """The validation metric when there is one (what generalizes), else the training one."""
    value = record.final_val_metric
    if value is None:
        value = record.final_metric
    if value is None or not record.metric:
        return "", None
    return f"{record.metric} {value:.4f}", float(value)


def _started(timestamp: float) -> str:
    from trainers.cli.output import format_time

    return format_time(timestamp)
