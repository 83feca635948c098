"""`main.py` answers every first word: a sub-command, the window (with Qt's own options),
`--version`, `help`; any other word is refused at once with the closest match, and without a
display the window says so in a line. Each answer is checked in a fresh interpreter, where
`sys.modules` shows whether TensorFlow or Qt was loaded to give it."""

import json
import os

import pytest

from tests.processes import run_python
from trainers.cli import commands

PROBE = """
import json, sys
import main
code = main.main(json.loads(sys.argv[1]))
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras", "PySide6"})
print(json.dumps({"code": code, "heavy": heavy}))
"""


def run(argv, *, display: bool = True) -> tuple[dict, str, str]:
    """`main.main(argv)` in a fresh interpreter: (code and heavy modules, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if not display:
        env.pop("QT_QPA_PLATFORM", None)
    done = run_python(PROBE, json.dumps(argv), env=env)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, done.stderr
    return json.loads(lines[-1]), "\n".join(lines[:-1]), done.stderr


@pytest.mark.parametrize(
    "argv, guess",
    [(["trian", "--dataset", "moons"], "train"), (["comapre"], "compare"), (["rnus"], "runs")],
)
def test_a_typo_is_refused_with_the_closest_command_and_nothing_heavy(argv, guess):
    seen, out, err = run(argv)
    assert seen == {"code": 2, "heavy": []}
    assert f"unknown command {argv[0]!r}" in err and f"Did you mean {guess}?" in err
    for name in commands.COMMANDS:
        assert name in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_an_unknown_option_is_refused_and_a_word_that_is_nothing_gets_no_guess():
    seen, _, err = run(["--verbos"])
    assert seen == {"code": 2, "heavy": []}
    assert "unknown option '--verbos'" in err and "Did you mean --version?" in err
    seen, _, err = run(["xyzzy"])
    assert seen["code"] == 2 and "unknown command 'xyzzy'" in err and "Did you mean" not in err


def test_version_prints_the_versions_without_loading_them():
    from importlib import metadata

    import trainers

    seen, out, _ = run(["--version"])
    assert seen == {"code": 0, "heavy": []}
    first, second = out.splitlines()
    assert first == f"Descent {trainers.__version__}"
    assert f"TensorFlow {metadata.version('tensorflow')}" in second
    assert f"Keras {metadata.version('keras')}" in second
    assert f"PySide6 {metadata.version('PySide6-Essentials')}" in second and "Python 3." in second


def test_help_and_help_command_print_what_help_flags_print():
    for argv, flag in ((["help"], ["--help"]), (["help", "train"], ["train", "--help"])):
        seen, out, _ = run(argv)
        assert seen == {"code": 0, "heavy": []}
        code, flagged, _ = run_flag(flag)
        assert code == 0 and out == flagged and "usage: descent" in out
    seen, _, err = run(["help", "trian"])
    assert seen["code"] == 2 and "Did you mean train?" in err


def run_flag(argv):
    """What `main.py <argv>` prints when argparse exits (as `--help` does)."""
    done = run_python("import main, sys; sys.exit(main.main(sys.argv[1:]))", *argv)
    return done.returncode, done.stdout.strip(), done.stderr


def test_every_command_s_help_has_a_line_of_examples():
    helps = {name: run_flag([name, "--help"])[1] for name in commands.COMMANDS}
    for name, text in helps.items():
        assert "examples: main.py" in text, name


def test_without_a_display_the_window_says_so_in_one_line():
    seen, _, err = run([], display=False)
    assert seen == {"code": 2, "heavy": []}
    assert err.strip() == commands.NO_DISPLAY_MESSAGE
    assert "window needs a display" in err and "main.py list" in err


def test_the_window_and_its_qt_options_still_open_the_window():
    assert commands.dispatch([], {"DISPLAY": ":0"})[0] == commands.WINDOW
    for argv in (["-style", "fusion"], ["-style=fusion"], ["--reverse"], ["-platform", "xcb"]):
        assert commands.dispatch(argv, {"DISPLAY": ":0"})[0] == commands.WINDOW, argv
    # -platform chooses a platform itself: no display server is needed for it to be tried.
    assert commands.dispatch(["-platform", "offscreen"], {})[0] == commands.WINDOW
    assert commands.dispatch([], {"QT_QPA_PLATFORM": "offscreen"})[0] == commands.WINDOW


def test_the_sub_commands_come_from_one_table():
    from trainers.cli.parser import build_parser

    parser = build_parser()
    listed = parser._subparsers._group_actions[0].choices
    assert list(listed) == list(commands.COMMANDS)
    for name, text in commands.COMMANDS.items():
        assert commands.dispatch([name])[0] == commands.COMMAND
        assert " ".join(text.split()) in " ".join(parser.format_help().split())


# ================================================================ system libraries (xcb)
def _plugin_lacks() -> list[str]:
    """What `ldd` says the Qt xcb plugin lacks here: the truth the check is held to."""
    import subprocess
    from pathlib import Path

    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    done = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True)
    return sorted({line.split()[0] for line in done.stdout.splitlines() if "not found" in line})


def test_a_missing_xcb_library_is_named_with_the_package_to_install():
    from gui.system_libraries import missing_libraries_message

    def load(name):
        if name == "libxcb-cursor.so.0":
            raise OSError(f"{name}: cannot open shared object file")

    message = missing_libraries_message({"DISPLAY": ":0"}, "linux", load)
    assert "libxcb-cursor.so.0" in message
    for package in (
        "apt install libxcb-cursor0",
        "dnf install xcb-util-cursor",
        "-S xcb-util-cursor",
    ):
        assert package in message
    assert "\n" not in message and len(message) < 400
    assert missing_libraries_message({"DISPLAY": ":0"}, "linux", lambda name: None) is None


def test_the_library_check_is_only_for_x11():
    from gui.system_libraries import missing_libraries_message

    def fail(name):
        raise OSError(name)

    for env, platform in (
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux"),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"}, "linux"),
        ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "linux"),
        ({"DISPLAY": ":0"}, "darwin"),
    ):
        assert missing_libraries_message(env, platform, fail) is None, env
    assert (
        missing_libraries_message({"DISPLAY": ":0"}, "linux", fail, ["-platform", "offscreen"])
        is None
    )
    assert missing_libraries_message({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", fail)


def test_main_says_which_libraries_the_window_lacks_instead_of_qt_aborting():
    """The real loader on this machine, held to `ldd`: where the xcb plugin lacks libraries,
    main.py names them and exits 2 before Qt aborts; where it lacks none, the check stays
    silent and Qt itself goes on to open the display (:99, where there is none)."""
    from tests.processes import run_main

    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=":99")
    env.pop("WAYLAND_DISPLAY", None)
    done = run_main("", env=env, timeout=120)
    lacking = _plugin_lacks()
    if lacking:
        assert done.returncode == 2, done.stderr
        assert "The window cannot open" in done.stderr
        for name in lacking:
            assert name in done.stderr
        assert "qt.qpa.plugin" not in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    else:
        assert "The window cannot open" not in done.stderr
        assert "could not connect to display" in done.stderr, done.stderr
