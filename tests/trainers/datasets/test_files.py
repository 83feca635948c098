"""The user's files: CSV tables, NPZ archives and folders of images."""

import numpy as np
import pytest

from trainers import datasets
from trainers.errors import DatasetError


def _write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _table(rows, delimiter=",", header=None):
    lines = [delimiter.join(header)] if header else []
    lines += [delimiter.join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _rows(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (round(a, 3), round(b, 3), "yes" if a > b else "no") for a, b in rng.normal(size=(n, 2))
    ]


# ------------------------------------------------------------------------------------------ CSV


def test_csv_with_header_and_string_target(tmp_path):
    rows = _rows()
    path = _write(tmp_path, "weather.csv", _table(rows, header=["a", "b", "rain"]))
    data = datasets.get(path, validation_split=0.25, seed=1)
    assert data.name == "weather.csv"
    assert data.task == "binary"
    assert data.class_names == ("no", "yes")
    assert data.feature_names == ("a", "b")
    assert data.input_shape == (2,)
    assert (data.n_train, data.n_val) == (15, 5)
    assert data.y_train.dtype == np.int32
    # Each label still matches its row: undo the scaling and look the row up.
    mean, std = data.feature_scale
    by_features = {(a, b): label for a, b, label in rows}
    for x, y in zip(data.x_train * std + mean, data.y_train, strict=True):
        original = by_features[tuple(round(float(v), 3) for v in x)]
        assert data.class_names[y] == original


def test_csv_without_header_gets_numbered_columns(tmp_path):
    rows = [(i, i * 0.5, i % 2) for i in range(12)]
    path = _write(tmp_path, "plain.csv", _table(rows))
    data = datasets.get(path)
    assert data.feature_names == ("column 1", "column 2")
    assert data.task == "binary" and data.class_names == ("0", "1")
    assert data.n_samples == 12
    assert datasets.csv_columns(path) == ["column 1", "column 2", "column 3"]


def test_csv_semicolon_with_decimal_commas(tmp_path):
    text = "x;y;label\n1,5;2;a\n-0,25;3,75;b\n2;1;a\n4;1,5;b\n"
    path = _write(tmp_path, "european.csv", text)
    data = datasets.get(path, validation_split=0)
    raw = data.x_train * data.feature_scale[1] + data.feature_scale[0]
    assert sorted(map(tuple, np.round(raw, 4).tolist())) == sorted(
        [(1.5, 2.0), (-0.25, 3.75), (2.0, 1.0), (4.0, 1.5)]
    )
    assert data.class_names == ("a", "b")


def test_csv_tab_separated(tmp_path):
    path = _write(tmp_path, "tabs.tsv", _table(_rows(10), delimiter="\t", header=["a", "b", "c"]))
    assert datasets.get(path).feature_names == ("a", "b")
    assert datasets.csv_columns(path) == ["a", "b", "c"]


def test_csv_numeric_classes(tmp_path):
    rows = [(i, -i, 1 + i % 3) for i in range(30)]
    path = _write(tmp_path, "grades.csv", _table(rows, header=["p", "q", "grade"]))
    data = datasets.get(path)
    assert data.task == "multiclass"
    assert data.class_names == ("1", "2", "3")
    assert sorted(set(data.y_train.tolist())) == [0, 1, 2]


def test_csv_regression_target(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, 40)
    rows = [(round(v, 4), round(3 * v + 0.1234, 4)) for v in x]
    path = _write(tmp_path, "line.csv", _table(rows, header=["x", "y"]))
    data = datasets.get(path, validation_split=0.2)
    assert data.task == "regression" and data.class_names == ()
    assert data.y_train.shape == (32, 1) and data.y_train.dtype == np.float32
    np.testing.assert_allclose(data.y_train.mean(), 0, atol=1e-5)
    np.testing.assert_allclose(data.y_train.std(), 1, atol=1e-4)
    restored = data.target_to_original(np.concatenate([data.y_train, data.y_val]))
    np.testing.assert_allclose(np.sort(restored[:, 0]), np.sort([r[1] for r in rows]), rtol=1e-5)


def test_csv_target_by_name(tmp_path):
    rows = [(i, "a" if i % 2 else "b", i * 2.5) for i in range(10)]
    path = _write(tmp_path, "mixed.csv", _table(rows, header=["x", "kind", "value"]))
    data = datasets.get(path, target="kind")
    assert data.feature_names == ("x", "value")
    assert data.class_names == ("a", "b")
    assert datasets.get(path, target="KIND").class_names == ("a", "b")
    assert datasets.csv_columns(path) == ["x", "kind", "value"]


def test_csv_task_can_be_forced(tmp_path):
    rows = [(i, i % 4) for i in range(20)]
    path = _write(tmp_path, "counts.csv", _table(rows, header=["x", "count"]))
    assert datasets.get(path).task == "multiclass"
    assert datasets.get(path, task="regression").task == "regression"
    rows = [(i, i * 0.5) for i in range(20)]
    path = _write(tmp_path, "halves.csv", _table(rows, header=["x", "half"]))
    assert datasets.get(path).task == "regression"
    assert datasets.get(path, task="classification").n_classes == 20


def test_csv_quirks_bom_blank_lines_quotes_and_crlf(tmp_path):
    text = '\ufeff"width, cm",height,label\r\n1,2,a\r\n\r\n"3",4,b\r\n5,6,a\r\n7,8,b\r\n'
    path = _write(tmp_path, "quirks.csv", text)
    data = datasets.get(path)
    assert data.feature_names == ("width, cm", "height")
    assert data.n_samples == 4
    assert datasets.csv_columns(path)[0] == "width, cm"


def test_csv_many_distinct_integers_are_regression(tmp_path):
    rows = [(i, i * 7) for i in range(40)]
    path = _write(tmp_path, "ints.csv", _table(rows, header=["x", "y"]))
    assert datasets.get(path).task == "regression"
    assert datasets.MAX_AUTO_CLASSES == 20


# ------------------------------------------------------------------------------------------ NPZ


def test_npz_classification(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "points.npz"
    np.savez(path, x=rng.normal(size=(30, 3)), y=np.arange(30) % 3)
    data = datasets.get(path, validation_split=0.2)
    assert data.task == "multiclass" and data.class_names == ("0", "1", "2")
    assert data.input_shape == (3,) and data.feature_names == ("x1", "x2", "x3")
    assert np.bincount(data.y_val).tolist() == [2, 2, 2]


def test_npz_regression_and_string_labels(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 2))
    np.savez(tmp_path / "reg.npz", x=x, y=x.sum(axis=1))
    assert datasets.get(tmp_path / "reg.npz").task == "regression"
    np.savez(tmp_path / "names.npz", x=x, y=np.array(["cat", "dog"] * 10))
    data = datasets.get(tmp_path / "names.npz")
    assert data.task == "binary" and data.class_names == ("cat", "dog")
    np.savez(tmp_path / "flags.npz", x=x, y=np.arange(20) % 2 == 0)
    assert datasets.get(tmp_path / "flags.npz").class_names == ("False", "True")
    assert datasets.get(tmp_path / "reg.npz", task="classification").n_classes == 20


def test_npz_images_are_scaled_not_standardized(tmp_path):
    rng = np.random.default_rng(2)
    np.savez(
        tmp_path / "tiny_images.npz",
        x=rng.integers(0, 256, (12, 5, 4), dtype=np.uint8),
        y=np.arange(12) % 2,
    )
    data = datasets.get(tmp_path / "tiny_images.npz")
    assert data.input_shape == (5, 4, 1)
    assert data.feature_scale is None
    assert 0 <= data.x_train.min() and data.x_train.max() <= 1


# --------------------------------------------------------------------------------- image folder


def _png(path, pixels):
    import tensorflow as tf

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(np.asarray(pixels, dtype=np.uint8)).numpy())


@pytest.fixture
def image_folder(tmp_path):
    root = tmp_path / "shapes"
    red = np.zeros((6, 5, 3), np.uint8)
    red[..., 0] = 255
    grey = np.full((7, 7, 1), 128, np.uint8)
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 2] = 255
    rgba[..., 3] = 255
    for i in range(3):
        _png(root / "reds" / f"r{i}.png", red)
        _png(root / "others" / f"g{i}.png", grey)
    _png(root / "others" / "nested" / "b.png", rgba)
    (root / "others" / "notes.txt").write_text("not an image")
    return root


def test_image_folder_rgb(image_folder):
    data = datasets.get(image_folder, image_size=8, validation_split=0)
    assert data.name == "shapes"
    assert data.class_names == ("others", "reds")
    assert data.task == "binary"
    assert data.input_shape == (8, 8, 3) and data.x_train.shape == (7, 8, 8, 3)
    assert data.feature_scale is None
    reds = data.x_train[data.y_train == 1]
    np.testing.assert_allclose(reds[..., 0], 1.0)
    np.testing.assert_allclose(reds[..., 1:], 0.0)
    assert data.summary().endswith("· 8x8 RGB images · 2 classes · binary classification")


def test_image_folder_grayscale(image_folder):
    data = datasets.get(image_folder, image_size=4, color_mode="grayscale", seed=3)
    assert data.input_shape == (4, 4, 1)
    assert data.x_train.min() >= 0 and data.x_train.max() <= 1
    same = datasets.get(image_folder, image_size=4, color_mode="grayscale", seed=3)
    np.testing.assert_array_equal(data.x_train, same.x_train)


def test_image_folder_rejects_bad_options(image_folder):
    with pytest.raises(DatasetError, match="image_size"):
        datasets.get(image_folder, image_size=0)
    with pytest.raises(DatasetError, match="color_mode"):
        datasets.get(image_folder, color_mode="sepia")


def test_csv_utf16_and_forced_delimiter(tmp_path):
    text = "a;b;label\n1;2;x\n3;4;y\n5;6;x\n7;8;y\n"
    path = _write(tmp_path, "excel.csv", "\ufeff" + text, encoding="utf-16-le")
    assert datasets.csv_columns(path) == ["a", "b", "label"]
    assert datasets.get(path).feature_names == ("a", "b")
    forced = _write(tmp_path, "forced.csv", text)
    assert datasets.get(forced, delimiter="semicolon").n_samples == 4
    with pytest.raises(DatasetError, match="single column"):
        datasets.get(forced, delimiter="tab")


def test_csv_columns_reads_only_the_start(tmp_path):
    head = "x,y,label\n" + "1,2,a\n" * 20_000
    path = _write(tmp_path, "long.csv", head + "1,2,b,\xff\n")
    assert datasets.csv_columns(path) == ["x", "y", "label"]
