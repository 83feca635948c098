"""Running Descent as a user does, in a fresh process: `python main.py ...`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_main(command: str, *args, cwd: Path = ROOT, timeout: float = 300, **options):
    """`python main.py <command words> *args` to the end, its output captured as text.

    `command` is split at spaces (the sub-command and its plain flags); `args` go as they
    are (paths that may hold spaces)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *command.split(), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        **options,
    )


def run_python(code: str, *args, cwd: Path = ROOT, timeout: float = 300, **options):
    """`python -c code *args` in a fresh interpreter at the project root, output as text."""
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        **options,
    )
