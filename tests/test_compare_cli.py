"""`main.py compare` end to end: run folders, summary.csv, the printed table, exit statuses."""

import csv
import dataclasses
import json
from pathlib import Path

import pytest

import main
from tests.processes import run_main
from trainers.cli.compare import folder_name
from trainers.summary import SummaryRow

ROOT = Path(__file__).resolve().parents[1]
RUN_FILES = {"config.json", "run.toml", "history.csv", "steps.csv"}
SUMMARY_COLUMNS = [f.name for f in dataclasses.fields(SummaryRow)]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_compare_optimizers_writes_a_folder_per_run_and_the_summary(tmp_path, capsys):
    out = tmp_path / "optimizers"
    argv = ["compare", "--dataset", "digits", "--optimizers", "sgd,momentum,adam"]
    assert main.main([*argv, "--epochs", "2", "--target-loss", "2.2", "--out", str(out)]) == 0
    folders = ["SGD_lr_0.01", "Momentum_lr_0.01", "Adam_lr_0.001"]
    assert {p.name for p in out.iterdir()} == {*folders, "summary.csv", "job.json"}
    for folder in folders:
        assert {p.name for p in (out / folder).iterdir()} == {
            *RUN_FILES,
            "model.keras",
            "model.json",
            "run.py",  # the run as a plain Keras script (trainers.script)
            "run_data.npz",
        }
    optimizers = [json.loads((out / f / "config.json").read_text()) for f in folders]
    assert [d["config"]["optimizer"] for d in optimizers] == ["sgd", "momentum", "adam"]
    assert {d["config"]["seed"] for d in optimizers} == {0}

    rows = read_csv(out / "summary.csv")
    assert list(rows[0]) == SUMMARY_COLUMNS
    assert [row["label"] for row in rows] == ["SGD lr=0.01", "Momentum lr=0.01", "Adam lr=0.001"]
    assert {row["status"] for row in rows} == {"completed"}
    assert {row["epochs_done"] for row in rows} == {"2"}
    assert {row["metric"] for row in rows} == {"accuracy"}
    for folder, row in zip(folders, rows, strict=True):
        history = read_csv(out / folder / "history.csv")
        assert [h["epoch"] for h in history] == ["0", "1", "2"]
        assert float(row["final_loss"]) == float(history[-1]["loss"])
        assert float(row["best_val_loss"]) == min(float(h["val_loss"]) for h in history[1:])
        assert len(read_csv(out / folder / "steps.csv")) == 2 * 45
    # Same initial weights: the untrained model's loss (epoch 0) is the same for every run.
    assert len({read_csv(out / f / "history.csv")[0]["loss"] for f in folders}) == 1

    printed = capsys.readouterr().out
    assert "step to 2.2" in printed and "best val_loss" in printed
    for row in rows:
        assert row["label"] in printed


def test_gd_variants_in_a_fresh_process(tmp_path):
    out = tmp_path / "variants"
    command = "compare --dataset moons --optimizer sgd --learning-rate 0.1 --gd-variants"
    done = run_main(f"{command} --epochs 1 --target-loss 0.6 --no-model --quiet --out", out)
    assert done.returncode == 0, done.stderr
    folders = ["Batch_GD_full", "Stochastic_GD_1", "Mini-batch_GD_32"]
    assert {p.name for p in out.iterdir()} == {*folders, "summary.csv", "job.json"}
    steps = [len(read_csv(out / f / "steps.csv")) for f in folders]
    assert steps == [1, 320, 10]
    rows = read_csv(out / "summary.csv")
    assert [row["batch_size"] for row in rows] == ["full", "1", "32"]
    assert {row["learning_rate"] for row in rows} == {"0.1"}
    assert "Stochastic GD (1)" in done.stdout and "Traceback" not in done.stderr


def test_a_diverging_run_exits_1_and_every_run_is_still_written(tmp_path, capsys):
    out = tmp_path / "rates"
    argv = ["compare", "--dataset", "diabetes", "--optimizer", "sgd", "--loss", "mse"]
    argv += ["--learning-rates", "10000,0.01", "--epochs", "1", "--quiet", "--no-model"]
    assert main.main([*argv, "--out", str(out)]) == 1
    rows = read_csv(out / "summary.csv")
    assert [row["status"] for row in rows] == ["diverged", "completed"]
    for folder in ("SGD_lr_10000", "SGD_lr_0.01"):
        assert {p.name for p in (out / folder).iterdir()} == RUN_FILES
    assert "diverged" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, words",
    [
        (["--optimizers", "sgd,nadam"], ["nadam", "adam"]),
        (["--learning-rates", "0.1,fast"], ["--learning-rates", "fast"]),
        (["--learning-rates", "0.1,-1"], ["lr=-1", "learning_rate"]),
        (["--losses", "mse"], ["mse", "binary"]),
        (["--optimizers", "sgd", "--dataset", "no/such/file.csv"], ["file.csv"]),
        (["--batch-sizes", "full,zero"], ["batch zero", "batch_size"]),
        (["--gd-variants", "--batch-sizes", "1,2"], ["--gd-variants", "--batch-sizes"]),
        (["--optimizers", "sgd", "--target-loss", "nan"], ["--target-loss"]),
        ([], ["Nothing to compare"]),
    ],
)
def test_bad_input_exits_2_with_a_message_and_nothing_trained(tmp_path, capsys, args, words):
    out = tmp_path / "out"
    argv = ["compare", "--dataset", "moons", "--epochs", "1", *args, "--out", str(out)]
    assert main.main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    for word in words:
        assert word in captured.err
    assert not out.exists() or not any(out.iterdir())


def test_out_is_required():
    with pytest.raises(SystemExit) as info:
        main.main(["compare", "--optimizers", "sgd,adam"])
    assert info.value.code == 2


def test_folder_names_are_safe_and_unique():
    taken: set[str] = set()
    assert folder_name("SGD lr=0.1 · batch full", taken) == "SGD_lr_0.1_batch_full"
    assert folder_name("SGD lr=0.1 · batch full", taken) == "SGD_lr_0.1_batch_full-2"
    assert folder_name("../..", taken) == "run"
    assert folder_name("Mini-batch GD (32)", taken) == "Mini-batch_GD_32"
