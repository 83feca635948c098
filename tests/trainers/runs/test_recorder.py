"""Recording runs: real runs recorded as they train, every event forwarded, curves committed
while training, diverged losses kept exactly, bad input not recorded."""

import os

import numpy as np
import pytest

from tests.trainers.runs.support import record_run, small_config
from trainers.events import EpochEnded, Failed, Finished, Started, Steps, tee
from trainers.runs import LibraryRecording, RunLibrary
from trainers.session import TrainingSession


# ------------------------------------------------------------------------------ recording
def test_a_real_run_is_recorded_whole_and_every_event_is_forwarded(tmp_path):
    library = RunLibrary(tmp_path)
    heard = []

    def hear(event):
        match event:
            case Started():
                heard.append("started")
            case Steps():
                heard.append("steps")
            case EpochEnded(epoch=epoch):
                heard.append(f"epoch {epoch}")
            case Finished():
                # The library is written before the event is passed on: a second reader sees it.
                with RunLibrary(tmp_path) as other:
                    heard.append(other.list_runs()[0].status)

    result, recorder = record_run(library, small_config(), hear)
    assert result.status == "completed"
    assert "steps" in heard
    assert [h for h in heard if h != "steps"] == ["started", "epoch 1", "epoch 2", "completed"]

    record = library.get(recorder.run_id)
    assert record.status == "completed" and record.message == result.message
    assert record.dataset == "moons" and record.optimizer == "adam"
    assert record.loss == "binary_crossentropy" and record.metric == "accuracy"
    assert record.run_config().to_dict() == result.config.to_dict()
    assert record.final_loss == pytest.approx(result.final("loss"))
    assert record.final_val_loss == pytest.approx(result.final("val_loss"))
    assert record.final_val_metric == pytest.approx(result.final("val_accuracy"))
    assert record.duration_s == pytest.approx(result.duration_s)
    assert record.epochs_done == 2 and record.steps_done == 20
    assert set(record.versions) >= {"python", "tensorflow", "keras", "descent"}
    assert record.device and record.pid == os.getpid() and record.hostname
    assert record.details["model_summary"] == result.info.model_summary

    curves = library.curves(recorder.run_id)
    np.testing.assert_array_equal(curves.steps, result.step_numbers)
    np.testing.assert_array_equal(curves.losses, result.step_losses)
    assert curves.epochs.tolist() == [0, 1, 2]  # epoch 0: the untrained model
    for key, values in result.history.items():
        assert curves.history[key][1:].tolist() == pytest.approx(values)
    assert curves.history["loss"][0] == pytest.approx(result.info.initial_logs["loss"])
    assert curves.epoch_seconds[1:].tolist() == pytest.approx(result.epoch_times)


def test_bad_input_is_not_recorded_but_still_reported(tmp_path):
    library = RunLibrary(tmp_path)
    failures = []

    def heard(event):
        if isinstance(event, Failed):
            failures.append(event.message)

    recording = LibraryRecording(library)
    with pytest.raises(Exception, match="epochs"):
        TrainingSession(small_config(epochs=0), tee(recording, heard)).run()
    assert failures and "epochs" in failures[0]
    assert library.list_runs() == []


def test_a_diverged_run_keeps_its_nan_losses_exactly(tmp_path):
    library = RunLibrary(tmp_path)
    config = small_config(
        dataset="diabetes", optimizer="sgd", hyperparameters={"learning_rate": 10000.0}, epochs=5
    )
    result, recorder = record_run(library, config)
    assert result.status == "diverged"
    record = library.get(recorder.run_id)
    assert record.status == "diverged" and "diverged" in record.message
    curves = library.curves(recorder.run_id)
    np.testing.assert_array_equal(curves.losses, result.step_losses)  # NaN == NaN here
    assert not np.isfinite(curves.losses[-1])


def test_curves_are_committed_while_the_run_trains(tmp_path):
    """With a flush interval of zero every chunk of steps is committed at once: a second
    connection sees the run grow while it is still `running`."""
    library = RunLibrary(tmp_path)
    seen = []

    def watch(event):
        if isinstance(event, EpochEnded):
            with RunLibrary(tmp_path) as other:
                record = other.list_runs()[0]
                seen.append((record.status, record.steps_done))

    record_run(library, small_config(epochs=3), watch, flush_interval_s=0.0)
    # The epoch's last steps are committed before its end is heard; its logs with the next.
    assert seen == [("running", 10), ("running", 20), ("running", 30)]
