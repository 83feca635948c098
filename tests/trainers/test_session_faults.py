"""Faults inside a run, headless: divergence at whichever step it comes, and an error raised
from inside training. Each ends the run with a message and keeps the curves up to that point."""

import numpy as np
import pytest

from trainers import advice
from trainers import session as session_module
from trainers.config import RunConfig
from trainers.events import EpochEnded, Failed, Finished, Steps
from trainers.session import TrainingSession


class Events:
    def __init__(self):
        self.kinds = []
        self.step_count = 0

    def __call__(self, event):
        match event:
            case Steps(steps=steps):
                self.step_count += len(steps)
            case EpochEnded():
                self.kinds.append("epoch")
            case Finished():
                self.kinds.append("finished")
            case Failed():
                self.kinds.append("failed")


# SGD on `diabetes` (MSE, batch 32, 12 steps an epoch) overflows at step 3, 4, 6 or 8 depending on
# the rate; with steps run 12 at a time the bad step falls inside a chunk, not at its end.
@pytest.mark.parametrize("steps_per_execution", [1, "auto"])
@pytest.mark.parametrize("rate", [1e4, 1.5, 1.0])
def test_divergence_is_caught_at_the_first_bad_step_whatever_the_chunking(
    rate, steps_per_execution
):
    listener = Events()
    config = RunConfig(
        dataset="diabetes",
        optimizer="sgd",
        loss="mse",
        hyperparameters={"learning_rate": rate},
        epochs=30,
        batch_size=32,
        steps_per_execution=steps_per_execution,
    )
    result = TrainingSession(config, listener).run()

    assert result.status == "diverged"
    losses = result.step_losses
    first_bad = int(np.flatnonzero(~np.isfinite(losses))[0])
    assert np.isfinite(losses[:first_bad]).all()
    step = int(result.step_numbers[first_bad])
    assert f"at step {step} (epoch 1)" in result.message
    span = advice.smoothing_span(result.info.steps_per_epoch)
    cut = advice.rate_after_divergence(result.step_numbers, result.step_losses, rate, span=span)
    assert f"Try a rate of {cut.suggested:g}." in result.message  # from the run's own losses
    # Nothing is thrown away: every step that ran is in the result and was reported.
    assert list(result.step_numbers) == list(range(1, len(losses) + 1))
    assert listener.step_count == len(losses)
    assert len(losses) - first_bad <= result.info.steps_per_execution
    assert listener.kinds[-1] == "failed"


def test_an_error_raised_inside_training_ends_the_run_with_the_steps_so_far(monkeypatch):
    original = session_module._Reporter.on_epoch_end

    def broken(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == 1:  # the second epoch
            raise RuntimeError("a callback broke")

    monkeypatch.setattr(session_module._Reporter, "on_epoch_end", broken)
    listener = Events()
    config = RunConfig(dataset="iris", epochs=5, batch_size=30)
    result = TrainingSession(config, listener).run()

    assert result.status == "failed"
    assert "unexpected error: RuntimeError: a callback broke" in result.message
    assert result.epochs_done == 2
    assert len(result.step_losses) == 2 * result.info.steps_per_epoch
    assert np.isfinite(result.step_losses).all()
    assert len(result.history["loss"]) == 2
    assert listener.kinds == ["epoch", "epoch", "failed"]

    monkeypatch.undo()  # the next run in the same process is unharmed
    assert TrainingSession(config, Events()).run().status == "completed"
