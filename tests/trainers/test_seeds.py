"""Runs repeated over seeds: the seeded plan (seeds, one data seed, labels, groups) and each
group's median and spread, checked against numpy on real short runs and on misses."""

from __future__ import annotations

import csv
import dataclasses
import math

import numpy as np
import pytest

from trainers.compare import CompareSession
from trainers.config import RunConfig
from trainers.errors import ConfigError
from trainers.plans import over_seeds, plan
from trainers.summary import (
    SPREAD_FIGURES,
    SummaryRow,
    group_summaries,
    spread,
    write_summary_csv,
)

BASE = RunConfig(dataset="moons", epochs=1, hidden_layers=[8], seed=5)


def test_each_run_is_repeated_with_its_own_seed_on_one_data_seed():
    runs = plan(BASE, optimizers=["sgd", "adam"])
    seeded = over_seeds(runs, 3)
    assert seeded.seeds == 3
    assert [label for label, _ in seeded.runs] == [
        "SGD lr=0.01 · seed 5",
        "SGD lr=0.01 · seed 6",
        "SGD lr=0.01 · seed 7",
        "Adam lr=0.001 · seed 5",
        "Adam lr=0.001 · seed 6",
        "Adam lr=0.001 · seed 7",
    ]
    assert [config.seed for _, config in seeded.runs] == [5, 6, 7, 5, 6, 7]
    assert {config.data_seed_value for _, config in seeded.runs} == {5}
    assert [config.optimizer for _, config in seeded.runs] == ["sgd"] * 3 + ["adam"] * 3
    assert [(g.label, g.members, g.seeds) for g in seeded.groups] == [
        ("SGD lr=0.01", (0, 1, 2), (5, 6, 7)),
        ("Adam lr=0.001", (3, 4, 5), (5, 6, 7)),
    ]
    assert [seeded.group_of(i) for i in range(6)] == [0, 0, 0, 1, 1, 1]
    # The originals are untouched, and each member has its own option tables.
    assert [config.seed for _, config in runs] == [5, 5]
    seeded.runs[0][1].hyperparameters["learning_rate"] = 9.0
    assert seeded.runs[1][1].hyperparameters.get("learning_rate") != 9.0


def test_a_given_data_seed_is_kept_and_one_seed_changes_nothing():
    base = dataclasses.replace(BASE, data_seed=11)
    seeded = over_seeds([("a", base)], 2)
    assert [(c.seed, c.data_seed_value) for _, c in seeded.runs] == [(5, 11), (6, 11)]
    runs = plan(BASE, optimizers=["sgd", "adam"])
    once = over_seeds(runs, 1)
    assert once.runs == runs and all(a[1] is b[1] for a, b in zip(once.runs, runs, strict=True))
    assert [(g.label, g.members) for g in once.groups] == [
        ("SGD lr=0.01", (0,)),
        ("Adam lr=0.001", (1,)),
    ]


@pytest.mark.parametrize("seeds", [0, -1, 101, 2.5, True, "3"])
def test_a_number_of_seeds_out_of_range_is_refused(seeds):
    with pytest.raises(ConfigError, match=r"from 1 to 100\. Received: seeds="):
        over_seeds([("a", BASE)], seeds)


def row(label: str, **values) -> SummaryRow:
    """A completed run's row with the figures given (the others None)."""
    figures = {**dict.fromkeys(SPREAD_FIGURES), "wall_time_s": 1.0, **values}
    return SummaryRow(label, "sgd", 0.01, "mse", 32, "completed", 1, metric="accuracy", **figures)


class Group:
    def __init__(self, label, members, seeds):
        self.label, self.members, self.seeds = label, members, seeds


def test_a_miss_counts_as_worse_than_every_seed_not_dropped():
    # Steps to the target: 10, 20 and a seed that never got there.
    rows = [row("a", step_to_target=10), row("b", step_to_target=20), row("c")]
    (group,) = group_summaries(rows, [Group("g", (0, 1, 2), (0, 1, 2))], target_loss=0.5)
    steps = group.figures["step_to_target"]
    assert (steps.median, steps.min, steps.max, steps.count) == (20, 10, math.inf, 3)
    assert steps.p25 == np.percentile([10, 20, 30], 25)  # between two seeds that got there
    assert steps.p75 == math.inf  # leans on the miss
    assert group.reached == 2 and group.trained == 3
    assert group.median_row().step_to_target == 20
    # Two misses of three: the median seed missed.
    rows[1] = row("b")
    (group,) = group_summaries(rows, [Group("g", (0, 1, 2), (0, 1, 2))], target_loss=0.5)
    assert group.figures["step_to_target"].median == math.inf
    assert group.median_row().step_to_target is None
    # A diverged loss is the worst; a higher accuracy is the better one.
    diverged = spread([0.3, float("nan"), 0.1])
    assert (diverged.median, diverged.min, diverged.max) == (0.3, 0.1, math.inf)
    accuracy = spread([0.9, float("nan"), 0.7], higher_is_better=True)
    assert (accuracy.median, accuracy.min, accuracy.max) == (0.7, -math.inf, 0.9)
    assert spread([]).median is None


def test_group_medians_and_spreads_are_numpys_on_real_runs(tmp_path):
    seeded = over_seeds(plan(BASE, optimizers=["sgd", "adam"]), 3)
    session = CompareSession(seeded.runs, target_loss=0.7, engine="sequential")
    rows = session.run()
    assert [r.status for r in rows] == ["completed"] * 6
    # Different seeds start from different weights: the untrained losses differ.
    initial = [result.history["loss"][0] for _, result in session.results]
    assert len(set(initial[:3])) == 3
    groups = group_summaries(rows, seeded.groups, target_loss=0.7)
    assert [g.label for g in groups] == ["SGD lr=0.01", "Adam lr=0.001"]
    for group, members in zip(groups, ([0, 1, 2], [3, 4, 5]), strict=True):
        assert group.status == "completed" and group.trained == 3
        for name in ("final_loss", "best_loss", "final_val_loss", "best_val_loss",
                     "final_metric", "final_val_metric", "wall_time_s"):  # fmt: skip
            values = np.array([getattr(rows[i], name) for i in members])
            figure = group.figures[name]
            assert figure.count == 3
            assert figure.median == np.median(values), name
            assert (figure.min, figure.max) == (np.min(values), np.max(values)), name
            if name in ("final_metric", "final_val_metric"):  # higher is better: same numbers
                assert {figure.p25, figure.p75} == set(np.percentile(values, [25, 75]))
            else:
                assert [figure.p25, figure.p75] == list(np.percentile(values, [25, 75])), name
        reached = [rows[i].step_to_target for i in members]
        assert group.reached == sum(step is not None for step in reached)
        median = group.median_row()
        assert (
            median.label == group.label and median.final_loss == group.figures["final_loss"].median
        )

    out = tmp_path / "summary.csv"
    write_summary_csv(rows, out, groups)
    with open(out, newline="") as f:
        table = list(csv.DictReader(f))
    assert [(r["row"], r["group"], r["seed"]) for r in table] == [
        ("member", "SGD lr=0.01", "5"),
        ("member", "SGD lr=0.01", "6"),
        ("member", "SGD lr=0.01", "7"),
        ("median", "SGD lr=0.01", ""),
        ("member", "Adam lr=0.001", "5"),
        ("member", "Adam lr=0.001", "6"),
        ("member", "Adam lr=0.001", "7"),
        ("median", "Adam lr=0.001", ""),
    ]
    for part in ("min", "max", "p25", "p75"):
        assert f"final_val_loss_{part}" in table[0]
    sgd = table[3]
    losses = [float(r["final_val_loss"]) for r in table[:3]]
    assert float(sgd["final_val_loss"]) == np.median(losses)
    assert float(sgd["final_val_loss_min"]) == min(losses)
    assert float(sgd["final_val_loss_p75"]) == np.percentile(losses, 75)
    assert sgd["seeds"] == "3" and sgd["reached_target"].endswith("/3")

    # One seed each: the table of today, one row per run.
    write_summary_csv(rows, out, group_summaries(rows, over_seeds(seeded.runs, 1).groups))
    with open(out, newline="") as f:
        header = next(csv.reader(f))
    assert header == [f.name for f in dataclasses.fields(SummaryRow)]
