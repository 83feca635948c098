"""`main.py benchmark` end to end: the report folder a reader opens without Descent (CSV rows
for every trial, a self-contained HTML page with the figures inline, PNG and SVG files), the
figures drawing exactly the report's numbers, every member in the run library, and bad flags
answered with a message and nothing trained."""

from __future__ import annotations

import csv
import json
import math
import re

import numpy as np
import pytest

import main
from gui.report_figures import figure_widget
from trainers import report as report_module
from trainers.runs import RunLibrary

FLAGS = ["--problems", "moons", "--optimizers", "sgd,adam", "--trials", "3", "--seeds", "2"]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "report"
    runs_dir = tmp_path_factory.mktemp("library")
    code = main.main(
        ["benchmark", *FLAGS, "--epochs", "4", "--out", str(out), "--runs-dir", str(runs_dir)]
    )
    return code, out, runs_dir


def test_the_report_folder_holds_every_trial_the_table_and_the_figures(written, capsys):
    code, out, runs_dir = written
    assert code == 0
    trials = read_csv(out / "trials.csv")
    assert len(trials) == 2 * 3 + 2 * 2  # 3 trials each, then the best of each over 2 seeds
    assert {row["phase"] for row in trials} == {"tune", "seed"}
    tuned = [row for row in trials if row["phase"] == "tune" and row["optimizer"] == "adam"]
    np.testing.assert_allclose(
        sorted(float(row["learning_rate"]) for row in tuned), [1e-5, 10**-2.5, 1.0]
    )
    summary = read_csv(out / "summary.csv")
    assert [row["optimizer"] for row in summary] == ["SGD", "Adam"]
    for row in summary:
        # The median over the seeds is the median of those seeds' rows in trials.csv.
        name = {"SGD": "sgd", "Adam": "adam"}[row["optimizer"]]
        seeded = [
            float(r["final_val_loss"])
            for r in trials
            if r["phase"] == "seed" and r["optimizer"] == name
        ]
        assert float(row["median"]) == pytest.approx(np.median(seeded))
        assert float(row["low"]) <= float(row["median"]) <= float(row["high"])
    spec = json.loads((out / "spec.json").read_text())
    assert spec["seeds"] == [1, 2] and spec["rule"] == "grid"
    for name in ("curves_moons", "sensitivity_moons", "best_of_k_moons", "performance_profile"):
        assert (out / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (out / "plots" / f"{name}.svg").read_bytes()


def test_the_html_page_opens_without_descent_or_the_network(written):
    _, out, _ = written
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 4  # every figure inline
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)  # nothing fetched
    assert "within seed noise" in page or "best" in page
    assert "Adam" in page and "lr=" in page


def test_every_member_is_in_the_run_library(written):
    _, _, runs_dir = written
    with RunLibrary(runs_dir) as library:
        records = library.list_runs()
    assert len(records) == 10
    assert {record.status for record in records} == {"completed"}


def test_each_figure_draws_exactly_its_numbers(written, qtbot):
    from trainers.benchmark import BenchmarkResult, BenchmarkSpec, Trial
    from trainers.summary import SummaryRow
    from trainers.tuning import SUITE

    def row(loss):
        return SummaryRow(
            "x", "sgd", 0.1, "mse", 32, "completed", 3, loss, loss, loss, loss, "accuracy",
            0.9, 0.9, 1.0, 20,
        )  # fmt: skip

    spec = BenchmarkSpec(problems=[SUITE["moons"]], optimizers=["sgd"], trials=2, seeds=3)
    trials = [
        Trial("moons", "sgd", "tune", {"learning_rate": 1e-4}, 0, "a", row(0.6)),
        Trial("moons", "sgd", "tune", {"learning_rate": 10.0}, 0, "b", row(0.3)),
    ]
    curves_by_seed = ([0.5, 0.4, 0.3], [0.6, 0.5, 0.2], [0.7, 0.3, 0.25])
    for seed, curve in zip((1, 2, 3), curves_by_seed, strict=True):
        trials.append(
            Trial(
                "moons",
                "sgd",
                "seed",
                {"learning_rate": 10.0},
                seed,
                "c",
                row(curve[-1]),
                epoch_val_losses=curve,
            )  # fmt: skip
        )
    made = report_module.build(BenchmarkResult(spec, trials))
    curves = next(f for f in made.figures if f.name == "curves_moons")
    widget = figure_widget(curves)
    qtbot.addWidget(widget)
    items = widget.getPlotItem().listDataItems()
    median = next(item for item in items if item.name() == "SGD")
    xs, ys = median.getOriginalDataset()
    np.testing.assert_array_equal(xs, [1, 2, 3])
    np.testing.assert_allclose(ys, [0.6, 0.4, 0.25])  # the median of each epoch's three
    low, high = (item for item in items if item.name() is None)
    assert np.all(low.getOriginalDataset()[1] <= ys) and np.all(ys <= high.getOriginalDataset()[1])
    assert widget.getPlotItem().ctrl.logYCheck.isChecked()
    assert "(at the top of its range)" in made.table[0]["setting"]  # lr 10 is the top for SGD
    sensitivity = next(f for f in made.figures if f.name == "sensitivity_moons")
    dots = figure_widget(sensitivity)
    qtbot.addWidget(dots)
    (item,) = dots.getPlotItem().listDataItems()
    np.testing.assert_allclose(item.getOriginalDataset()[0], [1e-4, 10.0])
    np.testing.assert_allclose(item.getOriginalDataset()[1], [0.6, 0.3])
    assert math.isclose(made.best_of_k[("moons", "sgd")][0], 0.45)  # the mean of one draw


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--optimizer", "adam"], "tunes each optimizer itself"),
        (["--problems", "mnist"], "Unknown problem 'mnist'"),
        (["--space", "adam.beta_1=2:3"], "beta_1"),
        (["--target-loss", "moons=abc"], "PROBLEM=X"),
        (["--trials", "0"], "at least 1"),
        (["--seconds", "-1"], "time budget must be a number of seconds above 0"),
    ],
)
def test_bad_flags_exit_2_with_a_message_and_nothing_written(tmp_path, capsys, flags, words):
    out = tmp_path / "never"
    code = main.main(["benchmark", *flags, "--out", str(out), "--runs-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err
    assert not out.exists()


def test_a_problem_of_ones_own_data_joins_with_its_own_target(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 3)).astype(np.float32)
    np.savez(tmp_path / "mine.npz", x=x, y=(x.sum(axis=1) > 0).astype(np.int64))
    out = tmp_path / "report"
    code = main.main(
        ["benchmark", "--dataset", str(tmp_path / "mine.npz"), "--hidden", "8", "--optimizers",
         "sgd", "--trials", "2", "--seeds", "1", "--epochs", "2", "--target-loss", "mine=0.6",
         "--quiet", "--out", str(out), "--runs-dir", str(tmp_path / "library")]
    )  # fmt: skip
    assert code == 0
    trials = read_csv(out / "trials.csv")
    assert {row["problem"] for row in trials} == {"mine"} and len(trials) == 3
    spec = json.loads((out / "spec.json").read_text())
    (problem,) = spec["problems"]
    assert problem["target"] == 0.6 and problem["config"]["hidden_layers"] == [8]
    assert "mine" in capsys.readouterr().out  # the table names it
