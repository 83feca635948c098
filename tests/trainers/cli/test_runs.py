"""`main.py runs`: train and compare runs recorded, then listed, shown, renamed, tagged and
deleted from the command line; a library that cannot open."""

import json
from pathlib import Path

from trainers import cli


def test_cli_records_train_and_compare_and_runs_lists_shows_edits(tmp_path, capsys):
    runs_dir = str(tmp_path / "library")
    common = ["--dataset", "moons", "--epochs", "2", "--hidden", "8", "--quiet"]
    out = tmp_path / "one"
    assert cli.main(["train", *common, "--runs-dir", runs_dir, "--out", str(out)]) == 0
    compare = ["compare", *common, "--optimizers", "sgd,adam", "--runs-dir", runs_dir]
    assert cli.main([*compare, "--out", str(tmp_path / "cmp")]) == 0
    capsys.readouterr()

    assert cli.main(["runs", "--runs-dir", runs_dir, "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 3
    trained = next(r for r in listed if r["kind"] == "train")
    compared = [r for r in listed if r["kind"] == "compare"]
    assert trained["model_path"] == str((out / "model.keras").resolve())
    assert {r["optimizer"] for r in compared} == {"sgd", "adam"}
    assert len({r["group"] for r in compared}) == 1
    for record in listed:
        assert record["status"] == "completed" and Path(record["model_path"]).is_file()

    assert cli.main(["runs", "--runs-dir", runs_dir]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["id", "name", "status"]
    assert len(table) == 4 and all("completed" in line for line in table[1:])

    run = str(trained["id"])
    assert cli.main(["runs", "rename", run, "the", "baseline", "--runs-dir", runs_dir]) == 0
    assert cli.main(["runs", "tag", run, "keep", "draft", "--runs-dir", runs_dir]) == 0
    assert cli.main(["runs", "tag", run, "draft", "--remove", "--runs-dir", runs_dir]) == 0
    capsys.readouterr()
    assert cli.main(["runs", "list", "--tag", "keep", "--runs-dir", runs_dir]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "the baseline" in lines[1] and lines[1].rstrip().endswith("keep")

    assert cli.main(["runs", "show", run, "--runs-dir", runs_dir]) == 0
    shown = capsys.readouterr().out
    assert f"Run {run}: the baseline" in shown
    assert "tensorflow 2.21" in shown and "keras 3." in shown
    epoch_lines = [line.split() for line in shown.splitlines() if line[:7].strip().isdigit()]
    assert [line[0] for line in epoch_lines] == ["0", "1", "2"]

    assert cli.main(["runs", "delete", run, "--runs-dir", runs_dir]) == 0
    assert cli.main(["runs", "show", run, "--runs-dir", runs_dir]) == 2
    assert f"There is no run {run}" in capsys.readouterr().err
    assert cli.main(["runs", "delete", "9999", str(compared[0]["id"]), "--runs-dir", runs_dir]) == 2
    capsys.readouterr()
    assert cli.main(["runs", "list", "--runs-dir", runs_dir]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3  # nothing deleted by the bad id


def test_cli_runs_on_a_bad_folder_exits_2_with_a_message(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["runs", "--runs-dir", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert "Cannot create the run library's folder" in err and "Traceback" not in err


def test_cli_train_still_trains_when_the_library_cannot_open(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    args = ["train", "--dataset", "moons", "--epochs", "1", "--quiet", "--runs-dir", str(blocker)]
    assert cli.main(args) == 0
    captured = capsys.readouterr()
    assert "not recorded" in captured.err and captured.out.startswith("completed")
