"""The engine's events on their way to the UI thread: held, merged, and sent about once a frame.

A fast run reports 20-50 chunks of steps a second, each a `Steps` event (and an
`OptimizerSteps` when the window inspects the optimizer). `EventRelay` holds them and sends
everything that arrived through one call of `send` (the worker's one Qt signal) at most every
`EMIT_INTERVAL_S`, with the steps of each run merged into one event (a sharpness measurement is
held too, and sent as it came: each is a point of its own); events that change what
the window shows at once (a status, a run's start, an epoch's end, a run's end) go out at once,
after what was held, so the order of events is kept. Decision regions are pictures: only the
newest of each run is worth sending, and at most every `BOUNDARY_INTERVAL_S`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from trainers.events import (
    Boundary,
    EpochEnded,
    Event,
    OptimizerSteps,
    PathsMoved,
    RangeSteps,
    RunKey,
    SharpnessMeasured,
    Steps,
)

HELD = (Steps, OptimizerSteps, RangeSteps)
"""The events held and merged: new points of a curve, many a second."""
PASSED = (SharpnessMeasured,)
"""The events held until the next batch but not merged: one point each, up to one a step."""

EMIT_INTERVAL_S = 0.05
BOUNDARY_INTERVAL_S = 0.1  # decision regions: at most ten pictures a second


def merged(events: list[Event]) -> list[Event]:
    """`events` with each run's `Steps` (and `OptimizerSteps`) joined into one event, placed
    where its first one was; of each run's `Boundary` (and each job's `PathsMoved`, which holds
    every path so far) only the newest is kept, in its place."""
    out: list[Event] = []
    parts: dict[tuple[type, RunKey], list[Event]] = {}
    slot: dict[tuple[type, RunKey], int] = {}
    for event in events:
        kind = (type(event), event.key)
        if isinstance(event, HELD):
            if kind not in parts:
                parts[kind] = []
                slot[kind] = len(out)
                out.append(event)
            parts[kind].append(event)
        elif isinstance(event, Boundary | PathsMoved):
            if kind in slot:
                out[slot[kind]] = event
            else:
                slot[kind] = len(out)
                out.append(event)
        else:
            out.append(event)
    for kind, events_of_kind in parts.items():
        if len(events_of_kind) > 1:
            out[slot[kind]] = _join(events_of_kind)
    return out


def _join(events: list[Event]) -> Event:
    first = events[0]
    if isinstance(first, RangeSteps):
        return RangeSteps(
            first.key,
            np.concatenate([e.steps for e in events]),
            np.concatenate([e.rates for e in events]),
            np.concatenate([e.losses for e in events]),
        )
    if isinstance(first, Steps):
        return Steps(
            first.key,
            np.concatenate([e.steps for e in events]),
            np.concatenate([e.losses for e in events]),
        )
    return OptimizerSteps(
        first.key,
        np.concatenate([e.steps for e in events]),
        np.concatenate([e.update_sizes for e in events]),
        np.concatenate([e.rate_steps for e in events]),
        np.concatenate([e.rates for e in events]),
    )


class EventRelay:
    """A listener for the engine thread: holds events and hands them on in batches to `send`.

    `send(events)` receives a non-empty list; the worker passes its Qt signal's `emit`, so a
    batch crosses to the UI thread as one queued signal.
    """

    def __init__(self, send: Callable[[list[Event]], None]) -> None:
        self.send = send
        self.held: list[Event] = []
        self.boundary: Boundary | None = None
        self.last_sent = time.monotonic()
        self.last_boundary = 0.0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Boundary):
            self.boundary = event
            if time.monotonic() - self.last_boundary >= BOUNDARY_INTERVAL_S:
                self.flush(boundary=True)
            return
        self.held.append(event)
        if not isinstance(event, HELD + PASSED):
            # An epoch's end goes out at once but leaves a held picture to its own pace: a run
            # of short epochs would otherwise send a picture per epoch, many a second.
            self.flush(boundary=not isinstance(event, EpochEnded))
        elif time.monotonic() - self.last_sent >= EMIT_INTERVAL_S:
            self.flush()

    def flush(self, *, boundary: bool = True) -> None:
        """Send what is held now (with the newest decision regions, unless `boundary` is
        False)."""
        events = self.held
        if boundary and self.boundary is not None:
            events = [self.boundary, *events]  # the picture belongs to what came before
            self.boundary = None
            self.last_boundary = time.monotonic()
        self.held = []
        self.last_sent = time.monotonic()
        if events:
            self.send(merged(events))
