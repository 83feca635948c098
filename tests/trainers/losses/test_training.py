"""The losses inside Keras: `model.compile(loss=...)` trains, and a saved `.keras` model reloads."""

import keras
import numpy as np
import pytest

import trainers.keras_objects  # noqa: F401  (registers our classes, as the application does)
from trainers import losses


def _regression_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x @ np.array([[2.0], [-1.0]]) + 0.5).astype("float32")
    return x, y


def _classification_data(name):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 2)).astype("float32")
    labels = (x[:, 0] + x[:, 1] > 0).astype("int32")
    if name == "categorical_crossentropy":
        return x, np.eye(2, dtype="float32")[labels]
    if name == "binary_crossentropy":
        return x, labels.astype("float32")  # shape (n,) against the model's (n, 1)
    return x, labels


def _model(units, activation=None):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(units, activation=activation)])


@pytest.mark.parametrize(
    "name, options",
    [
        ("mse", {}),
        ("mae", {}),
        ("rmse", {}),
        ("smooth_l1", {"delta": 0.5}),
        ("huber", {"delta": 2.0}),
    ],
)
def test_regression_loss_trains_a_model(name, options):
    x, y = _regression_data()
    model = _model(1)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=losses.get(name, **options))
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0).history["loss"]
    assert all(np.isfinite(history))
    assert history[-1] < 0.75 * history[0]


@pytest.mark.parametrize(
    "name, options, activation",
    [
        ("binary_crossentropy", {}, "sigmoid"),
        ("binary_crossentropy", {"from_logits": True}, None),
        ("categorical_crossentropy", {}, "softmax"),
        ("sparse_categorical_crossentropy", {"from_logits": True}, None),
    ],
)
def test_classification_loss_trains_a_model(name, options, activation):
    x, y = _classification_data(name)
    model = _model(1 if name == "binary_crossentropy" else 2, activation)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=losses.get(name, **options))
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0).history["loss"]
    assert all(np.isfinite(history))
    assert history[-1] < history[0]


def test_sample_weights_reach_the_loss_in_fit():
    # A zero weight on every sample makes the loss exactly 0 for every loss, RMSE included.
    x, y = _regression_data()
    model = _model(1)
    model.compile(optimizer="sgd", loss=losses.RootMeanSquaredError())
    value = model.evaluate(x, y, sample_weight=np.zeros(len(x)), verbose=0)
    assert value == 0.0


@pytest.mark.parametrize(
    "loss, units",
    [
        (losses.RootMeanSquaredError(reduction="sum"), 1),
        (losses.SparseCategoricalCrossentropy(from_logits=True, name="scce"), 2),
    ],
    ids=["rmse", "sparse"],
)
def test_saved_model_reloads_with_its_loss(tmp_path, loss, units):
    x, _ = _regression_data()
    y = np.zeros((len(x), 1), "float32") if units == 1 else np.zeros(len(x), "int32")
    model = _model(units)
    model.compile(optimizer="sgd", loss=loss)
    before = model.evaluate(x, y, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)

    reloaded = keras.saving.load_model(path)
    assert type(reloaded.loss) is type(loss)
    assert reloaded.loss.get_config() == loss.get_config()
    assert reloaded.evaluate(x, y, verbose=0) == pytest.approx(before, rel=1e-6)
