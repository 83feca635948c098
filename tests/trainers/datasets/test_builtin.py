"""Built-in datasets: generated, scikit-learn and Keras, through `datasets.get`."""

import socket

import numpy as np
import pytest

from trainers import datasets
from trainers.catalog import DATASETS
from trainers.datasets.base import split_indices
from trainers.datasets.bundled import load_bundled
from trainers.datasets.generated import GENERATORS
from trainers.errors import DatasetError

GENERATED = [info for info in DATASETS if info.kind == "generated"]
BUNDLED = [info for info in DATASETS if info.kind == "scikit-learn"]
KERAS = [info for info in DATASETS if info.kind == "keras"]
BUNDLED_SIZES = {
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
    "digits": (1797, 64, 10),
    "diabetes": (442, 10, 0),
}


def _check_types(data, task):
    assert data.task == task
    assert data.x_train.dtype == np.float32 and data.x_val.dtype == np.float32
    assert data.x_train.shape[1:] == data.input_shape == data.x_val.shape[1:]
    assert len(data.x_train) == len(data.y_train) and len(data.x_val) == len(data.y_val)
    if task == "regression":
        assert data.y_train.dtype == np.float32 and data.y_train.shape == (data.n_train, 1)
        assert data.y_val.shape == (data.n_val, 1)
        assert data.class_names == () and data.n_classes == 0
    else:
        assert data.y_train.dtype == np.int32 and data.y_train.shape == (data.n_train,)
        assert data.y_val.shape == (data.n_val,)
        assert data.target_scale == (0.0, 1.0)
        assert set(np.unique(data.y_train)) == set(range(data.n_classes))
    assert len(data.feature_names) == data.n_features
    assert data.description and "\n" not in data.description


def _same(a, b) -> bool:
    return all(
        np.array_equal(getattr(a, k), getattr(b, k))
        for k in ("x_train", "y_train", "x_val", "y_val")
    )


def test_available_is_the_catalog():
    assert datasets.available() == DATASETS
    assert set(GENERATORS) == {info.name for info in GENERATED}


@pytest.mark.parametrize("info", GENERATED, ids=lambda i: i.name)
def test_generated_dataset_loads(info):
    data = datasets.get(info.name, samples=100, validation_split=0.2, seed=3)
    _check_types(data, info.task)
    expected_features = 1 if info.task == "regression" else 2
    assert data.input_shape == (expected_features,)
    assert (data.n_train, data.n_val) == (80, 20)
    assert data.n_classes == {"regression": 0, "binary": 2, "multiclass": 3}[info.task]
    assert data.summary().startswith("100 samples (80 train, 20 validation) · ")
    assert repr(data) == f"Dataset({info.name!r}: {data.summary()})"


@pytest.mark.parametrize("info", GENERATED, ids=lambda i: i.name)
def test_generated_dataset_is_reproducible(info):
    first = datasets.get(info.name, samples=60, seed=7)
    again = datasets.get(info.name, samples=60, seed=7)
    other = datasets.get(info.name, samples=60, seed=8)
    assert _same(first, again)
    assert not np.allclose(first.x_train, other.x_train)


def test_generated_options_change_the_points():
    quiet = GENERATORS["sine"](50, 0.0, 1)
    np.testing.assert_allclose(quiet.y, np.sin(quiet.x))
    assert np.all(np.abs(quiet.x) <= 3)
    noisy = GENERATORS["sine"](50, 0.5, 1)
    assert not np.allclose(noisy.y, np.sin(noisy.x))


def test_linear_outliers_has_ten_percent_gross_outliers():
    raw = GENERATORS["linear_outliers"](200, 0.1, 0)
    residual = raw.y[:, 0] - (2 * raw.x[:, 0] + 1)
    assert np.sum(np.abs(residual) > 4) == 20


def test_xor_and_spirals_are_balanced():
    for name in ("xor", "spirals", "moons", "blobs"):
        labels = GENERATORS[name](300, 0.1, 0).y
        counts = np.bincount(labels)
        assert counts.max() - counts.min() <= 0.2 * counts.mean(), name


@pytest.mark.parametrize("info", BUNDLED, ids=lambda i: i.name)
def test_bundled_dataset_loads(info):
    n, features, classes = BUNDLED_SIZES[info.name]
    data = datasets.get(info.name)
    _check_types(data, info.task)
    assert data.n_samples == n
    assert data.input_shape == (features,)
    assert data.n_classes == classes
    assert data.description == info.description


def test_bundled_class_names_come_from_the_bunch():
    assert datasets.get("iris").class_names == ("setosa", "versicolor", "virginica")
    assert datasets.get("breast_cancer").class_names == ("malignant", "benign")
    assert datasets.get("digits").class_names == tuple(str(d) for d in range(10))


@pytest.mark.parametrize("name", ["iris", "diabetes"])
def test_bundled_split_depends_on_the_seed(name):
    assert _same(datasets.get(name, seed=1), datasets.get(name, seed=1))
    assert not _same(datasets.get(name, seed=1), datasets.get(name, seed=2))


def test_standardization_uses_training_statistics_only():
    raw = load_bundled("diabetes")
    data = datasets.get("diabetes", validation_split=0.25, seed=4)
    train, val = split_indices(len(raw.x), 0.25, 4)
    mean, std = raw.x[train].mean(axis=0), raw.x[train].std(axis=0)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1, atol=1e-4)
    np.testing.assert_allclose(data.x_val, (raw.x[val] - mean) / std, rtol=1e-5, atol=1e-5)
    # The validation part is not re-centred on its own statistics.
    assert np.abs(data.x_val.mean(axis=0)).max() > 0.01
    np.testing.assert_allclose(data.feature_scale[0], mean, rtol=1e-6)
    y_mean, y_std = raw.y[train].mean(), raw.y[train].std()
    assert data.target_scale == pytest.approx((y_mean, y_std))
    np.testing.assert_allclose(data.y_val[:, 0], (raw.y[val] - y_mean) / y_std, rtol=1e-5)
    np.testing.assert_allclose(data.target_to_original(data.y_val)[:, 0], raw.y[val], rtol=1e-5)


def test_constant_feature_is_not_blown_up():
    data = datasets.get("digits")
    assert np.isfinite(data.x_train).all() and np.isfinite(data.x_val).all()
    assert np.abs(data.x_train).max() < 100


def test_split_is_stratified():
    data = datasets.get("iris", validation_split=0.2, seed=5)
    assert np.bincount(data.y_val).tolist() == [10, 10, 10]
    cancer = datasets.get("breast_cancer", validation_split=0.2)
    overall = (cancer.y_train.sum() + cancer.y_val.sum()) / cancer.n_samples
    assert abs(cancer.y_val.mean() - overall) <= 1 / cancer.n_val


def test_validation_split_zero_gives_empty_validation_arrays():
    data = datasets.get("moons", samples=50, validation_split=0)
    assert data.x_train.shape == (50, 2) and data.y_train.shape == (50,)
    assert data.x_val.shape == (0, 2) and data.x_val.dtype == np.float32
    assert data.y_val.shape == (0,) and data.y_val.dtype == np.int32
    sine = datasets.get("sine", samples=50, validation_split=0.0)
    assert sine.x_val.shape == (0, 1) and sine.y_val.shape == (0, 1)
    assert sine.summary() == "50 samples (50 train, 0 validation) · 1 feature · regression"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"noise": -1}, "noise"),
        ({"samples": 2}, "samples"),
        ({"samples": 10.5}, "samples"),
        ({"colour": "red"}, "unknown option 'colour'"),
        ({"validation_split": 1.0}, "validation_split=1.0"),
        ({"validation_split": "a lot"}, "validation_split"),
        ({"seed": -1}, "seed=-1"),
        ({"target": "y"}, "target"),
    ],
)
def test_bad_options_are_dataset_errors(kwargs, expected):
    with pytest.raises(DatasetError) as caught:
        datasets.get("moons", **kwargs)
    assert expected in str(caught.value)


def test_bundled_datasets_take_no_options():
    with pytest.raises(DatasetError, match="unknown option 'samples'"):
        datasets.get("iris", samples=10)


def test_unknown_name_lists_the_built_ins():
    with pytest.raises(DatasetError, match="moons") as caught:
        datasets.get("mons")
    assert "'mons'" in str(caught.value)


def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the loader tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("mnist", "mnist.npz"),
        ("fashion_mnist", "fashion-mnist/train-images-idx3-ubyte.gz"),
        ("cifar10", "cifar-10-batches-py-target_archive"),
    ],
)
def test_keras_dataset_offline_says_where_to_put_the_file(name, file, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("DESCENT_OFFLINE", "1")
    _no_network(monkeypatch)
    with pytest.raises(DatasetError) as caught:
        datasets.get(name)
    message = str(caught.value)
    assert str(tmp_path / "datasets" / file) in message
    assert "DESCENT_OFFLINE" in message and "https://" in message
    assert datasets.keras_cache_dir() == tmp_path / "datasets"


def test_keras_dataset_from_the_cache(tmp_path, monkeypatch):
    # The real file is not available offline: a stand-in cache file and load_data stand-in
    # check what happens to the arrays Keras returns.
    keras_mnist = pytest.importorskip("keras.datasets.mnist")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"")
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), np.arange(40) % 10)
    test = (rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), np.arange(10) % 10)
    monkeypatch.setattr(keras_mnist, "load_data", lambda: (train, test))
    data = datasets.get("mnist", validation_split=0.2)
    _check_types_images(data)
    assert data.input_shape == (28, 28, 1) and data.n_samples == 50
    assert data.summary() == (
        "50 samples (40 train, 10 validation) · 28x28 grey images · 10 classes · "
        "multiclass classification"
    )


def _check_types_images(data):
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int32
    assert data.x_train.min() >= 0 and data.x_train.max() <= 1
    assert data.feature_scale is None
