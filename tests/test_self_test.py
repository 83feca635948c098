"""`python main.py --self-test`, run as a user runs it: a separate process, its report and status.

The packaged app runs the same code (`dist/descent/descent --self-test`, see README); building it
takes minutes and is left to `make package`.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainers import catalog

ROOT = Path(__file__).resolve().parents[1]


def _self_test(env_changes: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    # No QT_QPA_PLATFORM: the self-test must choose offscreen itself. A fresh HOME and
    # XDG_CONFIG_HOME show it leaves the user's settings alone.
    return home, _self_test(
        {
            "QT_QPA_PLATFORM": None,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "DESCENT_RUNS_DIR": None,
        }
    )


def test_self_test_passes_and_prints_one_line_per_check(report):
    _, proc = report
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    checks = [line for line in lines if line.startswith(("ok   ", "FAIL "))]
    names = [line[5:].split(":")[0] for line in checks]
    expected = (
        ["engine loads", "explanations"]
        + [f"dataset {d.name}" for d in catalog.DATASETS if d.kind == "scikit-learn"]
        + [f"optimizer {o.name}" for o in catalog.OPTIMIZERS]
        + [f"loss {loss.name}" for loss in catalog.LOSSES]
        + [
            "XLA compilation (jit_compile)",
            "save and reload .keras",
            "window opens and its engine is ready",
            "application icon",
            "window trains a run",
            "window closes and joins its engine thread",
        ]
    )
    assert names == expected
    assert all(line.startswith("ok   ") for line in checks)
    assert lines[0].startswith("Descent self-test (from source")
    assert lines[-1] == f"self-test passed: {len(expected)} checks"


def test_self_test_lines_say_what_was_checked(report):
    _, proc = report
    by_name = {
        line[5:].split(":")[0]: line.split(": ", 1)[1]
        for line in proc.stdout.splitlines()
        if line.startswith("ok   ")
    }
    assert by_name["optimizer adagrad"].startswith("8 steps of adagrad on moons")
    assert by_name["loss huber"].startswith("8 steps of adam on sine (huber)")
    assert (
        "steps of adam on iris (categorical_crossentropy)"
        in by_name["loss categorical_crossentropy"]
    )
    assert "reloads with Momentum" in by_name["save and reload .keras"]
    assert by_name["window opens and its engine is ready"].startswith("offscreen platform")
    assert "through the worker thread" in by_name["window trains a run"]


def test_self_test_writes_nothing_into_the_users_folders(report):
    home, proc = report
    assert proc.returncode == 0
    left = [p.relative_to(home) for p in home.rglob("*") if p.is_file()]
    # Keras writes its own ~/.keras/keras.json on first import, whoever imports it; Descent's
    # settings (~/.config/Descent) and run library (~/.local/share/descent) must not appear.
    assert [p for p in left if p != Path(".keras/keras.json")] == []


def test_self_test_fails_with_a_clear_line_when_the_engine_cannot_load(tmp_path):
    # A user whose environment picks Keras's JAX backend (not installed here): Keras cannot load,
    # and the report says so in a line instead of ending in a bare traceback.
    proc = _self_test({"KERAS_BACKEND": "jax", "HOME": str(tmp_path)})
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[1] == "FAIL engine loads: ModuleNotFoundError: No module named 'jax'"
    assert lines[-1].startswith("self-test FAILED: the engine could not load")


def test_a_failing_check_is_reported_and_the_others_still_run():
    from trainers.selftest import Check, CheckFailed, run_checks

    def broken():
        raise CheckFailed("the model predicts differently")

    def crashing():
        raise OSError("disk full")

    lines: list[str] = []
    counts = run_checks(
        [
            Check("first", lambda: "fine"),
            Check("second", broken),
            Check("third", crashing),
            Check("fourth", lambda: "also fine"),
        ],
        lines.append,
    )
    assert counts == (2, 2)
    assert [line.split(" (")[0] for line in lines] == [
        "ok   first: fine",
        "FAIL second: the model predicts differently",
        "FAIL third: OSError: disk full",
        "ok   fourth: also fine",
    ]
