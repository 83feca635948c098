"""Small truths of the run's views: a paused run's time left waits, a stopped run's step axis
ends at its last step, and the decision boundary tab says why it is empty."""

from __future__ import annotations

import dataclasses

from gui.training import RunControls
from tests.gui.training.conftest import made_run
from tests.made import run_info
from trainers.config import RunConfig
from trainers.events import Finished


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_paused_run_says_so_and_its_time_left_waits(qtbot):
    clock = Clock()
    controls = RunControls(clock=clock)
    qtbot.addWidget(controls)
    controls.set_running(True, True)
    controls.started(run_info(RunConfig(epochs=10), steps_per_epoch=10, total_steps=100))
    clock.now += 20
    controls.step_reached(20)
    controls.show_progress()
    assert controls.progress.format() == "Epoch 2/10 · step 20/100 · 80 s left"
    controls.pause_button.click()  # Pause
    assert controls.progress.format() == "Paused · Epoch 2/10 · step 20/100 · 80 s left"
    clock.now += 600  # ten minutes held
    controls.step_reached(21)  # the steps in progress when Pause was pressed
    controls.show_progress()
    assert controls.progress.format() == "Paused · Epoch 3/10 · step 21/100 · 75 s left"
    controls.pause_button.click()  # Resume: the pace of the 20 s trained, not of the pause
    clock.now += 9
    controls.step_reached(30)
    controls.show_progress()
    assert controls.progress.format() == "Epoch 3/10 · step 30/100 · 68 s left"


def test_a_stopped_runs_step_axis_ends_at_its_last_step(qtbot, replayed):
    replayed.start_training()
    config = replayed.worker.requests[-1][1]
    events = made_run(replayed.worker.job, config)
    started, first_steps, first_epoch, *_, finished = events
    stopped = dataclasses.replace(finished.result, status="stopped", message="Stopped")
    replayed.worker.play([started, first_steps, first_epoch])
    plot = replayed.training.step_plot
    assert plot.getViewBox().viewRange()[0][1] >= 10  # the planned 10 steps while it runs
    replayed.worker.play([Finished(finished.key, stopped)])
    replayed._on_redraw(everything=True)
    qtbot.waitUntil(lambda: plot.getViewBox().viewRange()[0][1] < 6)  # the 5 it trained


def describe(window, task: str, input_shape: tuple[int, ...]) -> None:
    kind, request = [r for r in window.worker.requests if r[0] == "describe"][-1]
    window.worker.sig_dataset.emit(
        {
            "request": request,
            "summary": "",
            "task": task,
            "n_classes": 10,
            "input_shape": input_shape,
        }
    )


def test_the_boundary_tab_says_why_it_draws_nothing(qtbot, replayed):
    boundary = replayed.training.boundary_plot
    replayed.view_tabs.setCurrentWidget(boundary)
    replayed.select_dataset("digits")
    describe(replayed, "multiclass", (64,))
    assert boundary.reason.isVisible()
    assert boundary.reason.text() == (
        "The decision boundary is drawn for datasets with two features; Digits (8x8) has 64."
    )
    centre = boundary.reason.geometry().center()
    assert (
        abs(centre.x() - boundary.width() / 2) <= 1 and abs(centre.y() - boundary.height() / 2) <= 1
    )
    # A run of it: still the reason, not a blank plot.
    replayed.start_training()
    config = replayed.worker.requests[-1][1]
    replayed.worker.play(made_run(replayed.worker.job, config, task="multiclass"))
    assert boundary.reason.isVisible() and "has 64" in boundary.reason.text()
    replayed.worker.busy = False
    # Another dataset chosen: the tab speaks of the run it shows until the next run starts.
    replayed.select_dataset("sine")
    describe(replayed, "regression", (1,))
    assert "has 64" in boundary.reason.text()
    replayed.start_training()
    assert not boundary.reason.isVisible()
    config = replayed.worker.requests[-1][1]
    replayed.worker.play(made_run(replayed.worker.job, config, metric="mae", task="regression"))
    assert boundary.reason.text() == (
        "The decision boundary is drawn for datasets with two features and classes; "
        "Sine is a regression dataset."
    )
