"""The engine's word on the learning rate (`trainers.events.Advice`) reaches the user live, in
the banner above the curves, while the run goes on; the next run starts without it. And a
regression's axes say what unit they are in."""

from tests.gui.training.conftest import made_run
from trainers.events import Advice, Finished, RunKey


def test_advice_on_the_rate_shows_in_the_banner_while_the_run_goes_on(replayed):
    window = replayed
    window.start_training()
    _, config = window.worker.requests[-1]
    events = made_run(window.worker.job, config)
    text = "The loss has risen for 2 epochs at learning rate 10: the rate is too high. Try 1."
    advice = Advice(RunKey(window.worker.job, 0), "rising", text, 10.0, 1.0)
    window.worker.play(events[:3])
    window.worker.play([advice])
    assert window.banner.isVisible()
    assert window.banner.label.text() == text
    assert window.banner.severity == "warning"
    assert window.running  # a word, not an end: the run trains on
    window.worker.play(events[3:])
    assert isinstance(events[-1], Finished)
    assert window.banner.isVisible() and window.banner.label.text() == text  # still true
    window.worker.busy = False
    window.start_training()
    assert not window.banner.isVisible()


def test_advice_about_another_job_is_not_shown(replayed):
    window = replayed
    window.start_training()
    other = RunKey(window.worker.job + 5, 0)
    window.worker.play([Advice(other, "flat", "barely moved", 1e-9, 1e-3)])
    assert not window.banner.isVisible()


def test_a_regressions_curves_say_they_are_on_the_standardized_target(replayed):
    import dataclasses

    from trainers.events import Started

    window = replayed
    window.start_training()
    _, config = window.worker.requests[-1]
    events = made_run(window.worker.job, config, metric="mae", task="regression")
    started = events[0]
    info = dataclasses.replace(started.info, target_scale=(50.0, 12.5), loss="mse")
    window.worker.play([Started(started.key, info), *events[1:]])
    view = window.training
    assert view.step_plot.getAxis("left").labelText == "loss (standardized target, std 12.5)"
    assert view.epoch_plot.getAxis("left").labelText == "loss (standardized target, std 12.5)"
    assert view.metric_plot.getAxis("left").labelText == "MAE (standardized target, std 12.5)"
    window.worker.busy = False
    window.start_training()  # the next run, a classifier until it says otherwise
    assert view.step_plot.getAxis("left").labelText == "loss"
