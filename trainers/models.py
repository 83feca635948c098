"""Models: a sensible default network per dataset, matched to the loss, or the user's own.

The output layer follows the loss: one unit for regression and binary cross-entropy, one unit per
class for the categorical ones; a sigmoid or softmax unless the loss takes logits. A loss that does
not fit the task is refused here with a message that lists the ones that do.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from trainers import catalog
from trainers.datasets import Dataset
from trainers.errors import ConfigError


@dataclass(frozen=True)
class OutputSpec:
    """What the last layer and the labels must look like for a task and loss."""

    units: int
    activation: str
    one_hot: bool


def check_loss_fits(loss: str, task: str) -> None:
    """Raise ConfigError when `loss` does not fit `task`, naming the losses that do."""
    info = catalog.loss_info(loss)
    if task not in info.tasks:
        fits = ", ".join(f"{x.display_name} ({x.name})" for x in catalog.losses_for(task))
        raise ConfigError(
            f"{info.display_name} does not fit a {task} task. Losses that fit: {fits}."
        )


def output_spec(task: str, loss: str, n_classes: int, from_logits: bool) -> OutputSpec:
    """The output layer for `task` trained with `loss` (checked to fit)."""
    check_loss_fits(loss, task)
    if task == "regression":
        return OutputSpec(1, "linear", False)
    if loss == "binary_crossentropy":
        return OutputSpec(1, "linear" if from_logits else "sigmoid", False)
    units = max(n_classes, 2)
    return OutputSpec(
        units, "linear" if from_logits else "softmax", loss == "categorical_crossentropy"
    )


def build_model(
    dataset: Dataset,
    loss: str,
    *,
    hidden_layers: tuple[int, ...] = (16, 16),
    activation: str = "relu",
    from_logits: bool = False,
) -> keras.Model:
    """The default network for `dataset`: an MLP, or a small CNN in front of it for images."""
    spec = output_spec(dataset.task, loss, dataset.n_classes, from_logits)
    inputs = keras.Input(shape=dataset.input_shape, name="inputs")
    x = inputs
    if len(dataset.input_shape) == 3:
        for filters in (16, 32):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation=activation)(x)
            x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.Flatten()(x)
    elif len(dataset.input_shape) != 1:
        x = keras.layers.Flatten()(x)
    for i, units in enumerate(hidden_layers, start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"hidden_{i}")(x)
    outputs = keras.layers.Dense(spec.units, activation=spec.activation, name="output")(x)
    return keras.Model(inputs, outputs, name=f"{dataset.name}_model")


def prepare_labels(y: np.ndarray, task: str, loss: str, n_classes: int) -> np.ndarray:
    """Labels in the form `loss` expects: one-hot for categorical cross-entropy."""
    if task == "regression":
        return y.astype("float32")
    if loss == "categorical_crossentropy":
        return keras.utils.to_categorical(y, num_classes=max(n_classes, 2)).astype("float32")
    if loss == "binary_crossentropy":
        return y.reshape(-1, 1).astype("float32")
    return y.astype("int32")


def load_user_model(path: str | Path, dataset: Dataset) -> keras.Model:
    """Load the user's `.keras` model in safe mode: no code from the file ever runs.

    A model file may come from anywhere, and a Lambda layer stores Python bytecode that a
    normal load would run. Keras's safe mode refuses it; only a real `.keras` (zip) file gets
    that far, since Keras would send anything else (an HDF5 file renamed, say) down older
    loading paths.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"The model file {path} does not exist: choose another file.")
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise ConfigError(
            f"{path.name} is not a .keras model file (a zip archive written by "
            f"model.save('name.keras')): save the model in that format and choose it again."
        )
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad file; the user needs one message
        if "Lambda" in str(exc) or "safe_mode" in str(exc):
            raise ConfigError(
                f"{path.name} holds Python code (a Lambda layer or a function), and Descent "
                f"never runs code from a model file (models load in Keras's safe mode). "
                f"Rebuild the model from built-in Keras layers, save it again, and choose it."
            ) from None
        raise ConfigError(
            f"Cannot load {path.name} as a Keras model: {exc}. Check that it was saved with "
            f"model.save() and uses only built-in Keras layers."
        ) from None
    expected = tuple(dataset.input_shape)
    got = tuple(model.input_shape[1:]) if hasattr(model, "input_shape") else None
    if got is not None and got != expected:
        raise ConfigError(
            f"{path.name} takes inputs of shape {got}, but {dataset.name} has samples of shape "
            f"{expected}: choose a model built for this dataset."
        )
    return model


def metric_for(task: str, loss: str, from_logits: bool) -> keras.metrics.Metric:
    """Accuracy for classification, mean absolute error for regression."""
    if task == "regression":
        return keras.metrics.MeanAbsoluteError(name="mae")
    if loss == "binary_crossentropy":
        return keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0 if from_logits else 0.5)
    if loss == "categorical_crossentropy":
        return keras.metrics.CategoricalAccuracy(name="accuracy")
    return keras.metrics.SparseCategoricalAccuracy(name="accuracy")


def describe(model: keras.Model) -> str:
    """One line: the layers' widths and the number of weights."""
    widths = []
    for layer in model.layers:
        units = getattr(layer, "units", None) or getattr(layer, "filters", None)
        if units:
            widths.append(str(units))
    return f"{' -> '.join(widths) or model.name} ({model.count_params():,} weights)"
