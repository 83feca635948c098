"""Stop, pause and resume: one control object for every kind of job.

The window, a signal handler or a test calls `stop()`, `pause()` and `resume()` from any
thread; the engine calls `hold()` between chunks of steps (and between the members of a
comparison), where it waits out a pause and learns whether to stop. A single run and a whole
comparison are controlled alike: the comparison hands its one control to each member.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

POLL_S = 0.1  # how often a paused job looks again (a stop also ends the wait at once)


class JobControl:
    """Stop, pause and resume requests for one job, safe to call from any thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()

    def stop(self) -> None:
        """Stop at the end of the chunk in progress (this also ends a pause)."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        """Hold the job at the end of the chunk in progress until `resume()` or `stop()`."""
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def hold(
        self,
        on_pause: Callable[[], None] | None = None,
        on_resume: Callable[[], None] | None = None,
    ) -> bool:
        """Called by the engine between chunks: while paused, call `on_pause()` once and wait
        until resumed or stopped (then `on_resume()` if it resumed). True if a stop was asked."""
        if not self._running.is_set():
            if on_pause is not None:
                on_pause()
            while not self._running.wait(POLL_S):
                pass
            if on_resume is not None and not self._stop.is_set():
                on_resume()
        return self._stop.is_set()


__all__ = ["JobControl"]
