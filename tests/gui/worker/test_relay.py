"""The event relay holds a sharpness measurement with the steps and passes each on unmerged,
in the order the engine reported it."""

from __future__ import annotations

import numpy as np

from gui.worker.relay import EventRelay
from trainers.events import EpochEnded, RunKey, SharpnessMeasured, Steps

KEY = RunKey(1, 0)


def test_sharpness_measurements_are_held_then_passed_each_as_it_came():
    sent: list[list] = []
    relay = EventRelay(sent.append)
    relay.last_sent = float("inf")  # no batch falls due by the clock: only an epoch's end sends
    first = Steps(KEY, np.array([1, 2]), np.array([0.5, 0.4]))
    measured = [SharpnessMeasured(KEY, step, 6.0 + step, 6.7, "lambda_max") for step in (0, 2)]
    later = Steps(KEY, np.array([3]), np.array([0.3]))
    for event in (measured[0], first, measured[1], later):
        relay(event)
    assert sent == []  # held, as the steps are
    ended = EpochEnded(KEY, 1, {"loss": 0.3}, 0.1)
    relay(ended)
    (batch,) = sent
    assert batch[0] is measured[0] and batch[2] is measured[1] and batch[3] is ended
    np.testing.assert_array_equal(batch[1].steps, [1, 2, 3])  # the steps merged
