"""Default models matched to the loss, refusing losses that do not fit, and safe loading."""

import keras
import numpy as np
import pytest

from trainers import datasets, models
from trainers.errors import ConfigError


@pytest.mark.parametrize(
    "task, loss, from_logits, units, activation, one_hot",
    [
        ("regression", "mse", False, 1, "linear", False),
        ("regression", "huber", False, 1, "linear", False),
        ("binary", "binary_crossentropy", False, 1, "sigmoid", False),
        ("binary", "binary_crossentropy", True, 1, "linear", False),
        ("binary", "sparse_categorical_crossentropy", False, 2, "softmax", False),
        ("multiclass", "categorical_crossentropy", False, 3, "softmax", True),
        ("multiclass", "sparse_categorical_crossentropy", True, 3, "linear", False),
    ],
)
def test_output_layer_follows_task_and_loss(task, loss, from_logits, units, activation, one_hot):
    spec = models.output_spec(
        task, loss, n_classes=3 if task == "multiclass" else 2, from_logits=from_logits
    )
    assert (spec.units, spec.activation, spec.one_hot) == (units, activation, one_hot)


@pytest.mark.parametrize(
    "task, loss",
    [
        ("regression", "binary_crossentropy"),
        ("regression", "categorical_crossentropy"),
        ("multiclass", "mse"),
        ("binary", "mae"),
        ("multiclass", "binary_crossentropy"),
    ],
)
def test_losses_that_do_not_fit_are_refused_naming_those_that_do(task, loss):
    with pytest.raises(ConfigError) as info:
        models.check_loss_fits(loss, task)
    message = str(info.value)
    assert task in message and "fit" in message
    fitting = {
        "regression": "mse",
        "binary": "binary_crossentropy",
        "multiclass": "sparse_categorical_crossentropy",
    }[task]
    assert fitting in message


def test_default_models_for_tabular_and_images():
    data = datasets.get("iris")
    model = models.build_model(data, "sparse_categorical_crossentropy", hidden_layers=(8, 4))
    assert model.input_shape == (None, 4) and model.output_shape == (None, 3)
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [8, 4, 3]

    images = datasets.Dataset(
        name="tiny",
        task="multiclass",
        x_train=np.zeros((4, 8, 8, 1), "float32"),
        y_train=np.array([0, 1, 2, 0], "int32"),
        x_val=np.zeros((0, 8, 8, 1), "float32"),
        y_val=np.zeros(0, "int32"),
        class_names=("a", "b", "c"),
        feature_names=(),
        input_shape=(8, 8, 1),
        description="",
        target_scale=(0.0, 1.0),
    )
    cnn = models.build_model(images, "categorical_crossentropy")
    assert any(isinstance(layer, keras.layers.Conv2D) for layer in cnn.layers)
    assert cnn.output_shape == (None, 3)


def test_user_model_loads_in_safe_mode_and_refuses_lambda_layers(tmp_path):
    data = datasets.get("moons")
    good = models.build_model(data, "binary_crossentropy")
    good.save(tmp_path / "good.keras")
    loaded = models.load_user_model(tmp_path / "good.keras", data)
    assert loaded.count_params() == good.count_params()

    inputs = keras.Input((2,))
    outputs = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    keras.Model(inputs, keras.layers.Dense(1)(outputs)).save(tmp_path / "lambda.keras")
    with pytest.raises(ConfigError, match="safe mode"):
        models.load_user_model(tmp_path / "lambda.keras", data)

    with pytest.raises(ConfigError, match="does not exist"):
        models.load_user_model(tmp_path / "missing.keras", data)
    digits = datasets.get("digits")
    with pytest.raises(ConfigError, match="shape"):
        models.load_user_model(tmp_path / "good.keras", digits)
