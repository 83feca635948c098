"""Messages kept short where a person reads them, whole in a log file.

A message built from the user's input can be as long as the input: a config of a million
unknown keys names every one, a hostile model file's error quotes the file. Where a message is
shown (the command line's `descent: ...` line, the window's banner) it is cut to `MAX_SHOWN`
characters with the count of what was left out, and the whole message (up to `LOG_CAP`
characters of it) goes to `messages.log` in the user's log folder (platformdirs), which the
short one names. Plain Python: no TensorFlow, no Qt.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

MAX_SHOWN = 400
"""The most characters of a message printed or shown."""
LOG_CAP = 1_000_000
"""The most characters of one message kept in the log (a 59 MB message is not kept whole)."""
LOG_ROTATE = 5_000_000
"""Past this size the log moves to messages.log.1 (one older file kept)."""
LOG_DIR_ENV = "DESCENT_LOG_DIR"


def log_path() -> Path:
    """messages.log in $DESCENT_LOG_DIR, else the user's log folder for "descent"."""
    folder = os.environ.get(LOG_DIR_ENV, "").strip()
    if not folder:
        import platformdirs

        folder = platformdirs.user_log_dir("descent", appauthor=False)
    return Path(folder) / "messages.log"


def shortened(text: str, limit: int = MAX_SHOWN) -> tuple[str, bool]:
    """`text` cut to about `limit` characters with how much was left out; whether it was cut."""
    text = str(text)
    if len(text) <= limit:
        return text, False
    kept = text[: max(limit - 60, 20)].rstrip()
    return f"{kept} ... ({len(text) - len(kept):,} more characters)", True


def keep_in_log(text: str) -> Path | None:
    """Append `text` (at most LOG_CAP characters of it) to the log; its path, or None when
    the log cannot be written (the short message then stands alone)."""
    path = log_path()
    text = str(text)
    if len(text) > LOG_CAP:
        text = text[:LOG_CAP] + f"\n... ({len(text) - LOG_CAP:,} more characters not kept)"
    stamp = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_ROTATE:
            path.replace(path.with_name(path.name + ".1"))
        with path.open("a", encoding="utf-8", errors="replace") as handle:
            handle.write(f"{stamp}\n{text}\n\n")
    except OSError:
        return None
    return path


def for_user(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` as a person should read it: whole when short; else cut, kept whole in the log,
    and the short one names the log."""
    short, cut = shortened(text, limit)
    if not cut:
        return short
    path = keep_in_log(text)
    return f"{short} The whole message is in {path}." if path else short
