"""Ctrl+C and SIGTERM during `main.py train` and `main.py compare` end the job as Stop does:
the run ends at the end of its chunk, everything is written to --out and to the library as
`stopped`, and the process exits 130 / 143 with one line, no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trainers.runs import LIBRARY_FILE, RunLibrary

ROOT = Path(__file__).resolve().parents[3]


def _start(tmp_path, *argv):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DESCENT_RUNS_DIR": str(tmp_path / "lib")}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_epochs(tmp_path, child, epochs: int = 2) -> None:
    """Until the library shows the (first) run `epochs` epochs in."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and child.poll() is None:
        if (tmp_path / "lib" / LIBRARY_FILE).exists():
            with RunLibrary(tmp_path / "lib") as library:
                runs = library.list_runs()
                if runs and max(r.epochs_done for r in runs) >= epochs:
                    return
        time.sleep(0.2)
    raise AssertionError(child.stderr.read() if child.poll() is not None else "too slow")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_cli_run_saves_it_and_exits_with_its_code(tmp_path, signum, code):
    out = tmp_path / "run"
    child = _start(tmp_path, "train", "--dataset", "moons", "--epochs", "100000",
                   "--batch-size", "4", "--out", str(out))  # fmt: skip
    try:
        _wait_for_epochs(tmp_path, child)
        child.send_signal(signum)
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == code, err[-2000:]
    assert "Traceback" not in err
    assert "stopping at the end of this chunk" in err and "what ran is saved" in err
    saved = json.loads((out / "config.json").read_text())
    assert saved["result"]["status"] == "stopped" and saved["result"]["epochs_done"] >= 2
    assert (out / "steps.csv").exists() and (out / "model.keras").exists()
    with RunLibrary(tmp_path / "lib") as library:
        (record,) = library.list_runs()
    assert record.status == "stopped"


def test_ctrl_c_stops_a_comparison_and_a_second_ends_it_at_once(tmp_path):
    out = tmp_path / "cmp"
    argv = ["compare", "--dataset", "moons", "--optimizers", "sgd,adam", "--epochs", "100000",
            "--batch-size", "4", "--sequential", "--out", str(out)]  # fmt: skip
    child = _start(tmp_path, *argv)
    try:
        _wait_for_epochs(tmp_path, child)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    rows = (out / "summary.csv").read_text().splitlines()
    assert "stopped" in rows[1] and "skipped" in rows[2]

    second = tmp_path / "second"  # a library of its own: wait for this job's run
    second.mkdir()
    again = _start(second, *argv[:-1], str(second / "cmp"))
    try:
        _wait_for_epochs(second, again, epochs=1)
        again.send_signal(signal.SIGINT)
        again.send_signal(signal.SIGINT)
        _, err = again.communicate(timeout=60)
    finally:
        again.kill()
    assert again.returncode == 130 and "Traceback" not in err, err[-2000:]
