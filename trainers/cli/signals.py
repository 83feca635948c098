"""Ctrl+C (SIGINT) and SIGTERM during a command's training end it as Stop does.

The first signal asks the job's `JobControl` to stop: the run ends at the end of the chunk of
steps it is in, and the command writes everything as for any stopped run (its --out folder, its
library row, `stopped`), then exits 128 + the signal's number (130 for Ctrl+C, 143 for
SIGTERM) after one line saying so, no traceback. A second Ctrl+C ends the process at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

from trainers.control import JobControl

SIGNALS = (signal.SIGINT, signal.SIGTERM)
NAMES = {signal.SIGINT: "Ctrl+C", signal.SIGTERM: "SIGTERM"}


class StopOnSignals(contextlib.AbstractContextManager):
    """Within it, SIGINT and SIGTERM stop `control`'s job; `code` is 128 + the first signal's
    number once one came, else None. Outside the main thread it does nothing."""

    def __init__(self, control: JobControl):
        self.control = control
        self.signal: int | None = None
        self._previous: dict = {}

    @property
    def code(self) -> int | None:
        return None if self.signal is None else 128 + int(self.signal)

    def _handle(self, signum, frame) -> None:
        if self.signal is not None:
            if signum == signal.SIGINT:  # a second Ctrl+C: at once
                sys.stderr.write("\ndescent: stopped at once.\n")
                sys.stderr.flush()
                os._exit(128 + int(signum))
            return
        self.signal = signum
        sys.stderr.write(
            f"\ndescent: {NAMES.get(signum, signum)}: stopping at the end of this chunk of "
            "steps and saving what ran (Ctrl+C again to end at once).\n"
        )
        sys.stderr.flush()
        self.control.stop()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}


def exit_code(stopping: StopOnSignals, code: int) -> int:
    """`code`, or 128 + the signal's number when a signal stopped the job (one line says so)."""
    if stopping.code is None:
        return code
    print(
        f"descent: ended by {NAMES.get(stopping.signal, stopping.signal)}; what ran is saved.",
        file=sys.stderr,
    )
    return stopping.code
