"""A listener for engine tests: keeps what it hears, and lets a test wait for the first steps
or a pause from another thread."""

from __future__ import annotations

import threading

from trainers.events import Status, Steps


class Heard:
    """Every key heard, the events a subclass keeps (`take`), and two flags to wait on."""

    def __init__(self):
        self.events: list[tuple] = []
        self.keys = set()
        self.first_steps = threading.Event()
        self.paused = threading.Event()

    def __call__(self, event):
        self.keys.add(event.key)
        if isinstance(event, Status) and event.text == "Paused":
            self.paused.set()
        if isinstance(event, Steps):
            self.first_steps.set()
        self.take(event)

    def take(self, event) -> None:
        """Keep what the test needs of `event` in `events`."""

    def kinds(self) -> list[str]:
        return [e[0] for e in self.events if e[0] != "status"]


def run_in_thread(session, key: str = "result"):
    """Start `session.run()` on a thread; its return value lands in the box under `key`."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault(key, session.run()))
    thread.start()
    return thread, box
