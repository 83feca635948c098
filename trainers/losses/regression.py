"""Regression losses: MSE, MAE, RMSE, Smooth L1 and Huber, with e = y - y_hat.

Each per-sample function takes the mean over the last (output) axis, so a model with one output
gets one value per sample. RMSE is the exception: it is a property of the whole batch, see
`RootMeanSquaredError`.
"""

from __future__ import annotations

import keras
from keras import ops

from trainers.losses.base import CatalogLoss, align, safe_sqrt

_PACKAGE = "descent"


def mean_squared_error(y_true, y_pred):
    """Per-sample mean(e^2) over the last axis."""
    y_true, y_pred = align(y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean(|e|) over the last axis."""
    y_true, y_pred = align(y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def root_mean_squared_error(y_true, y_pred):
    """sqrt(mean over the batch of e^2): one number for the batch, not one per sample."""
    return safe_sqrt(ops.mean(mean_squared_error(y_true, y_pred)))


def smooth_l1(y_true, y_pred, delta: float = 1.0):
    """Per-sample Smooth L1 averaged over the last axis."""
    y_true, y_pred = align(y_true, y_pred)
    abs_error = ops.abs(y_true - y_pred)
    # Squaring min(|e|, delta) keeps the branch `where` discards finite for huge errors.
    quadratic = 0.5 * ops.square(ops.minimum(abs_error, delta)) / delta
    linear = abs_error - 0.5 * delta
    return ops.mean(ops.where(abs_error < delta, quadratic, linear), axis=-1)


def huber(y_true, y_pred, delta: float = 1.0):
    """Per-sample Huber loss averaged over the last axis."""
    y_true, y_pred = align(y_true, y_pred)
    abs_error = ops.abs(y_true - y_pred)
    quadratic = 0.5 * ops.square(ops.minimum(abs_error, delta))
    linear = delta * (abs_error - 0.5 * delta)
    return ops.mean(ops.where(abs_error <= delta, quadratic, linear), axis=-1)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class MeanSquaredError(CatalogLoss):
    """Mean squared error: punishes large errors most, so it is sensitive to outliers."""

    catalog_name = "mse"
    function = staticmethod(mean_squared_error)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class MeanAbsoluteError(CatalogLoss):
    """Mean absolute error: robust to outliers, but its gradient has one size everywhere."""

    catalog_name = "mae"
    function = staticmethod(mean_absolute_error)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class RootMeanSquaredError(CatalogLoss):
    """Root mean squared error: the square root of the batch MSE, in the units of the target.

    A per-sample root would be MAE for a single output, so the root is taken after the batch is
    reduced: `rmse(y, y_hat, sample_weight)` is `sqrt(mse(y, y_hat, sample_weight))` for an MSE
    with the same `reduction`, sample weights and mask. `call` returns the per-sample MSE, and
    with `reduction=None` (or "none") the result is the square root of each weighted per-sample
    MSE value, sqrt(w_i * mean(e_i^2)), so the same rule holds there too. Where the MSE is
    exactly 0 the gradient is taken as 0 instead of sqrt's infinite slope.
    """

    catalog_name = "rmse"
    function = staticmethod(mean_squared_error)

    def __call__(self, y_true, y_pred, sample_weight=None):
        return safe_sqrt(super().__call__(y_true, y_pred, sample_weight=sample_weight))


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SmoothL1(CatalogLoss):
    """Smooth L1: quadratic near zero and linear beyond, so no exploding gradient and no kink.

    Its slope is e / delta inside the band and +-1 outside; delta = 1 is the usual Smooth L1
    (Girshick, "Fast R-CNN", 2015). It is Huber's loss divided by delta.
    """

    catalog_name = "smooth_l1"
    function = staticmethod(smooth_l1)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Huber(CatalogLoss):
    """Huber loss: Smooth L1's shape scaled by delta, robust to outliers.

    Its slope is e inside the band and +-delta outside (Huber, "Robust Estimation of a Location
    Parameter", 1964).
    """

    catalog_name = "huber"
    function = staticmethod(huber)
