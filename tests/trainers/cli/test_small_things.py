"""Small things of the command line: "1 step/epoch", `runs --tag` without `list`, names and
the listing with batch size and learning rate, no TensorFlow C++ log, and the notes on the
learning rate in train's and compare's progress."""

import json
import re

from tests.processes import run_main
from trainers import cli
from trainers.cli.output import steps_per_epoch_text

# A line of TensorFlow's C++ logger: absl's format ("I0000 00:00:17.06  10135 port.cc:153] ...")
# or TensorFlow's older one ("2024-01-02 10:11:12.345: I tensorflow/...").
NATIVE_LOG = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] )",
    re.MULTILINE,
)


def test_one_step_an_epoch_is_said_in_the_singular(tmp_path, capsys):
    assert steps_per_epoch_text(1) == "1 step/epoch"
    assert steps_per_epoch_text(12) == "12 steps/epoch"
    library = str(tmp_path / "library")
    common = ["--dataset", "moons", "--epochs", "1", "--batch-size", "full", "--runs-dir", library]
    assert cli.main(["train", *common, "--no-model"]) == 0
    err = capsys.readouterr().err
    assert "(1 step/epoch)" in err and "steps/epoch" not in err
    compare = ["compare", *common, "--optimizers", "sgd", "--out", str(tmp_path / "cmp")]
    assert cli.main([*compare, "--no-model"]) == 0
    err = capsys.readouterr().err
    assert "(1 step/epoch)" in err and "steps/epoch" not in err


def test_runs_takes_the_listing_flags_without_list_and_names_show_batch_and_rate(tmp_path, capsys):
    library = str(tmp_path / "library")
    for rate, batch in (("0.02", "16"), ("0.5", "full")):
        train = ["train", "--dataset", "moons", "--optimizer", "sgd", "--epochs", "1", "--quiet"]
        flags = ["--learning-rate", rate, "--batch-size", batch, "--runs-dir", library]
        assert cli.main([*train, *flags, "--no-model"]) == 0
    assert cli.main(["runs", "tag", "1", "keep", "--runs-dir", library]) == 0
    capsys.readouterr()

    for listing in (["runs", "--tag", "keep"], ["runs", "list", "--tag", "keep"]):
        assert cli.main([*listing, "--runs-dir", library]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 2 and lines[1].rstrip().endswith("keep"), lines
    assert cli.main(["runs", "--tag", "keep", "list", "--runs-dir", library]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # given before the action: kept
    assert cli.main(["runs", "--tag", "nothing", "--runs-dir", library]) == 0
    assert "match" in capsys.readouterr().out
    assert cli.main(["runs", "--json", "--runs-dir", library]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert cli.main(["runs", "--json", "show", "1", "--runs-dir", library]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == 1

    assert cli.main(["runs", "--sort", "started", "--ascending", "--runs-dir", library]) == 0
    table = capsys.readouterr().out.splitlines()
    header = table[0].split()
    assert header[:7] == ["id", "name", "status", "dataset", "optimizer", "lr", "batch"]
    assert "sgd lr=0.02 · batch 16 · moons" in table[1]
    assert "sgd lr=0.5 · batch full · moons" in table[2]
    # The columns: the rate as given, the batch in samples (all 320 for "full").
    assert table[1].split()[11:13] == ["0.02", "16"]  # after the id, 7 words of name, ...
    assert table[2].split()[11:13] == ["0.5", "320"]


def test_train_from_source_prints_no_tensorflow_log(tmp_path):
    done = run_main(
        "train --dataset moons --epochs 1 --hidden 4 --no-model --runs-dir", tmp_path / "lib"
    )
    assert done.returncode == 0, done.stderr
    assert not NATIVE_LOG.search(done.stderr), done.stderr
    assert "oneDNN" not in done.stderr and "absl::InitializeLog" not in done.stderr
    assert "epoch 1/1" in done.stderr  # our own progress still comes through


def test_the_notes_on_the_learning_rate_are_printed(tmp_path, capsys):
    library = str(tmp_path / "library")
    common = ["--dataset", "moons", "--optimizer", "sgd", "--epochs", "2", "--runs-dir", library]
    assert cli.main(["train", *common, "--learning-rate", "10", "--no-model"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "note:" in line]
    assert len(notes) == 1
    assert notes[0].startswith("note: The loss has risen") and "learning rate 10" in notes[0]

    compare = ["compare", *common, "--learning-rates", "10,0.01", "--out", str(tmp_path / "c")]
    # One after another, the note stands under the run it is about; trained together (the
    # default), the lines of both runs interleave and the note names the rate itself.
    assert cli.main([*compare, "--no-model", "--sequential"]) == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if "note:" in line]
    assert len(notes) == 1 and notes[0].startswith("  note: The loss has risen")
    assert err.index("note:") < err.index("SGD lr=0.01")  # under the run it is about
    assert cli.main([*compare, "--no-model", "--out", str(tmp_path / "d")]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "note:" in line]
    assert len(notes) == 1 and "learning rate 10" in notes[0]


def test_an_id_too_large_or_not_a_run_is_a_message_not_an_overflow(tmp_path, capsys):
    library = str(tmp_path / "library")
    train = ["train", "--dataset", "moons", "--epochs", "1", "--quiet", "--no-model"]
    assert cli.main([*train, "--runs-dir", library]) == 0
    capsys.readouterr()
    for argv in (
        ["runs", "show", "99999999999999999999"],
        ["runs", "rename", "99999999999999999999", "x"],
        ["runs", "tag", "-3", "keep"],
        ["runs", "delete", "1", "0"],
    ):
        assert cli.main([*argv, "--runs-dir", library]) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("descent: There is no run") and "Traceback" not in err, err
        assert len(err) < 300
    assert cli.main(["runs", "show", "1", "--runs-dir", library]) == 0  # not deleted

    from trainers.runs import RunLibrary, RunLibraryError

    with RunLibrary(tmp_path / "library") as opened:
        for bad in (10**20, 2**63, 0, -1, "1", 1.0, True, None):
            try:
                opened.get(bad)
            except RunLibraryError as exc:
                assert "There is no run" in str(exc)
            else:
                raise AssertionError(f"get({bad!r}) returned a run")
        assert opened.get(1).id == 1


def test_run_names_with_terminal_escape_codes_are_printed_escaped(tmp_path, capsys):
    library = str(tmp_path / "library")
    train = ["train", "--dataset", "moons", "--epochs", "1", "--quiet", "--no-model"]
    assert cli.main([*train, "--runs-dir", library]) == 0
    hostile = "clear \x1b[2J\x1b]0;owned\x07 bell\r back"  # (the \r: whitespace, folded)
    assert cli.main(["runs", "rename", "1", hostile, "--runs-dir", library]) == 0
    assert cli.main(["runs", "tag", "1", "t\x1b[31mred", "--runs-dir", library]) == 0
    assert cli.main(["runs", "--runs-dir", library]) == 0
    assert cli.main(["runs", "show", "1", "--runs-dir", library]) == 0
    out = capsys.readouterr().out
    for control in ("\x1b", "\x07", "\r"):
        assert control not in out
    assert "clear \\x1b[2J\\x1b]0;owned\\x07 bell back" in out  # shown, not obeyed
    assert "t\\x1b[31mred" in out
    from trainers.cli.output import printable

    assert printable("Adam à 0.01 — 学习") == "Adam à 0.01 — 学习"  # letters of every script stay


def test_a_huge_message_is_printed_short_and_kept_whole_in_the_log(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DESCENT_LOG_DIR", str(tmp_path / "log"))
    config = {"dataset": "moons", **{f"setting_{i}": 1 for i in range(20_000)}}
    path = tmp_path / "many.json"
    path.write_text(json.dumps(config))
    assert cli.main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("descent: ") and "Unknown setting" in err
    assert len(err) < 600, len(err)
    assert "more characters" in err and str(tmp_path / "log" / "messages.log") in err
    kept = (tmp_path / "log" / "messages.log").read_text()
    assert "setting_19999" in kept and "setting_0" in kept  # the whole of it


def test_the_message_log_keeps_at_most_a_megabyte_of_one_message(tmp_path, monkeypatch):
    from trainers import messages

    monkeypatch.setenv("DESCENT_LOG_DIR", str(tmp_path))
    shown = messages.for_user("x" * 5_000_000)
    assert len(shown) < 600 and "more characters" in shown
    size = messages.log_path().stat().st_size
    assert messages.LOG_CAP < size < messages.LOG_CAP + 1000
    assert messages.for_user("short and sweet") == "short and sweet"


def test_an_out_folder_that_cannot_take_the_run_is_refused_before_training(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    for out, words in ((a_file, "is a file, not a folder"), (a_file / "run", "Not a directory")):
        argv = ["train", "--dataset", "moons", "--epochs", "3", "--out", str(out)]
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert words in err and "epoch 1/3" not in err, err  # nothing trained
    assert a_file.read_text() == "not a folder"  # left as it was
    argv = ["compare", "--dataset", "moons", "--optimizers", "sgd", "--out", str(a_file)]
    assert cli.main(argv) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
