"""The model a run folder keeps: the user's raw data in, predictions in the data's units out.

Descent trains on standardized features (images scaled to [0, 1]) and, for regression, on a
standardized target. `raw_model` puts the trained network between Keras's own preprocessing
layers, so that `keras.saving.load_model(path, compile=False).predict(rows)` takes rows in the
units of the user's file and gives what the run's network predicted:

    raw features -> Normalization(mean, std**2) -> the trained network -> Rescaling(std, mean)
    raw pixels   -> Rescaling(1 / pixel_scale)  -> the trained network
                                                   (-> sigmoid or softmax, if it gave logits)

Every layer around the network is a Keras built-in, so predicting needs no Descent code; the
compiled model (optimizer with its state, loss, metric) names our classes and reloads after
`import trainers.keras_objects`. `model_card` says what the inputs and outputs mean
(`model.json`); `unwrap_raw_model` takes the trained network back out, to train it further
on Descent's scaled data.
"""

from __future__ import annotations

import zipfile
from typing import Any

import keras
import numpy as np

from trainers import losses, models
from trainers.datasets import Dataset
from trainers.events import RunResult

RAW_MODEL_NAME = "descent_raw_model"
"""The saved model's name; its first layer after the input is one of the two below."""
FEATURE_LAYER = "feature_standardization"
PIXEL_LAYER = "pixel_scaling"
TARGET_LAYER = "target_units"
PROBABILITY_LAYER = "probabilities"


def pixel_scale(data: Dataset) -> float | None:
    """The raw pixel value the network saw as 1.0: 255 for 8-bit pixels, 1 for pixels that
    came already in [0, 1] (an NPZ array of floats); None for tabular data.

    Image folders are read as 8-bit pixels divided by 255, Keras's datasets and NPZ arrays of
    whole numbers hold 0..255 (divided by 255 after the split); only an NPZ file of floats is
    taken as it is, which its array's type tells without reading the array.
    """
    if not data.is_image:
        return None
    if data.source.endswith(".npz"):
        with zipfile.ZipFile(data.source) as archive, archive.open("x.npy") as file:
            version = np.lib.format.read_magic(file)
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            dtype = read(file)[2]
        return 255.0 if np.issubdtype(dtype, np.integer) else 1.0
    return 255.0


def raw_model(result: RunResult) -> keras.Model:
    """The run's trained network, taking raw data and giving predictions in the data's units.

    The network is copied (its layers and weights), so the run's own model is left as it was.
    When the run's model was compiled, the raw model is compiled with the same optimizer (its
    state is saved with it), the run's loss and its metric, now on raw outputs: regression in
    the target's units, probabilities rather than logits.
    """
    info, trained = result.info, result.model
    # From its config, not keras.models.clone_model, which would compile the copy: a nested
    # model's compile settings name our classes, and predicting would then need Descent.
    network = type(trained).from_config(trained.get_config())
    network.set_weights(trained.get_weights())
    shape = tuple(trained.input_shape[1:])
    if info.pixel_scale is None:
        inputs = keras.Input(shape=shape, dtype="float64", name="features")
        mean, std = (np.asarray(v, dtype=np.float64) for v in info.feature_scale)
        # float64, as the standardization was computed: a column in the thousands keeps its
        # digits, and a row of the file gives the very inputs the network trained on.
        scaled = keras.layers.Normalization(
            mean=mean, variance=np.square(std), dtype="float64", name=FEATURE_LAYER
        )(inputs)
    else:
        inputs = keras.Input(shape=shape, name="pixels")
        scaled = keras.layers.Rescaling(1.0 / info.pixel_scale, name=PIXEL_LAYER)(inputs)
    outputs = network(scaled)
    from_logits = bool(info.config.loss_options.get("from_logits", False))
    if info.task == "regression":
        mean, std = info.target_scale
        outputs = keras.layers.Rescaling(std, offset=mean, dtype="float64", name=TARGET_LAYER)(
            outputs
        )
    elif from_logits:
        activation = "sigmoid" if info.loss == "binary_crossentropy" else "softmax"
        outputs = keras.layers.Activation(activation, name=PROBABILITY_LAYER)(outputs)
    model = keras.Model(inputs, outputs, name=RAW_MODEL_NAME)
    if trained.compiled and trained.optimizer is not None:
        options = dict(info.config.loss_options)
        if from_logits:
            options["from_logits"] = False  # the raw model ends in the activation
        model.compile(
            optimizer=trained.optimizer,
            loss=losses.get(info.loss, **options),
            metrics=[models.metric_for(info.task, info.loss, False)],
        )
    return model


def unwrap_raw_model(model: keras.Model) -> keras.Model:
    """The trained network inside a model `raw_model` made; any other model as it is.

    A saved run's `model.keras` loaded to train again on Descent's (already scaled) data would
    otherwise scale the data twice.
    """
    names = {layer.name for layer in model.layers}
    if model.name != RAW_MODEL_NAME or not names & {FEATURE_LAYER, PIXEL_LAYER}:
        return model
    return next(layer for layer in model.layers if isinstance(layer, keras.Model))


def model_card(result: RunResult) -> dict[str, Any]:
    """What the saved model's inputs and outputs are, for `model.json` beside `model.keras`."""
    info = result.info
    card: dict[str, Any] = {
        "load": 'keras.saving.load_model("model.keras", compile=False)',
        "task": info.task,
        "dataset": info.config.dataset,
    }
    if info.pixel_scale is None:
        mean, std = info.feature_scale
        card["inputs"] = (
            "one row per sample: the features in the order of feature_names, in the units "
            "of the data file; the model standardizes them with the mean and std below"
        )
        card["feature_names"] = list(info.feature_names)
        card["feature_mean"] = np.asarray(mean, dtype=np.float64).tolist()
        card["feature_std"] = np.asarray(std, dtype=np.float64).tolist()
    else:
        shape = list(result.model.input_shape[1:])
        card["inputs"] = (
            f"images of shape {shape} (height, width, channels) with pixel values from 0 to "
            f"{info.pixel_scale:g}; the model divides them by {info.pixel_scale:g}"
        )
    if info.task == "regression":
        mean, std = info.target_scale
        target = info.config.target or "the target"
        card["outputs"] = f"one column: the prediction of {target}, in its units"
        card["target"] = info.config.target
        card["target_mean"], card["target_std"] = float(mean), float(std)
    else:
        labels = list(info.class_names)
        card["class_labels"] = labels
        if int(result.model.output_shape[-1]) == 1:
            card["outputs"] = (
                f"one column: the probability of class {labels[1]!r} (class 1); below 0.5 "
                f"means {labels[0]!r}"
            )
        else:
            card["outputs"] = (
                "one column per class: the probabilities of class_labels, in that order "
                "(argmax gives the index of the label)"
            )
    return card


__all__ = ["model_card", "pixel_scale", "raw_model", "unwrap_raw_model"]
