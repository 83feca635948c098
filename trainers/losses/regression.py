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
    """Per-sample Smooth L1 averaged over the last axis.

    ```
    0.5 * e^2 / delta   if |e| < delta
    |e| - 0.5 * delta   otherwise
    ```
    """
    y_true, y_pred = align(y_true, y_pred)
    abs_error = ops.abs(y_true - y_pred)
    # Squaring min(|e|, delta) keeps the branch `where` discards finite for huge errors.
    quadratic = 0.5 * ops.square(ops.minimum(abs_error, delta)) / delta
    linear = abs_error - 0.5 * delta
    return ops.mean(ops.where(abs_error < delta, quadratic, linear), axis=-1)


def huber(y_true, y_pred, delta: float = 1.0):
    """Per-sample Huber loss averaged over the last axis.

    ```
    0.5 * e^2                     if |e| <= delta
    delta * (|e| - 0.5 * delta)   otherwise
    ```
    """
    y_true, y_pred = align(y_true, y_pred)
    abs_error = ops.abs(y_true - y_pred)
    quadratic = 0.5 * ops.square(ops.minimum(abs_error, delta))
    linear = delta * (abs_error - 0.5 * delta)
    return ops.mean(ops.where(abs_error <= delta, quadratic, linear), axis=-1)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class MeanSquaredError(CatalogLoss):
    """Mean squared error: punishes large errors most, so it is sensitive to outliers.

    ```
    loss = mean(e^2),  e = y - y_hat   (per sample, mean over the outputs)
    ```

    Args:
        reduction: See `CatalogLoss`. Defaults to "sum_over_batch_size".
        name: Defaults to "mse".
        dtype: Defaults to `keras.config.floatx()`.
    """

    catalog_name = "mse"

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class MeanAbsoluteError(CatalogLoss):
    """Mean absolute error: robust to outliers, but its gradient has one size everywhere.

    ```
    loss = mean(|e|),  e = y - y_hat   (per sample, mean over the outputs)
    ```

    Args:
        reduction: See `CatalogLoss`. Defaults to "sum_over_batch_size".
        name: Defaults to "mae".
        dtype: Defaults to `keras.config.floatx()`.
    """

    catalog_name = "mae"

    def call(self, y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class RootMeanSquaredError(CatalogLoss):
    """Root mean squared error: the square root of the batch MSE, in the units of the target.

    ```
    loss = sqrt(mean over the batch of e^2)
    ```

    A per-sample root would be MAE for a single output, so the root is taken after the batch is
    reduced: `rmse(y, y_hat, sample_weight)` is `sqrt(mse(y, y_hat, sample_weight))` for an MSE
    with the same `reduction`, sample weights and mask. `call` returns the per-sample MSE, and
    with `reduction=None` (or "none") the result is the square root of each weighted per-sample
    MSE value, sqrt(w_i * mean(e_i^2)), so the same rule holds there too. Where the MSE is
    exactly 0 the gradient is taken as 0 instead of sqrt's infinite slope.

    Args:
        reduction: See `CatalogLoss`. Defaults to "sum_over_batch_size".
        name: Defaults to "rmse".
        dtype: Defaults to `keras.config.floatx()`.
    """

    catalog_name = "rmse"

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)

    def __call__(self, y_true, y_pred, sample_weight=None):
        return safe_sqrt(super().__call__(y_true, y_pred, sample_weight=sample_weight))


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SmoothL1(CatalogLoss):
    """Smooth L1: quadratic near zero and linear beyond, so no exploding gradient and no kink.

    ```
    loss = 0.5 * e^2 / delta   if |e| < delta
           |e| - 0.5 * delta   otherwise          (per sample, mean over the outputs)
    ```

    Its slope is e / delta inside the band and +-1 outside; delta = 1 is the usual Smooth L1
    (Girshick, "Fast R-CNN", 2015). It is Huber's loss divided by delta.

    Args:
        delta: Where the loss turns from quadratic to linear, > 0. Defaults to 1.0.
        reduction: See `CatalogLoss`. Defaults to "sum_over_batch_size".
        name: Defaults to "smooth_l1".
        dtype: Defaults to `keras.config.floatx()`.
    """

    catalog_name = "smooth_l1"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.delta = self._check("delta", delta)

    def call(self, y_true, y_pred):
        return smooth_l1(y_true, y_pred, delta=self.delta)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Huber(CatalogLoss):
    """Huber loss: Smooth L1's shape scaled by delta, robust to outliers.

    ```
    loss = 0.5 * e^2                     if |e| <= delta
           delta * (|e| - 0.5 * delta)   otherwise      (per sample, mean over the outputs)
    ```

    Its slope is e inside the band and +-delta outside (Huber, "Robust Estimation of a Location
    Parameter", 1964).

    Args:
        delta: Where the loss turns from quadratic to linear, > 0. Defaults to 1.0.
        reduction: See `CatalogLoss`. Defaults to "sum_over_batch_size".
        name: Defaults to "huber".
        dtype: Defaults to `keras.config.floatx()`.
    """

    catalog_name = "huber"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.delta = self._check("delta", delta)

    def call(self, y_true, y_pred):
        return huber(y_true, y_pred, delta=self.delta)
