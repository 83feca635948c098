"""Plugins on the command line: the folder's and `--plugin FILE.py`'s, loaded before the
parser is built (its choices and help read the catalog), and `main.py check-plugin`.

A plugin that fails is one line on stderr and is skipped; `check-plugin FILE.py` prints its
whole traceback. The top-level `--help` and `help` load none, so they stay instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trainers import catalog, plugins
from trainers.cli.exits import EXIT_FAILED, EXIT_OK


def plugin_arguments(argv: list[str]) -> list[str]:
    """The files `--plugin FILE` / `--plugin=FILE` name in `argv`, in order."""
    found = []
    for i, word in enumerate(argv):
        if word == "--plugin" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif word.startswith("--plugin="):
            found.append(word.partition("=")[2])
    return found


def loads_plugins(argv: list[str]) -> bool:
    """Whether the command line is a command (plugins loaded) or the top-level help (none)."""
    return bool(argv) and argv[0] not in ("-h", "--help") and argv != ["help"]


def load_for_command(argv: list[str], err=None) -> list[plugins.Plugin]:
    """The plugin folder's and `--plugin`'s plugins (check-plugin's files too), each failure
    one line on `err` (check-plugin prints the tracebacks itself)."""
    if not loads_plugins(argv):
        return []
    extra = plugin_arguments(argv)
    checking = argv[0] == "check-plugin"
    if checking:
        extra += [w for w in argv[1:] if w.endswith(".py") and w not in extra]
    loaded = plugins.load_plugins(extra)
    if not checking:
        for plugin in loaded:
            if not plugin.ok:
                print(
                    f"{plugin.line()} (`main.py check-plugin {plugin.path}` shows the traceback)",
                    file=err or sys.stderr,
                )
    return loaded


def origins() -> dict[str, str]:
    """catalog name -> "plugin FILE (where from)" for every entry a plugin registered."""
    return {
        name: f"plugin {p.path.name}, {p.source}: {p.path}"
        for p in plugins.LOADED
        if p.ok
        for name in p.classes
    }


def cmd_check_plugin(args, out=None) -> int:
    """`main.py check-plugin FILE.py ... [--name NAME]`: every check on every class; exit 0
    only when all pass."""
    from trainers import conformance

    w = (out or sys.stdout).write
    files = [Path(f) for f in args.files]
    if not files and not args.name:
        w("check-plugin: give a plugin file (FILE.py) or --name NAME of the catalog\n")
        return EXIT_FAILED
    all_passed = True
    wanted: list[tuple[str, str, list[str]]] = []  # (kind, catalog name, plugin paths)
    for plugin in plugins.load_plugins(files, use_folder=False):
        if not plugin.ok:
            all_passed = False
            w(f"{plugin.path}: not loaded\n{plugin.error}\n")
            continue
        w(f"{plugin.path}: {', '.join(plugin.classes.values())}\n")
        wanted += [(_kind(name), name, [str(plugin.path)]) for name in plugin.classes]
    for name in args.name:
        source = plugins.origin(name)
        paths = [str(source.path)] if source else []
        try:
            wanted.append((_kind(name), name, paths))
        except ValueError as exc:
            all_passed = False
            w(f"{exc}\n")
    for kind, name, paths in wanted:
        check = conformance.check_optimizer if kind == "optimizer" else conformance.check_loss
        checks = check(name, paths)
        w(conformance.table(f"\n{kind} {name}", checks) + "\n")
        all_passed = all_passed and all(c.passed for c in checks)
    w("\nevery check passed\n" if all_passed else "\nsome checks FAILED\n")
    return EXIT_OK if all_passed else EXIT_FAILED


def _kind(name: str) -> str:
    for kind, lookup in (("optimizer", catalog.optimizer_info), ("loss", catalog.loss_info)):
        try:
            lookup(name)  # ours, a plugin's, or (an optimizer) a Keras built-in
            return kind
        except ValueError:
            continue
    known = ", ".join(e.name for e in (*catalog.comparable_optimizers(), *catalog.LOSSES))
    raise ValueError(f"check-plugin: no optimizer or loss {name!r}. Known: {known}.")
