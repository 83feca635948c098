"""The words `main.py` answers to, in one place: the sub-commands, the window's options, and
what the entry point does with any other first word.

Standard library only: `main.py` reads this before it decides whether to open the window, so a
typo, `--version` or `help` is answered in a fraction of a second, with neither TensorFlow nor
Qt loaded. A sub-command added later (benchmark, lr-find, ...) is one entry in `COMMANDS`; the
parser builds its help from the same table.
"""

from __future__ import annotations

import difflib
import os
import platform
import sys
from importlib import metadata

COMMANDS: dict[str, str] = {
    "list": "list datasets, optimizers and losses",
    "train": "train one run headless",
    "compare": "train several runs from the same initial weights and compare them",
    "benchmark": "compare optimizers fairly: each tuned with the same budget, rerun over seeds",
    "lr-find": "learning-rate range test: the loss as the rate grows, and suggested rates",
    "landscape": "the loss along lines and planes of the network, and the runs' paths on it",
    "runs": "list recorded runs; show, rename, tag or delete one",
    "check-plugin": "run a plugin's optimizers and losses through the checks ours pass",
    "help": "print this help, or a command's (`help train`)",
}
"""Every sub-command and its one-line help, in the order `--help` lists them."""

OPTIONS = {
    "-h": "help",
    "--help": "help",
    "--version": "print Descent's version and those it runs on, then exit",
    "--self-test": "check the install (or the packaged app) and exit: 0 when every check passed",
    "--plugin": "FILE.py: open the window with this plugin loaded too, besides the plugin "
    "folder's (repeatable)",
}
"""Descent's own options besides the sub-commands."""

QT_OPTIONS = frozenset(
    {
        "-platform",
        "-platformpluginpath",
        "-platformtheme",
        "-plugin",
        "-qmljsdebugger",
        "-qwindowgeometry",
        "-qwindowicon",
        "-qwindowtitle",
        "-reverse",
        "-session",
        "-style",
        "-stylesheet",
        "-widgetcount",
        "-display",
        "-geometry",
        "-name",
        "-title",
        "-visual",
        "-ncols",
        "-cmap",
        "-nograb",
        "-dograb",
        "-sync",
    }
)
"""The options Qt's QApplication takes from the command line: the window's own options."""

WINDOW, COMMAND, SELF_TEST, VERSION, REFUSED, NO_DISPLAY = (
    "window",
    "command",
    "self-test",
    "version",
    "refused",
    "no display",
)


def is_window_option(word: str) -> bool:
    """A Qt option, written `-style fusion`, `-style=fusion` or with two dashes."""
    name = word.split("=", 1)[0]
    if name.startswith("--"):
        name = name[1:]
    return name in QT_OPTIONS


def closest(word: str) -> str | None:
    """The sub-command or option `word` was most likely meant to be, if any is close."""
    known = [*COMMANDS, *(option for option in OPTIONS if option.startswith("--"))]
    found = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_word(word: str) -> str:
    """The message for a first word `main.py` does not know (one paragraph)."""
    kind = "option" if word.startswith("-") else "command"
    guess = closest(word)
    hint = f" Did you mean {guess}?" if guess else ""
    return (
        f"descent: unknown {kind} {word!r}.{hint} Commands: {', '.join(COMMANDS)}; "
        "with none, the window opens. `main.py help` lists them with their options."
    )


def has_display(environ=None, argv=()) -> bool:
    """Whether the window can be shown: always off Linux; on Linux, a display server
    (DISPLAY or WAYLAND_DISPLAY), or a Qt platform asked for (QT_QPA_PLATFORM, -platform)."""
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return True
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY") or environ.get("QT_QPA_PLATFORM"):
        return True
    return any(word.split("=", 1)[0].lstrip("-") == "platform" for word in argv)


NO_DISPLAY_MESSAGE = (
    "descent: the window needs a display, and none was found (DISPLAY and WAYLAND_DISPLAY are "
    "not set). Headless, use `main.py list`, `train`, `compare` or `runs` (`main.py help`)."
)


def dispatch(argv: list[str], environ=None) -> tuple[str, str]:
    """What `main.py argv` should do: (WINDOW | COMMAND | SELF_TEST | VERSION | REFUSED |
    NO_DISPLAY, the message to print for the last two)."""
    first = argv[0] if argv else ""
    if first in COMMANDS or first in ("-h", "--help"):
        return COMMAND, ""
    if first == "--version":
        return VERSION, ""
    if first == "--self-test":
        return SELF_TEST, ""
    if first and not is_window_option(first):
        return REFUSED, unknown_word(first)
    if not has_display(environ, argv):
        return NO_DISPLAY, NO_DISPLAY_MESSAGE
    return WINDOW, ""


def descent_version() -> str:
    """Descent's version, as installed (or as the source says, when it is not installed)."""
    from trainers import __version__

    return __version__


def _installed(*names: str) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def version_lines() -> list[str]:
    """Descent's version and those of what it runs on, read without importing any of them."""
    return [
        f"Descent {descent_version()}",
        f"TensorFlow {_installed('tensorflow', 'tensorflow-cpu')} · Keras {_installed('keras')}"
        f" · PySide6 {_installed('PySide6-Essentials', 'PySide6')}"
        f" · Python {platform.python_version()}",
    ]


__all__ = [
    "COMMANDS",
    "OPTIONS",
    "QT_OPTIONS",
    "closest",
    "dispatch",
    "has_display",
    "unknown_word",
    "version_lines",
]
