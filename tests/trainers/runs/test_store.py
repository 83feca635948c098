"""The run library's file: a killed process, two writers at once, many openers, editing,
filters and errors."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.trainers.runs.support import ROOT, child_env, small_config
from trainers.config import RunConfig
from trainers.runs import LIBRARY_FILE, RunLibrary, RunLibraryError, RunRecorder, default_runs_dir


def test_tests_never_touch_the_user_library():
    assert os.environ.get("DESCENT_RUNS_DIR")
    assert default_runs_dir() == Path(os.environ["DESCENT_RUNS_DIR"])


# ------------------------------------------------------------------ a process killed mid-run
def test_a_cli_run_killed_mid_run_is_found_interrupted_with_its_curves(tmp_path):
    runs_dir = tmp_path / "library"
    command = [
        sys.executable,
        "main.py",
        *"train --dataset moons --epochs 100000 --batch-size 4 --quiet --runs-dir".split(),
        str(runs_dir),
    ]
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        env=child_env(tmp_path / "elsewhere"),  # --runs-dir wins over the variable
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        record = None
        while time.monotonic() < deadline and child.poll() is None:
            if (runs_dir / LIBRARY_FILE).exists():
                with RunLibrary(runs_dir) as library:
                    runs = library.list_runs()
                    if runs and runs[0].epochs_done >= 2:
                        record = runs[0]
                        # Alive elsewhere: neither marked interrupted nor deletable.
                        assert record.status == "running"
                        with pytest.raises(RunLibraryError, match="still training"):
                            library.delete(record.id)
                        break
            time.sleep(0.2)
        assert record is not None, child.stderr.read().decode() if child.poll() else "too slow"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(30)
        child.stderr.close()
    assert not (tmp_path / "elsewhere").exists()

    with RunLibrary(runs_dir) as library:
        after = library.get(record.id)
        curves = library.curves(record.id)
    assert after.status == "interrupted"
    assert "ended before the run did" in after.message
    assert after.duration_s is not None and after.duration_s > 0
    # Everything committed before the kill is there, step after step without a gap.
    assert after.steps_done >= record.steps_done
    assert len(curves.steps) == after.steps_done
    np.testing.assert_array_equal(curves.steps, np.arange(1, after.steps_done + 1))
    assert np.isfinite(curves.losses).all()
    assert curves.epochs[0] == 0 and curves.epochs[-1] == after.epochs_done >= 2
    assert after.epochs == 100000 and after.finished_at is None


# ------------------------------------------------------------------- two writers at once
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np
    from trainers.config import RunConfig
    from trainers.runs import RunLibrary, RunRecorder
    from trainers.events import RunResult

    name, go, runs, chunks = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    library = RunLibrary()
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    for r in range(runs):
        config = RunConfig(dataset=f"{name}-data", optimizer="sgd", epochs=chunks)
        recorder = RunRecorder(library, name=f"{name} {r}", flush_interval_s=0.0)
        recorder.begin(config)
        for c in range(chunks):
            steps = np.arange(c * 10 + 1, c * 10 + 11)
            recorder.steps(steps, steps * 0.5 + r)
            recorder.epoch(c + 1, float(c), {"loss": float(r + c)})
        recorder.finish(config, RunResult(config=config, status="completed", epochs_done=chunks))
        if recorder.error:
            print("ERROR", recorder.error, flush=True)
            sys.exit(3)
    print("done", flush=True)
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    runs_dir, go = tmp_path / "library", tmp_path / "go"
    runs, chunks = 15, 25
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(go), str(runs), str(chunks)],
            cwd=ROOT,
            env=child_env(runs_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    try:
        for writer in writers:  # both have opened the library: start them together
            assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        go.touch()
        with RunLibrary(runs_dir) as reader:  # and read while they write
            while any(writer.poll() is None for writer in writers):
                reader.list_runs()
        outputs = [writer.communicate(timeout=120) for writer in writers]
    finally:
        for writer in writers:
            writer.kill()
            writer.wait(30)
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, out + err
        assert "locked" not in out + err
    with RunLibrary(runs_dir) as library:
        records = library.list_runs()
        assert len(records) == 2 * runs
        for name in ("alpha", "beta"):
            mine = library.list_runs(dataset=f"{name}-data")
            assert sorted(r.name for r in mine) == sorted(f"{name} {r}" for r in range(runs))
            for record in mine:
                r = int(record.name.split()[1])
                assert record.status == "completed" and record.epochs_done == chunks
                curves = library.curves(record.id)
                np.testing.assert_array_equal(curves.steps, np.arange(1, 10 * chunks + 1))
                np.testing.assert_array_equal(curves.losses, curves.steps * 0.5 + r)
                assert curves.history["loss"].tolist() == [r + c for c in range(chunks)]


def test_many_connections_opening_a_new_library_at_once_all_succeed(tmp_path):
    """Opening a fresh file switches it to WAL; two openers racing for that used to get
    "database is locked" at once. Threads have their own connections, as processes do."""
    for trial in range(20):
        folder = tmp_path / str(trial)
        barrier = threading.Barrier(6)
        errors = []

        def open_it(folder=folder, barrier=barrier, errors=errors):
            barrier.wait()
            try:
                RunLibrary(folder).close()
            except RunLibraryError as exc:
                errors.append(str(exc))

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with RunLibrary(folder) as library:
            assert library._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# ------------------------------------------------------------------------ editing, errors
def add_fake_run(library, dataset="moons", optimizer="adam", name=None, loss=1.0):
    config = RunConfig(dataset=dataset, optimizer=optimizer, epochs=1)
    run_id = library.start_run(config, name=name)
    library.append(run_id, np.arange(1, 4), np.array([3.0, np.nan, -np.inf]))
    library.append(run_id, epochs=[(1, 0.5, {"loss": loss, "val_loss": loss * 2})])
    library.finish_run(run_id, None, status="completed")
    return run_id


def test_rename_tag_filter_and_delete(tmp_path):
    library = RunLibrary(tmp_path)
    a = add_fake_run(library, "moons", "adam", "first", loss=0.3)
    b = add_fake_run(library, "moons", "sgd", "second", loss=0.1)
    c = add_fake_run(library, "circles", "adam", "third", loss=0.2)
    assert [r.id for r in library.list_runs()] == [c, b, a]  # newest first
    assert [r.id for r in library.list_runs(order="loss", descending=False)] == [b, c, a]
    assert {r.id for r in library.list_runs(dataset="moons")} == {a, b}
    assert {r.id for r in library.list_runs(optimizer="adam")} == {a, c}
    assert library.values("dataset") == ["circles", "moons"]

    library.rename(a, "  my   best run ")
    assert library.get(a).name == "my best run"
    with pytest.raises(RunLibraryError, match="cannot be empty"):
        library.rename(a, "   ")
    assert library.add_tags(a, ["keep", "paper"]) == ["keep", "paper"]
    assert library.add_tags(b, ["keep"]) == ["keep"]
    assert library.remove_tags(a, ["paper"]) == ["keep"]
    with pytest.raises(RunLibraryError, match="comma"):
        library.set_tags(a, ["a,b"])
    assert {r.id for r in library.list_runs(tag="keep")} == {a, b}
    assert [r.id for r in library.list_runs(search="BEST")] == [a]
    assert {r.id for r in library.list_runs(search="kee")} == {a, b}  # part of a tag
    assert library.list_runs(search="100%") == []  # LIKE wildcards are taken literally

    curves = library.curves(b)
    assert curves.losses[0] == 3.0 and np.isnan(curves.losses[1]) and curves.losses[2] == -np.inf
    library.delete(b)
    with pytest.raises(RunLibraryError, match="no run"):
        library.curves(b)
    raw = sqlite3.connect(tmp_path / LIBRARY_FILE)
    leftovers = [
        raw.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", (b,)).fetchone()[0]
        for table in ("step_chunks", "epochs", "tags")
    ]
    raw.close()
    assert leftovers == [0, 0, 0]  # the curves and tags went with the run
    with pytest.raises(RunLibraryError, match="sort runs by"):
        library.list_runs(order="colour")


def test_a_live_run_of_this_process_stays_running(tmp_path):
    library = RunLibrary(tmp_path)
    recorder = RunRecorder(library)
    recorder.begin(small_config())
    with RunLibrary(tmp_path) as again:
        assert again.get(recorder.run_id).status == "running"
        with pytest.raises(RunLibraryError, match="stop it first"):
            again.delete(recorder.run_id)
    recorder.finish(small_config(), None)
    assert library.get(recorder.run_id).status == "failed"
    library.delete(recorder.run_id)
    assert library.list_runs() == []


def test_a_library_that_cannot_be_used_says_why(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.raises(RunLibraryError, match="Cannot create the run library's folder"):
        RunLibrary(blocker)
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / LIBRARY_FILE).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(RunLibraryError, match="not a run library") as info:
        RunLibrary(garbage)
    assert str(garbage / LIBRARY_FILE) in str(info.value)
    newer = tmp_path / "newer"
    newer.mkdir()
    raw = sqlite3.connect(newer / LIBRARY_FILE)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(RunLibraryError, match="newer Descent"):
        RunLibrary(newer)
