"""The loss classes as objects: options, configs, the registry and the shapes they accept."""

import inspect
import math

import keras
import numpy as np
import pytest

from trainers import catalog, losses

NAMES = [info.name for info in catalog.LOSSES]
# A value other than the default for each option, so a round trip has something to carry.
NON_DEFAULT = {"delta": 2.5, "from_logits": True}


def _options(name):
    return {p.name: NON_DEFAULT[p.name] for p in catalog.loss_info(name).params}


# ----------------------------------------------------------------------------------- registry


def test_registry_covers_the_catalog():
    assert list(losses.CLASSES) == NAMES
    for name, cls in losses.CLASSES.items():
        assert issubclass(cls, keras.losses.Loss)
        assert cls.catalog_name == name


def test_available_is_the_catalog():
    assert losses.available() is catalog.LOSSES
    assert all(info.tasks for info in losses.available())


@pytest.mark.parametrize(
    "task, expected",
    [
        ("regression", ["mse", "mae", "rmse", "smooth_l1", "huber"]),
        (
            "binary",
            ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"],
        ),
        ("multiclass", ["categorical_crossentropy", "sparse_categorical_crossentropy"]),
    ],
)
def test_for_task(task, expected):
    assert losses.for_task(task) == expected
    assert catalog.DEFAULT_LOSS[task] in expected


def test_for_unknown_task_is_refused():
    with pytest.raises(ValueError, match="clustering"):
        losses.for_task("clustering")


@pytest.mark.parametrize("name", NAMES)
def test_get_returns_a_fresh_object_with_the_options(name):
    first, second = losses.get(name, **_options(name)), losses.get(name)
    assert type(first) is losses.CLASSES[name]
    assert first is not second
    assert first.name == name
    for option, value in _options(name).items():
        assert getattr(first, option) == value
    custom = losses.get(name, reduction="sum", name="custom")
    assert (custom.reduction, custom.name) == ("sum", "custom")


def test_get_unknown_option_is_refused():
    with pytest.raises(ValueError, match="unknown option 'delta'"):
        losses.get("mse", delta=1.0)


@pytest.mark.parametrize("name", NAMES)
def test_signature_defaults_are_the_catalog_defaults(name):
    parameters = inspect.signature(losses.CLASSES[name]).parameters
    for option, default in catalog.loss_info(name).defaults().items():
        assert parameters[option].default == default
    for keyword in ("reduction", "name", "dtype"):
        assert keyword in parameters


# ------------------------------------------------------------------------------------- config


@pytest.mark.parametrize("dtype", [None, "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name, dtype):
    loss = losses.CLASSES[name](**_options(name), reduction="sum", name="my_loss", dtype=dtype)
    config = loss.get_config()
    assert config["reduction"] == "sum" and config["name"] == "my_loss"
    for option, value in _options(name).items():
        assert config[option] == value
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    assert clone.dtype == loss.dtype


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_keras(name):
    cls = losses.CLASSES[name]
    assert keras.saving.get_registered_name(cls) == f"descent>{cls.__name__}"
    loss = cls(**_options(name))
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is cls
    assert restored.get_config() == loss.get_config()


@pytest.mark.parametrize("name", ["smooth_l1", "huber"])
@pytest.mark.parametrize("delta", [0, 0.0, -1.0, math.inf, math.nan, "wide", None])
def test_invalid_delta_is_refused(name, delta):
    with pytest.raises(ValueError, match=rf"delta.*Received: delta={delta!r}"):
        losses.CLASSES[name](delta=delta)


@pytest.mark.parametrize("name", losses.for_task("binary"))
@pytest.mark.parametrize("from_logits", [1, 0, "yes", None])
def test_invalid_from_logits_is_refused(name, from_logits):
    with pytest.raises(ValueError, match=rf"from_logits.*Received: from_logits={from_logits!r}"):
        losses.CLASSES[name](from_logits=from_logits)


def test_delta_is_stored_as_a_float():
    assert losses.Huber(delta=2).delta == 2.0
    assert isinstance(losses.Huber(delta=2).delta, float)


@pytest.mark.parametrize("name", NAMES)
def test_invalid_reduction_is_refused(name):
    with pytest.raises(ValueError, match="reduction"):
        losses.CLASSES[name](reduction="average")


# ------------------------------------------------------------------------------------- shapes


def _per_sample(loss_cls, y_true, y_pred, **options):
    return np.asarray(loss_cls(reduction=None, dtype="float64", **options)(y_true, y_pred))


@pytest.mark.parametrize(
    "loss_cls", [losses.MeanSquaredError, losses.MeanAbsoluteError, losses.Huber, losses.SmoothL1]
)
def test_regression_targets_of_shape_n_meet_outputs_of_shape_n_1(loss_cls):
    y = np.array([0.0, 1.0, 2.0, 3.0])
    y_hat = np.array([[0.5], [1.0], [4.0], [-1.0]])
    expected = _per_sample(loss_cls, y[:, None], y_hat)
    assert expected.shape == (4,)
    np.testing.assert_allclose(_per_sample(loss_cls, y, y_hat), expected)
    np.testing.assert_allclose(_per_sample(loss_cls, y_hat, y), expected)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_labels_of_shape_n_or_n_1(from_logits):
    labels = np.array([0.0, 1.0, 1.0, 0.0])
    y_pred = np.array([[0.2], [0.7], [0.4], [0.9]])
    expected = _per_sample(
        losses.BinaryCrossentropy, labels[:, None], y_pred, from_logits=from_logits
    )
    assert expected.shape == (4,)
    got = _per_sample(losses.BinaryCrossentropy, labels, y_pred, from_logits=from_logits)
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_labels_of_shape_n_or_n_1_and_any_number_type(from_logits):
    y_pred = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8]])
    labels = np.array([1, 0, 2])
    expected = _per_sample(
        losses.CategoricalCrossentropy, np.eye(3)[labels], y_pred, from_logits=from_logits
    )
    for y_true in (labels, labels[:, None], labels.astype("int64"), labels.astype("float32")):
        got = _per_sample(
            losses.SparseCategoricalCrossentropy, y_true, y_pred, from_logits=from_logits
        )
        np.testing.assert_allclose(got, expected)


def test_per_sample_functions_are_exported():
    y = np.array([[1.0, 2.0], [0.0, -1.0]])
    y_hat = np.array([[1.5, 2.0], [3.0, -1.0]])
    np.testing.assert_allclose(np.asarray(losses.mean_squared_error(y, y_hat)), [0.125, 4.5])
    np.testing.assert_allclose(np.asarray(losses.mean_absolute_error(y, y_hat)), [0.25, 1.5])
    np.testing.assert_allclose(
        float(losses.root_mean_squared_error(y, y_hat)), math.sqrt((0.125 + 4.5) / 2), rtol=1e-6
    )
    np.testing.assert_allclose(np.asarray(losses.huber(y, y_hat)), [0.0625, 1.25])
    np.testing.assert_allclose(np.asarray(losses.smooth_l1(y, y_hat, delta=2.0)), [0.03125, 1.0])
