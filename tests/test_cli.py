"""`main.py list` and `main.py train` end to end: outputs, exit statuses, messages."""

import csv
import json
from pathlib import Path

import pytest

import main
from tests.processes import run_main, run_python
from trainers import catalog

ROOT = Path(__file__).resolve().parents[1]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_list_names_every_dataset_optimizer_and_loss(capsys):
    assert main.main(["list"]) == 0
    out = capsys.readouterr().out
    for entry in (*catalog.DATASETS, *catalog.OPTIMIZERS, *catalog.LOSSES):
        assert entry.name in out
    assert "beta_1=0.9" in out and "[0, 1)" in out
    assert "fits: regression" in out


def test_train_writes_the_run_in_a_fresh_process(tmp_path):
    out = tmp_path / "demo"
    command = "train --dataset moons --optimizer adam --loss binary_crossentropy --epochs 4"
    done = run_main(
        f"{command} --batch-size 32 --learning-rate 0.01 --seed 0 --set beta_1=0.8 --out", out
    )
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout
    assert {p.name for p in out.iterdir()} >= {
        "config.json",
        "history.csv",
        "steps.csv",
        "model.keras",
    }
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["hyperparameters"] == {"learning_rate": 0.01, "beta_1": 0.8}
    history = read_csv(out / "history.csv")
    assert [row["epoch"] for row in history] == ["0", "1", "2", "3", "4"]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history[0])
    steps = read_csv(out / "steps.csv")
    assert len(steps) == 4 * 10 and steps[-1]["step"] == "40"
    # The model reloads, compiled, in plain Keras after `import trainers.keras_objects`.
    check = (
        "import keras, trainers.keras_objects, sys; m = keras.saving.load_model(sys.argv[1]); "
        "print(type(m.optimizer).__name__, m.loss.name)"
    )
    loaded = run_python(check, out / "model.keras")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split()[-2:] == ["Adam", "binary_crossentropy"]


def test_batch_sizes_full_and_one_are_batch_and_stochastic_descent(tmp_path):
    for size, steps_per_epoch in (("full", 1), ("1", 320)):
        out = tmp_path / size
        assert (
            main.main(
                [
                    "train",
                    "--dataset",
                    "moons",
                    "--epochs",
                    "2",
                    "--batch-size",
                    size,
                    "--quiet",
                    "--no-model",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        assert len(read_csv(out / "steps.csv")) == 2 * steps_per_epoch


def test_csv_dataset_with_a_target_column(tmp_path):
    path = tmp_path / "data.csv"
    rows = ["a,b,label"] + [f"{i % 7},{(i * 3) % 5},{'yes' if i % 2 else 'no'}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    assert (
        main.main(
            [
                "train",
                "--dataset",
                str(path),
                "--target",
                "label",
                "--epochs",
                "2",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert json.loads((out / "config.json").read_text())["result"]["loss"] == "binary_crossentropy"


@pytest.mark.parametrize(
    "args, words",
    [
        (["--optimizer", "adam", "--set", "beta_1=1.5"], ["beta_1", "1.5"]),
        (["--learning-rate", "-1"], ["learning_rate", "-1"]),
        (["--dataset", "diabetes", "--loss", "binary_crossentropy"], ["regression", "fit"]),
        (["--dataset", "no/such/file.csv"], ["file.csv"]),
        (["--batch-size", "zero"], ["batch_size", "zero"]),
        (["--set", "nonsense"], ["NAME=VALUE"]),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(capsys, args, words):
    assert main.main(["train", "--epochs", "1", "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_unknown_flag_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main.main(["train", "--epoch", "3"])
    assert info.value.code == 2


def test_divergence_exits_1_and_keeps_the_history(tmp_path, capsys):
    out = tmp_path / "diverged"
    status = main.main(
        [
            "train",
            "--dataset",
            "diabetes",
            "--optimizer",
            "sgd",
            "--learning-rate",
            "10000",
            "--epochs",
            "5",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert status == 1
    assert "diverged" in capsys.readouterr().out
    assert len(read_csv(out / "steps.csv")) >= 1


def test_config_file_reruns_to_the_same_step_losses(tmp_path):
    first = tmp_path / "first"
    assert (
        main.main(
            [
                "train",
                "--dataset",
                "wine",
                "--optimizer",
                "rmsprop",
                "--epochs",
                "2",
                "--quiet",
                "--no-model",
                "--out",
                str(first),
            ]
        )
        == 0
    )
    toml = tmp_path / "run.toml"
    from trainers.config import RunConfig

    saved = json.loads((first / "config.json").read_text())["config"]
    toml.write_text(RunConfig.from_dict(saved).to_toml())
    second = tmp_path / "second"
    assert (
        main.main(["train", "--config", str(toml), "--quiet", "--no-model", "--out", str(second)])
        == 0
    )
    assert read_csv(first / "steps.csv") == read_csv(second / "steps.csv")


@pytest.mark.parametrize("dataset, epochs", [("moons", 8), ("digits", 2), ("diabetes", 8)])
@pytest.mark.parametrize("optimizer", [o.name for o in catalog.OPTIMIZERS])
def test_every_optimizer_lowers_the_validation_loss(tmp_path, dataset, optimizer, epochs):
    out = tmp_path / "run"
    assert (
        main.main(
            [
                "train",
                "--dataset",
                dataset,
                "--optimizer",
                optimizer,
                "--epochs",
                str(epochs),
                "--quiet",
                "--no-model",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    history = read_csv(out / "history.csv")
    before, after = float(history[0]["val_loss"]), float(history[-1]["val_loss"])
    assert after < before, f"{optimizer} on {dataset}: val_loss {before} -> {after}"


def test_a_regression_run_says_its_losses_are_on_the_standardized_target(capsys):
    from trainers import datasets

    std = datasets.get("diabetes").target_scale[1]
    argv = ["train", "--dataset", "diabetes", "--epochs", "1", "--no-model"]
    assert main.main(argv) == 0
    progress = capsys.readouterr().err  # the progress lines; stdout has the result
    assert f"multiply mae by {std:.4g} (the target's std)" in progress


def test_train_with_sharpness_writes_each_measurement_against_two_over_eta(tmp_path):
    out = tmp_path / "sharp"
    status = main.main(
        [
            "train",
            "--dataset",
            "sine",
            "--optimizer",
            "sgd",
            "--learning-rate",
            "0.1",
            "--batch-size",
            "full",
            "--epochs",
            "20",
            "--sharpness-every",
            "5",
            "--quiet",
            "--no-model",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    rows = read_csv(out / "sharpness.csv")
    assert [row["step"] for row in rows] == ["0", "5", "10", "15", "20"]
    assert all(float(row["threshold"]) == pytest.approx(2 / 0.1) for row in rows)
    assert all(float(row["lambda_max"]) > 0 for row in rows)
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["sharpness_every"] == 5
    assert "sharpness_every = 5" in (out / "run.toml").read_text()
