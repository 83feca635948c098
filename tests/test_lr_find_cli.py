"""`main.py lr-find` end to end: the curve as CSV, the settings and suggestions as JSON, the
picture as PNG and SVG, what it prints, and bad input refused with a message."""

import csv
import json

import numpy as np
import pytest
from PySide6.QtGui import QImage

import main
from gui.exports import PNG_SCALE
from gui.report_figures import SIZE


def test_lr_find_writes_the_curve_its_suggestions_and_its_picture(tmp_path, capsys):
    out = tmp_path / "lr"
    status = main.main(
        [
            "lr-find",
            "--dataset",
            "moons",
            "--optimizer",
            "adam",
            "--batch-size",
            "32",
            "--steps",
            "80",
            "--seeds",
            "2",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert {p.name for p in out.iterdir()} == {
        "range_test.csv",
        "range_test.json",
        "range_test.png",
        "range_test.svg",
    }
    summary = json.loads((out / "range_test.json").read_text())
    assert summary["seeds"] == [0, 1]
    with open(out / "range_test.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == max(summary["steps_run"].values())
    rates = np.array([float(r["learning_rate"]) for r in rows])
    np.testing.assert_allclose(rates, 1e-7 * (10 / 1e-7) ** (np.arange(len(rows)) / 79))
    # The median column is the median of the seeds' smoothed columns, where both ran.
    both = [r for r in rows if r["smoothed_seed0"] and r["smoothed_seed1"]]
    for row in both[::10]:
        pair = [float(row["smoothed_seed0"]), float(row["smoothed_seed1"])]
        assert float(row["smoothed_median"]) == pytest.approx(np.median(pair))
    # What it prints is what the JSON holds.
    for rule, rate in summary["suggestions"].items():
        assert rate is not None
        assert f"{rule:<11} {rate:>9.3g}" in printed
    image = QImage(str(out / "range_test.png"))
    assert (image.width(), image.height()) == (SIZE[0] * PNG_SCALE, SIZE[1] * PNG_SCALE)
    assert "Learning-rate range test: adam on moons" in (out / "range_test.svg").read_text()


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--min-rate", "0"], "must be positive"),
        (["--min-rate", "1", "--max-rate", "0.1"], "must be above its lowest"),
        (["--steps", "3"], "20 to 2000 steps"),
        (["--learning-rate", "0.1"], "leave it out"),
        (["--seeds", "0"], "--seeds takes 1 to 16"),
    ],
)
def test_bad_flags_are_refused_before_anything_trains(tmp_path, capsys, flags, words):
    out = tmp_path / "never"
    status = main.main(["lr-find", "--dataset", "moons", *flags, "--out", str(out)])
    assert status == 2
    assert words in capsys.readouterr().err
    assert not out.exists()
