"""Made-up runs for tests that need a run's types without training one."""

from __future__ import annotations

import numpy as np

from trainers.events import RunInfo, RunResult


def run_info(config, **changes) -> RunInfo:
    """What a small binary run of `config` built (10 samples, 2 held out), with `changes`."""
    made = dict(
        config=config,
        dataset_summary="",
        task="binary",
        loss="binary_crossentropy",
        model_summary="",
        n_train=10,
        n_val=2,
        batch_size=5,
        steps_per_epoch=2,
        steps_per_execution=1,
        total_steps=6,
        metric="accuracy",
        device="CPU",
    )
    made.update(changes)
    return RunInfo(**made)


def completed_run(info: RunInfo, history: dict, losses, steps=None, **changes) -> RunResult:
    """A completed run of `info`: its epoch `history`, its step `losses` (at steps 1, 2, ...
    unless `steps` are given), one epoch time per epoch, and `changes`."""
    losses = np.asarray(losses, dtype=np.float64)
    steps = np.arange(1, len(losses) + 1) if steps is None else np.asarray(steps)
    epochs = len(history["loss"])
    made = dict(
        config=info.config,
        status="completed",
        info=info,
        step_numbers=steps,
        step_losses=losses,
        history=history,
        epochs_done=epochs,
        epoch_times=[0.5, 1.25, 2.0][:epochs],
    )
    made.update(changes)
    return RunResult(**made)
