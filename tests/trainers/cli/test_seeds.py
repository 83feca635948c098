"""`main.py compare --seeds N`: a folder per seed, summary.csv with each group's median and
spread, the group table, the engine's line; `--fused` / `--sequential` and bad --seeds."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from trainers import cli


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_seeds_write_a_folder_per_seed_and_group_rows(tmp_path, capsys):
    out = tmp_path / "seeds"
    argv = ["compare", "--dataset", "moons", "--optimizers", "sgd,momentum,adam", "--seeds", "2"]
    argv += ["--epochs", "1", "--seed", "3", "--target-loss", "0.7", "--sequential"]
    argv += ["--out", str(out), "--runs-dir", str(tmp_path / "library")]
    assert cli.main(argv) == 0
    names = ["SGD_lr_0.01", "Momentum_lr_0.01", "Adam_lr_0.001"]
    folders = [f"{name}_seed_{seed}" for name in names for seed in (3, 4)]
    assert {p.name for p in out.iterdir()} == {*folders, "summary.csv", "job.json"}
    configs = [json.loads((out / f / "config.json").read_text())["config"] for f in folders]
    assert [c["seed"] for c in configs] == [3, 4] * 3
    assert {c["data_seed"] for c in configs} == {3}  # one data set, one batch order
    assert (out / folders[0] / "model.keras").exists()

    rows = read_csv(out / "summary.csv")
    assert [(r["row"], r["label"]) for r in rows] == [
        ("member", "SGD lr=0.01 · seed 3"),
        ("member", "SGD lr=0.01 · seed 4"),
        ("median", "SGD lr=0.01"),
        ("member", "Momentum lr=0.01 · seed 3"),
        ("member", "Momentum lr=0.01 · seed 4"),
        ("median", "Momentum lr=0.01"),
        ("member", "Adam lr=0.001 · seed 3"),
        ("member", "Adam lr=0.001 · seed 4"),
        ("median", "Adam lr=0.001"),
    ]
    for start in (0, 3, 6):
        members, median = rows[start : start + 2], rows[start + 2]
        for figure in ("final_loss", "best_val_loss", "final_val_metric"):
            values = [float(m[figure]) for m in members]
            assert float(median[figure]) == pytest.approx(np.median(values), rel=1e-12)
            assert float(median[f"{figure}_min"]) == min(values)
            assert float(median[f"{figure}_max"]) == max(values)
            low, high = np.percentile(values, [25, 75])
            assert float(median[f"{figure}_p25"]) == pytest.approx(low, rel=1e-12)
            assert float(median[f"{figure}_p75"]) == pytest.approx(high, rel=1e-12)
        assert median["seeds"] == "2"
        reached = sum(m["step_to_target"] != "" for m in members)
        assert median["reached_target"] == f"{reached}/2"
        # Each member's history is the one in its folder.
        for member in members:
            folder = out / member["label"].replace(" · seed ", "_seed_").replace(" lr=", "_lr_")
            history = read_csv(folder / "history.csv")
            assert float(member["final_loss"]) == float(history[-1]["loss"])

    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert any(line.startswith("sequential") for line in lines)  # the engine's one line
    assert "median over seeds, min-max" in printed
    group_lines = [line for line in lines if line.startswith(("SGD lr=0.01 ", "Adam lr=0.001 "))]
    assert any(" 2 " in line and "(" in line for line in group_lines)


def test_one_seed_keeps_the_summary_of_today(tmp_path, capsys):
    out = tmp_path / "once"
    argv = ["compare", "--dataset", "moons", "--optimizers", "sgd", "--epochs", "1"]
    assert cli.main([*argv, "--no-model", "--out", str(out)]) == 0
    rows = read_csv(out / "summary.csv")
    assert [r["label"] for r in rows] == ["SGD lr=0.01"] and "row" not in rows[0]
    assert {p.name for p in out.iterdir()} == {"SGD_lr_0.01", "summary.csv", "job.json"}
    assert "median over seeds" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--seeds", "0"], ["--seeds takes a whole number from 1 to 100", "--seeds 0"]),
        (["--seeds", "101"], ["--seeds 101"]),
        (["--fused", "--sequential"], ["not allowed with argument"]),
    ],
)
def test_bad_seeds_or_two_engines_exit_2_with_nothing_trained(tmp_path, capsys, flags, words):
    out = tmp_path / "out"
    argv = ["compare", "--dataset", "moons", "--optimizers", "sgd", "--epochs", "1", *flags]
    try:
        status = cli.main([*argv, "--out", str(out)])
    except SystemExit as exit:  # argparse's own refusal
        status = exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in words:
        assert word in err
    assert not out.exists() or not any(out.iterdir())


def test_the_engine_flags_reach_the_session():
    from trainers.cli.parser import build_parser

    parser = build_parser()
    base = ["compare", "--optimizers", "sgd", "--out", "x"]
    assert parser.parse_args(base).engine == "auto"
    assert parser.parse_args([*base, "--fused"]).engine == "fused"
    assert parser.parse_args([*base, "--sequential"]).engine == "sequential"
    assert parser.parse_args([*base, "--seeds", "8"]).seeds == 8
    assert parser.parse_args(base).seeds == 1


def test_fused_and_sequential_write_the_same_numbers(tmp_path, capsys):
    summaries = {}
    for engine in ("fused", "sequential"):
        out = tmp_path / engine
        argv = ["compare", "--dataset", "moons", "--optimizers", "sgd,momentum,adam"]
        argv += ["--seeds", "2", "--epochs", "2", f"--{engine}", "--out", str(out)]
        argv += ["--runs-dir", str(tmp_path / "library")]
        assert cli.main(argv) == 0
        printed = capsys.readouterr().out.splitlines()
        assert any(line.startswith(f"{engine}:") for line in printed), printed[-5:]
        summaries[engine] = read_csv(out / "summary.csv")
        # The job's record says which engine trained it, why, and which runs it held.
        record = json.loads((out / "job.json").read_text(encoding="utf-8"))
        assert record["engine"] == engine and record["why"] in printed
        assert record["runs"] == [r["label"] for r in summaries[engine] if r["row"] == "member"]
    fused, sequential = summaries["fused"], summaries["sequential"]
    assert [r["label"] for r in fused] == [r["label"] for r in sequential]
    for a, b in zip(fused, sequential, strict=True):
        for figure in ("final_loss", "final_val_loss", "best_val_loss", "final_val_metric"):
            assert float(a[figure]) == pytest.approx(float(b[figure]), rel=1e-5), figure
