"""The Compare tab's plots with many runs, drawn frame by frame (`RacePlots.redraw`): a frame
draws on one plot only, stops at its budget and the next frame goes on where it stopped, and
after enough frames every curve shows exactly its run's data; while the runs train, the step
and epoch axes span the plan."""

from __future__ import annotations

import numpy as np
import pytest

from gui.compare import races as races_module
from gui.compare.races import RacePlots
from tests.made import run_info
from trainers.config import RunConfig

RUNS, STEPS_PER_EPOCH, EPOCHS = 12, 100, 3


def info():
    return run_info(
        RunConfig(dataset="moons", epochs=EPOCHS),
        n_train=100,
        n_val=0,
        batch_size=1,
        steps_per_epoch=STEPS_PER_EPOCH,
        total_steps=STEPS_PER_EPOCH * EPOCHS,
        initial_logs={"loss": 1.0},
    )


def drawn(curve):
    xs, ys = curve.getData()
    return (np.zeros(0), np.zeros(0)) if xs is None else (np.asarray(xs), np.asarray(ys))


@pytest.fixture
def plots(qtbot, monkeypatch):
    """12 runs that each reported 200 steps and 2 epochs, nothing drawn yet."""
    monkeypatch.setattr(races_module, "EPOCH_PLOT_INTERVAL_S", 0.0)  # no wait between frames
    widget = RacePlots()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    runs = widget.start([f"run {i}" for i in range(RUNS)], "loss")
    rng = np.random.default_rng(0)
    for race in runs:
        widget.started(race, info())
        widget.add_steps(race, np.arange(1, 201), rng.uniform(0.1, 1.0, 200))
        for epoch in (1, 2):
            widget.add_epoch(race, epoch, {"loss": rng.uniform(0.1, 1.0)}, seconds=epoch * 0.5)
    return widget


def test_a_frame_draws_on_one_plot_and_the_next_frames_draw_the_rest(plots):
    plots.redraw(budget_s=0.0)  # the least a frame does: one curve on one plot
    step_drawn = [len(drawn(race.step_curve)[0]) > 0 for race in plots.races]
    epoch_drawn = [len(drawn(race.epoch_curve)[0]) > 0 for race in plots.races]
    time_drawn = [len(drawn(race.time_curve)[0]) > 0 for race in plots.races]
    assert sum(step_drawn) == 1 and not any(epoch_drawn) and not any(time_drawn)

    for _ in range(3 * RUNS):
        plots.redraw(budget_s=0.0)
    for race in plots.races:
        xs, ys = drawn(race.step_curve)
        np.testing.assert_array_equal(xs, race.smooth.buffer.xs)
        np.testing.assert_array_equal(ys, race.smooth.buffer.ys)
        xs, ys = drawn(race.epoch_curve)
        np.testing.assert_array_equal(xs, [0.0, 1.0, 2.0])
        np.testing.assert_array_equal(ys, race.epochs.ys)
        np.testing.assert_array_equal(drawn(race.time_curve)[0], [0.0, 0.5, 1.0])
        assert not race.stale


def test_while_the_runs_train_the_axes_span_the_plan_and_the_end_fits_what_was_trained(plots):
    plots.redraw(budget_s=float("inf"))
    low, high = plots.step_plot.getViewBox().viewRange()[0]
    assert low < 0 < 300 < high < 320  # the planned 300 steps, though 200 are in
    low, high = plots.epoch_plot.getViewBox().viewRange()[0]
    assert low < 0 and 3 < high < 3.3
    # The loss axis shows every step loss drawn.
    bottom, top = plots.step_plot.getViewBox().viewRange()[1]
    values = np.concatenate([race.smooth.buffer.ys for race in plots.races])
    assert bottom <= values.min() and values.max() <= top
    # The time axis spans the seconds projected at each run's pace (1 s for 2 of 3 epochs),
    # and the epoch and time plots' loss axes show every epoch's loss.
    low, high = plots.time_plot.getViewBox().viewRange()[0]
    assert low < 0 and 1.5 <= high < 1.6
    losses = np.concatenate([race.epochs.ys for race in plots.races])
    for plot in (plots.epoch_plot, plots.time_plot):
        bottom, top = plot.getViewBox().viewRange()[1]
        assert bottom <= losses.min() and losses.max() <= top

    plots.end_following()  # the comparison ended (stopped at step 200)
    plots.redraw(budget_s=float("inf"))
    plots.grab()  # painted, as a user would see it (the view fits its range as it paints)
    low, high = plots.step_plot.getViewBox().viewRange()[0]
    assert high < 220
    low, high = plots.time_plot.getViewBox().viewRange()[0]
    assert high < 1.1  # the seconds trained
