"""A saved run's model.keras takes the user's raw data and predicts in the data's units.

Each run here really trains; the saved model is then loaded in a fresh interpreter with Keras
alone (no Descent import) and fed the rows of the CSV file as a user reads them.
"""

from __future__ import annotations

import csv
import dataclasses
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.processes import run_main, run_python
from trainers import build, datasets
from trainers.config import RunConfig
from trainers.raw_model import pixel_scale, unwrap_raw_model
from trainers.session import TrainingSession
from trainers.storage import save_run

# What a user writes: the columns named in model.json, read from the CSV, into plain Keras.
PLAIN_KERAS = """
import csv, json, sys
import keras
import numpy as np
folder, data_file, out = sys.argv[1:]
card = json.load(open(f"{folder}/model.json"))
with open(data_file, newline="") as f:
    rows = [[float(row[name]) for name in card["feature_names"]] for row in csv.DictReader(f)]
model = keras.saving.load_model(f"{folder}/model.keras", compile=False)
np.save(out, model.predict(np.array(rows), verbose=0))
print("DESCENT IMPORTED:", any(name.split(".")[0] == "trainers" for name in sys.modules))
"""


def houses(path, n=150, seed=0):
    """A CSV of houses: area in the thousands, the year built, rooms, and a price target."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(500, 4000, n)
    year = rng.integers(1950, 2021, n)
    rooms = rng.integers(1, 8, n)
    price = 100 * area + 2000 * (year - 1950) + 5000 * rooms + rng.normal(0, 1e4, n)
    kind = np.where(price > np.median(price), "dear", "cheap")
    size = np.array(["small", "medium", "large"])[np.digitize(area, [1500, 3000])]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["area", "year", "rooms", "price", "kind", "size"])
        for row in zip(area, year, rooms, price, kind, size, strict=True):
            writer.writerow([f"{row[0]:.3f}", row[1], row[2], f"{row[3]:.2f}", row[4], row[5]])
    return path


def table(path, columns):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [[row[c] for c in columns] for row in rows]


def train(csv_path, target, epochs=3, **changes):
    """Train a small run on the CSV with only the three number columns as features."""
    features = ["area", "year", "rooms"]
    only = csv_path.with_name(f"{target}.csv")
    with open(only, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*features, target])
        writer.writerows(table(csv_path, [*features, target]))
    config = RunConfig(
        dataset=str(only),
        target=target,
        epochs=epochs,
        hyperparameters={"learning_rate": 0.01},
        hidden_layers=(8,),
        seed=0,
        **changes,
    )
    result = TrainingSession(config).run()
    assert result.status == "completed", result.message
    return result, only


def standardized_rows(result, raw):
    """The file's rows as Descent fed them to the network, in file order.

    Checked to be the rows of the run's dataset (which holds them split and shuffled), to the
    float32 rounding of the kept mean: 1e-4 of a year near 2000 is 5e-6 of its std of 20."""
    data = build.load_dataset(result.config)
    mean, std = data.feature_scale
    rows = ((raw - mean) / std).astype(np.float32)
    trained_on = np.concatenate([data.x_train, data.x_val])
    order = lambda a: a[np.lexsort(a.T[::-1])]  # noqa: E731
    np.testing.assert_allclose(order(rows), order(trained_on), rtol=0, atol=1e-5)
    return rows, data


def plain_keras_predictions(folder, data_file, tmp_path):
    done = run_python(PLAIN_KERAS, folder, data_file, tmp_path / "predicted.npy")
    assert done.returncode == 0, done.stderr
    assert "DESCENT IMPORTED: False" in done.stdout
    return np.load(tmp_path / "predicted.npy")


@pytest.fixture(scope="module")
def regression(tmp_path_factory):
    """A price regression on raw features of very different scales, saved as a run folder."""
    root = tmp_path_factory.mktemp("regression")
    result, data_file = train(houses(root / "houses.csv"), "price")
    folder = save_run(result, root / "run")
    return result, data_file, folder


def test_a_regression_predicts_prices_from_raw_rows_in_plain_keras(regression, tmp_path):
    result, data_file, folder = regression
    raw = np.array(table(data_file, ["area", "year", "rooms"]), dtype=np.float64)
    rows, data = standardized_rows(result, raw)
    expected = data.target_to_original(result.model.predict(rows, verbose=0))
    predicted = plain_keras_predictions(folder, data_file, tmp_path)
    assert predicted.shape == (len(raw), 1)
    np.testing.assert_allclose(predicted, expected, rtol=1e-5)
    # In the target's units: the prices themselves, not values around 0.
    prices = np.array(table(data_file, ["price"]), dtype=np.float64)
    assert np.mean(np.abs(predicted)) > 0.1 * np.mean(np.abs(prices))
    card = json.loads((folder / "model.json").read_text())
    assert card["feature_names"] == ["area", "year", "rooms"]
    assert card["task"] == "regression" and card["target"] == "price"
    assert "price, in its units" in card["outputs"]
    np.testing.assert_allclose(card["target_mean"], data.target_scale[0])


def test_the_compiled_model_reloads_with_its_optimizer_and_an_mae_in_target_units(regression):
    result, data_file, folder = regression
    script = """
import sys
import keras
import numpy as np
import trainers.keras_objects
model = keras.saving.load_model(sys.argv[1])
rows = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1)
logs = model.evaluate(rows[:, :3], rows[:, 3:], verbose=0, return_dict=True)
print("OPTIMIZER", type(model.optimizer).__module__, int(model.optimizer.iterations))
print("MAE", repr(logs["mae"]))
"""
    done = run_python(script, folder / "model.keras", data_file)
    assert done.returncode == 0, done.stderr
    words = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert words["OPTIMIZER"] == f"trainers.optimizers.adam {result.info.total_steps}"
    # Over every row of the file, in the units of the price: the run's own MAE (over the
    # standardized target) times the target's standard deviation, near enough.
    raw = np.array(table(data_file, ["area", "year", "rooms", "price"]), dtype=np.float64)
    rows, data = standardized_rows(result, raw[:, :3])
    predicted = data.target_to_original(result.model.predict(rows, verbose=0))
    expected_mae = np.mean(np.abs(predicted[:, 0] - raw[:, 3]))
    assert float(words["MAE"]) == pytest.approx(expected_mae, rel=1e-4)
    assert expected_mae > 1000  # prices, not standardized values


def test_the_command_line_saves_the_same_raw_model(regression, tmp_path):
    result, data_file, _ = regression
    out = tmp_path / "cli-run"
    done = run_main(
        "train --target price --epochs 3 --learning-rate 0.01 --hidden 8 --seed 0 "
        f"--runs-dir {tmp_path / 'library'} --quiet --dataset",
        data_file,
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr
    raw = np.array(table(data_file, ["area", "year", "rooms"]), dtype=np.float64)
    rows, data = standardized_rows(result, raw)
    expected = data.target_to_original(result.model.predict(rows, verbose=0))
    np.testing.assert_allclose(
        plain_keras_predictions(out, data_file, tmp_path), expected, rtol=1e-5
    )


def test_unwrapping_gives_back_the_trained_network(regression):
    result, data_file, folder = regression
    saved = keras.saving.load_model(folder / "model.keras", compile=False)
    network = unwrap_raw_model(saved)
    assert network is not saved and network.input_shape == result.model.input_shape
    raw = np.array(table(data_file, ["area", "year", "rooms"]), dtype=np.float64)
    rows, _ = standardized_rows(result, raw)
    np.testing.assert_allclose(
        network.predict(rows, verbose=0), result.model.predict(rows, verbose=0), rtol=1e-6
    )
    assert unwrap_raw_model(result.model) is result.model  # not a saved raw model: as it is


@pytest.mark.parametrize(
    ("target", "loss", "from_logits", "labels"),
    [
        ("kind", "binary_crossentropy", True, ["cheap", "dear"]),
        ("size", "sparse_categorical_crossentropy", False, ["large", "medium", "small"]),
    ],
)
def test_a_classifier_gives_probabilities_and_names_its_labels(
    tmp_path, target, loss, from_logits, labels
):
    result, data_file = train(
        houses(tmp_path / "houses.csv"),
        target,
        epochs=20,
        loss=loss,
        loss_options={"from_logits": from_logits},
    )
    folder = save_run(result, tmp_path / "run")
    card = json.loads((folder / "model.json").read_text())
    assert card["class_labels"] == labels
    raw = np.array(table(data_file, ["area", "year", "rooms"]), dtype=np.float64)
    rows, _ = standardized_rows(result, raw)
    outputs = np.asarray(result.model.predict(rows, verbose=0), dtype=np.float64)
    predicted = plain_keras_predictions(folder, data_file, tmp_path)
    truth = [row[0] for row in table(data_file, [target])]
    if loss == "binary_crossentropy":
        assert card["outputs"].startswith("one column: the probability of class 'dear'")
        probability = 1 / (1 + np.exp(-outputs))  # the run's model gives logits
        np.testing.assert_allclose(predicted, probability, rtol=1e-5)
        named = [labels[int(p > 0.5)] for p in predicted[:, 0]]
        assert named == [labels[int(v > 0.0)] for v in outputs[:, 0]]
    else:
        assert "probabilities of class_labels" in card["outputs"]
        np.testing.assert_allclose(predicted, outputs, rtol=1e-5)
        named = [labels[i] for i in np.argmax(predicted, axis=1)]
    # The labels mean what the file says: the run learned them well above chance.
    assert np.mean([a == b for a, b in zip(named, truth, strict=True)]) > 0.7


def write_png(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(np.asarray(pixels, dtype=np.uint8)).numpy())


def test_an_image_model_takes_pixels_from_0_to_255(tmp_path):
    rng = np.random.default_rng(1)
    root = tmp_path / "images"
    images = {}
    for name, channel in (("red", 0), ("blue", 2)):
        for i in range(12):
            pixels = rng.integers(0, 90, (8, 8, 3))
            pixels[..., channel] = rng.integers(150, 256, (8, 8))
            images[f"{name}/{i}.png"] = pixels
            write_png(root / name / f"{i}.png", pixels)
    config = RunConfig(
        dataset=str(root), dataset_options={"image_size": 8}, epochs=2, hidden_layers=(8,)
    )
    result = TrainingSession(config).run()
    assert result.status == "completed", result.message
    assert result.info.pixel_scale == 255.0
    folder = save_run(result, tmp_path / "run")
    card = json.loads((folder / "model.json").read_text())
    assert card["class_labels"] == ["blue", "red"]
    assert "pixel values from 0 to 255" in card["inputs"]
    raw = np.stack(list(images.values())).astype(np.float32)
    saved = keras.saving.load_model(folder / "model.keras", compile=False)
    np.testing.assert_allclose(
        saved.predict(raw, verbose=0),
        result.model.predict(raw / 255.0, verbose=0),
        rtol=1e-5,
        atol=1e-7,
    )


@pytest.mark.parametrize(
    ("pixels", "scale"), [(np.uint8, 255.0), (np.int64, 255.0), (np.float32, 1.0)]
)
def test_npz_pixels_keep_their_own_range(tmp_path, pixels, scale):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (20, 8, 8, 1)).astype(pixels)
    if pixels == np.float32:
        x /= 255.0
    np.savez(tmp_path / "images.npz", x=x, y=np.arange(20) % 2)
    assert pixel_scale(datasets.get(str(tmp_path / "images.npz"))) == scale


def test_tabular_data_has_no_pixel_scale():
    assert pixel_scale(datasets.get("moons")) is None


def test_a_saved_run_loaded_to_train_again_is_not_standardized_twice(regression):
    """ "Load .keras model..." on a saved run trains the network inside it, on the data as
    Descent standardizes it: its first predictions are the trained run's."""
    result, data_file, folder = regression
    config = dataclasses.replace(result.config, model_path=str(folder / "model.keras"))
    data = build.load_dataset(config.validate())
    model = build.build_run_model(config, data, build.loss_name(config, data))
    assert not any(isinstance(layer, keras.layers.Normalization) for layer in model.layers)
    np.testing.assert_allclose(
        model.predict(data.x_val, verbose=0),
        result.model.predict(data.x_val, verbose=0),
        rtol=1e-6,
    )
