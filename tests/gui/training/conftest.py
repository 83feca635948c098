"""The real window on a worker that trains nothing (`tests.gui.replay`), at 1024x700, and
runs made to measure for it: what the window shows, without TensorFlow."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.gui.replay import ReplayWorker, replayed_window
from tests.made import completed_run, run_info
from trainers.events import EpochEnded, Failed, Finished, RunKey, Started, Steps


class ComparingReplay(ReplayWorker):
    """A replay worker that also takes comparisons (and plays none of their events itself)."""

    def request_compare(self, runs, target_loss=None, engine="auto") -> int | None:
        if self.busy:
            return None
        self.job += 1
        self.busy = True
        self.requests.append(("compare", runs))
        self.engines.append(engine)
        return self.job


@pytest.fixture
def replayed(qtbot, settings):
    """The real window at 1024x700 on a `ComparingReplay` worker, engine "loaded"."""
    window = replayed_window(qtbot, settings, ComparingReplay(), size=(1024, 700))
    qtbot.waitExposed(window)
    yield window
    window.close()


def made_run(job, config, *, metric="accuracy", task="binary", validation=True, diverge=False):
    """The events of a 2-epoch run of `config` (5 steps an epoch) reporting `metric`, with a
    validation loss when `validation`; ending diverged at its last step when `diverge`."""
    key = RunKey(job, 0)
    info = run_info(
        config,
        task=task,
        metric=metric,
        n_val=2 if validation else 0,
        steps_per_epoch=5,
        total_steps=10,
        initial_logs={"loss": 1.0, metric: 0.5} | ({"val_loss": 1.1} if validation else {}),
    )
    losses = np.linspace(0.9, 0.3, 10)
    if diverge:
        losses[-1] = np.inf
    events = [Started(key, info)]
    history: dict[str, list[float]] = {}
    for epoch in range(2):
        events.append(Steps(key, np.arange(epoch * 5 + 1, epoch * 5 + 6), losses[epoch * 5 :][:5]))
        logs = {"loss": 0.6 - 0.2 * epoch, metric: 0.6 + 0.1 * epoch}
        if validation:
            logs["val_loss"] = 0.7 - 0.2 * epoch
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        events.append(EpochEnded(key, epoch + 1, logs, 0.1 * (epoch + 1)))
    result = completed_run(info, history, losses, message="Completed 2 epochs", duration_s=1.25)
    if diverge:
        result = dataclasses.replace(result, status="diverged")
        events.append(Failed(key, "The loss became inf at step 10: the run diverged.", result))
    else:
        events.append(Finished(key, result))
    return events


def train_replayed(window, **made):
    """Press Train and play the run the worker was asked for; returns its config."""
    window.start_training()
    kind, config = window.worker.requests[-1]
    assert kind == "run"
    window.worker.play(made_run(window.worker.job, config, **made))
    window.worker.busy = False
    window._on_redraw(everything=True)
    return config
