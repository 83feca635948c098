"""Models: a sensible default network per dataset, matched to the loss, or the user's own.

The output layer follows the loss: one unit for regression and binary cross-entropy, one unit per
class for the categorical ones; a sigmoid or softmax unless the loss takes logits. A loss that does
not fit the task is refused here with a message that lists the ones that do, and a model (the
user's own, above all) whose last layer does not fit the loss and the data with one that says
what would.
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


CROSS_ENTROPIES = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
)
# Layers after the output layer that leave what it outputs as it is.
_PASS_THROUGH = (
    keras.layers.Dropout,
    keras.layers.GaussianNoise,
    keras.layers.ActivityRegularization,
    keras.layers.Identity,
    keras.layers.Flatten,
    keras.layers.Reshape,
)


def output_head(model: keras.Model) -> tuple[tuple[int, ...], str | None]:
    """The shape of one sample's output and the activation that makes it: that of the last
    layer with one (a Dense layer's, or a trailing Activation or Softmax layer's), "linear"
    for none; None when the last layer is one whose output range is not known."""
    shapes = model.output_shape
    if isinstance(shapes, list):
        shapes = shapes[0] if len(shapes) == 1 else shapes
    shape = tuple(shapes[1:]) if isinstance(shapes, tuple) else ()
    layers = list(model.layers)
    while layers:
        layer = layers.pop()
        if isinstance(layer, keras.Model):  # a model nested as the last layer: look inside
            layers = list(layer.layers)
        elif isinstance(layer, keras.layers.Softmax):
            return shape, "softmax"
        elif isinstance(layer, _PASS_THROUGH):
            continue
        elif callable(getattr(layer, "activation", None)):
            return shape, getattr(layer.activation, "__name__", None)
        else:
            return shape, None
    return shape, None


def check_model_fits(
    model: keras.Model,
    task: str,
    loss: str,
    n_classes: int,
    from_logits: bool,
    *,
    source: str = "The model",
) -> None:
    """Raise ConfigError when the model's outputs do not fit `loss` on the data's task.

    A regression model needs one unit without a sigmoid or softmax (the target is any real
    number); binary cross-entropy one unit, the categorical ones one per class (at least 2);
    a cross-entropy with from_logits=false needs probabilities (a sigmoid for binary, a softmax
    for the categorical ones), one with from_logits=true raw scores (no activation). A pair
    that breaks this trains to a loss that means nothing: a softmax over one unit is always 1,
    a sigmoid read as logits is squashed twice. `source` names the model in the message (the
    file's name for a loaded model). Losses the catalog does not know as cross-entropies are
    checked only for the number of units on regression.
    """
    shape, activation = output_head(model)
    found = f"{source} ends in {_units(shape)}" + (
        f" with {_named(activation)}" if activation else ""
    )
    if len(shape) != 1:
        raise ConfigError(
            f"{found}: Descent trains models with one output of one value per unit. Choose a "
            f"model whose last layer is a Dense layer."
        )
    units = shape[0]
    if task == "regression":
        if units != 1 or activation in ("sigmoid", "softmax"):
            raise ConfigError(
                f"{found}, but a regression task needs 1 unit with no activation (linear): "
                f"its target can be any number. Choose a model that ends in Dense(1)."
            )
        return
    if loss not in CROSS_ENTROPIES:
        return
    display = catalog.loss_info(loss).display_name
    need_units = 1 if loss == "binary_crossentropy" else max(n_classes, 2)
    probability = "sigmoid" if loss == "binary_crossentropy" else "softmax"
    per_class = "" if need_units == 1 else " (one per class)"
    wanted = "linear" if from_logits else probability
    if units == need_units and activation in (wanted, None):
        return
    if units != need_units:
        fix = _fitting_loss(units, activation, task, n_classes)
        raise ConfigError(
            f"{found}, but {display} needs {_units((need_units,))}{per_class} with "
            f"{probability}, or no activation with from_logits=true. "
            + (f"Choose {fix} or another model." if fix else "Choose another model.")
        )
    if from_logits:
        raise ConfigError(
            f"{found}, but {display} with from_logits=true needs raw scores (no activation). "
            + (
                "Set from_logits=false, or choose a model without that activation."
                if activation == probability
                else "Choose a model whose last layer has no activation."
            )
        )
    raise ConfigError(
        f"{found}, but {display} with from_logits=false needs probabilities (a "
        f"{probability}). "
        + (
            f"Set from_logits=true, or end the model in a {probability}."
            if activation == "linear"
            else f"End the model in a {probability}."
        )
    )


def _units(shape: tuple[int, ...]) -> str:
    if len(shape) != 1:
        return f"outputs of shape {shape} per sample"
    return f"{shape[0]} unit" + ("" if shape[0] == 1 else "s")


def _named(activation: str) -> str:
    return "no activation" if activation == "linear" else activation


def _fitting_loss(units: int, activation: str | None, task: str, n_classes: int) -> str:
    """The loss (and setting) that fits a classification model's outputs as they are, or ""."""
    logits = " with from_logits=true" if activation == "linear" else ""
    if units == 1 and task == "binary" and activation in ("sigmoid", "linear"):
        return catalog.loss_info("binary_crossentropy").display_name + logits
    if units == max(n_classes, 2) and activation in ("softmax", "linear"):
        return catalog.loss_info("sparse_categorical_crossentropy").display_name + logits
    return ""


def build_model(
    dataset: Dataset,
    loss: str,
    *,
    hidden_layers: tuple[int, ...] = (16, 16),
    activation: str = "relu",
    from_logits: bool = False,
    architecture: str = "auto",
) -> keras.Model:
    """The default network for `dataset`: an MLP, with a small CNN in front of it for images
    unless `architecture` is "mlp" (dense layers on the flattened pixels)."""
    spec = output_spec(dataset.task, loss, dataset.n_classes, from_logits)
    inputs = keras.Input(shape=dataset.input_shape, name="inputs")
    x = inputs
    if len(dataset.input_shape) == 3 and architecture != "mlp":
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
