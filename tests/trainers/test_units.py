"""Regression curves say that their target is standardized, and by how much."""

import pytest

from trainers.units import metric_label


@pytest.mark.parametrize(
    ("metric", "label"),
    [
        ("loss", "loss (standardized target, std 1.17e+05)"),
        ("val_loss", "validation loss (standardized target, std 1.17e+05)"),
        ("mae", "MAE (standardized target, std 1.17e+05)"),
        ("val_mae", "validation MAE (standardized target, std 1.17e+05)"),
    ],
)
def test_regression_losses_and_mae_are_labelled_standardized(metric, label):
    assert metric_label("regression", metric, (316_367.4, 116_999.4)) == label


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_classification_keeps_plain_names(task):
    assert metric_label(task, "loss") == "loss"
    assert metric_label(task, "val_accuracy") == "validation accuracy"
