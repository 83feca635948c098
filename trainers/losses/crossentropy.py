"""Cross-entropy losses: binary, categorical (one-hot labels) and sparse (integer labels).

Each takes probabilities (clipped to [eps, 1 - eps], eps = `keras.config.epsilon()`, before the
log) or, with `from_logits=True`, raw scores handled by softplus / log-softmax, which never form
a probability that could round to 0 or 1. Either way every input gives a finite loss and a finite
gradient.
"""

from __future__ import annotations

import keras
from keras import ops

from trainers.losses.base import CatalogLoss, align

_PACKAGE = "descent"


def _clipped(p):
    eps = keras.config.epsilon()
    return ops.clip(p, eps, 1.0 - eps)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False):
    """Per-sample -(y log p + (1 - y) log(1 - p)), averaged over the last axis.

    With logits z, p = sigmoid(z), and since log sigmoid(z) = -softplus(-z) the loss is
    softplus(z) - y * z, finite for any z.
    """
    y_true, y_pred = align(y_true, y_pred)
    if from_logits:
        losses = ops.softplus(y_pred) - y_true * y_pred
    else:
        p = _clipped(y_pred)
        losses = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.mean(losses, axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False):
    """Per-sample -sum_k y_k log p_k over the last (class) axis, y one-hot (or soft) labels.

    With logits z, log p = log_softmax(z). Probabilities are clipped, not renormalised: they are
    expected to sum to 1 already (a softmax output).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    log_p = ops.log_softmax(y_pred, axis=-1) if from_logits else ops.log(_clipped(y_pred))
    return -ops.sum(y_true * log_p, axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False):
    """Per-sample -log p_y for integer labels y of shape (n,) or (n, 1) and y_pred of (n, k).

    Labels are turned into one-hot rows of length k; a label outside [0, k) gives a zero row and
    so a zero loss, so labels must be checked where the data are loaded.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    # Loss.__call__ hands the labels over as floats of the loss dtype; whole numbers stay exact.
    labels = ops.cast(y_true, "int32")
    one_hot = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
    return categorical_crossentropy(one_hot, y_pred, from_logits=from_logits)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class BinaryCrossentropy(CatalogLoss):
    """Binary cross-entropy for two classes, p = P(class 1).

    y_pred of shape (n, 1) goes with y_true of shape (n,) or (n, 1); with several outputs the
    per-sample value is the mean over them.
    """

    catalog_name = "binary_crossentropy"
    function = staticmethod(binary_crossentropy)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class CategoricalCrossentropy(CatalogLoss):
    """Categorical cross-entropy for several classes with one-hot labels."""

    catalog_name = "categorical_crossentropy"
    function = staticmethod(categorical_crossentropy)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SparseCategoricalCrossentropy(CatalogLoss):
    """Categorical cross-entropy with an integer label y instead of a one-hot vector.

    y_true holds integer labels in [0, k), of shape (n,) or (n, 1); y_pred has shape (n, k).
    """

    catalog_name = "sparse_categorical_crossentropy"
    function = staticmethod(sparse_categorical_crossentropy)
