"""Which process records a run, whether it still runs, and the versions a run is recorded with.

A run's row names the process recording it: pid, host and, on Linux, a token (the process's
start time) that tells it from a later process given the same pid. `RunLibrary.recover` asks
`process_alive` about every run still marked `running` on this host.
"""

from __future__ import annotations

import os
import platform
import sys

import numpy as np


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (Linux); None when unreadable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def process_token(pid: int) -> str | None:
    """Something that tells this process from a later one given the same pid: the start time
    in clock ticks since boot on Linux (from /proc); None where there is no cheap way."""
    fields = _proc_stat(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def process_alive(pid: int, token: str | None) -> bool:
    """Whether the process `pid` that recorded a run (on this host) still runs."""
    if pid <= 0:
        return False
    if sys.platform.startswith("linux"):
        fields = _proc_stat(pid)
        if fields is None:
            return False
        if fields and fields[0] in ("Z", "X"):  # killed, not yet reaped: gone all the same
            return False
        return token is None or (len(fields) > 19 and fields[19] == token)
    if sys.platform == "win32":
        import ctypes

        kernel = ctypes.windll.kernel32
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def versions() -> dict[str, str]:
    """Python, TensorFlow, Keras, NumPy and Descent versions, for a run's record."""
    found = {"python": platform.python_version(), "numpy": np.__version__}
    for name, module in (("tensorflow", "tensorflow"), ("keras", "keras")):
        loaded = sys.modules.get(module)
        found[name] = getattr(loaded, "__version__", None) or _dist_version(name)
    found["descent"] = _dist_version("descent")
    return found


def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"
