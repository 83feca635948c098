"""How the curves of a regression name their units: Descent trains on a standardized target.

A regression's loss and mean absolute error are computed on the target standardized with the
training split's mean and standard deviation, so an MAE of 0.1 means a tenth of a standard
deviation of the target, not 0.1 of its units. Every title, axis and table that shows them
takes its label from `metric_label`, which says so and gives the standard deviation to
multiply by. Plain Python: no TensorFlow.
"""

from __future__ import annotations

_NAMES = {"loss": "loss", "val_loss": "validation loss", "mae": "MAE", "val_mae": "validation MAE"}


def metric_label(task: str, metric: str, target_scale: tuple[float, float] = (0.0, 1.0)) -> str:
    """The label of `metric` ("loss", "mae", "accuracy", their "val_" forms) for `task`.

    For regression: "MAE (standardized target, std 1.17e+05)"; other tasks and metrics keep
    their names.
    """
    name = _NAMES.get(metric, metric.replace("val_", "validation ").replace("_", " "))
    if task != "regression" or metric.removeprefix("val_") not in ("loss", "mae"):
        return name
    return f"{name} (standardized target, std {target_scale[1]:.4g})"
