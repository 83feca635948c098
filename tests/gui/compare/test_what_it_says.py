"""What the Compare tab says is true of the comparison in view: the plan beside its buttons is
what trains, and the step plot's title says what its lines average over."""

from __future__ import annotations

import pytest

from gui.compare.races import step_title
from tests.gui.training.conftest import replayed  # noqa: F401 (the fixture)
from tests.made import run_info
from trainers.events import RunKey, Started


def title(plot) -> str:
    return plot.getPlotItem().titleLabel.text


@pytest.mark.parametrize(
    ("per_epoch", "expected"),
    [
        ([], "Loss by update (averaged)"),
        ([1], "Loss by update (raw, not averaged)"),
        ([40], "Loss by update (avg. ~10 steps, \u00bc epoch)"),
        ([1000], "Loss by update (avg. ~199 steps, 1/5 epoch)"),
        ([1, 320, 10], "Loss by update (avg. 1\u201380 steps, by run)"),
        ([1000, 2000], "Loss by update (avg. ~199 steps)"),
    ],
)
def test_the_step_title_says_what_the_lines_average_over(per_epoch, expected):
    assert step_title(per_epoch) == expected


def test_the_plan_label_shows_the_gd_variants_while_they_train(replayed):  # noqa: F811
    view = replayed.compare_view
    view.set_optimizers(["sgd", "adam"])
    view._on_choices_changed()
    assert view.choices.plan_label.text().startswith("2 runs: SGD")
    assert view.start_gd_variants()
    assert view.choices.plan_label.text() == (
        "3 runs: Batch GD (full), Stochastic GD (1), Mini-batch GD (32)"
    )
    view._on_compare_finished([])
    assert view.choices.plan_label.text().startswith("2 runs: SGD")  # the choices again


def test_the_step_plot_title_follows_the_runs_started(replayed):  # noqa: F811
    view = replayed.compare_view
    assert view.start_gd_variants()
    plot = view.races.step_plot
    assert title(plot) == "Loss by update (averaged)"
    job = replayed.worker.job
    runs = replayed.worker.requests[-1][1]
    for member, per_epoch in enumerate((1, 320)):
        info = run_info(runs[member][1], steps_per_epoch=per_epoch, total_steps=2 * per_epoch)
        replayed.worker.play([Started(RunKey(job, member), info)])
    assert title(plot) == "Loss by update (avg. 1\u201380 steps, by run)"
    view._on_compare_finished([])
    replayed.worker.busy = False
    view.set_optimizers(["adam"])
    assert view.start_comparison()  # a new comparison: nothing of the last one's title
    assert title(plot) == "Loss by update (averaged)"
    info = run_info(replayed.worker.requests[-1][1][0][1], steps_per_epoch=40, total_steps=80)
    replayed.worker.play([Started(RunKey(replayed.worker.job, 0), info)])
    assert title(plot) == "Loss by update (avg. ~10 steps, \u00bc epoch)"


@pytest.mark.parametrize("engine", ["auto", "fused", "sequential"])
def test_the_engine_chosen_is_the_engine_asked_for(replayed, engine):  # noqa: F811
    view = replayed.compare_view
    combo = view.choices.engine_combo
    combo.setCurrentIndex(combo.findData(engine))
    view.set_optimizers(["sgd", "adam"])
    assert view.start_comparison()
    assert replayed.worker.engines[-1] == engine


def test_at_1024x700_every_compare_plot_is_inside_the_tab(qtbot, settings):
    from PySide6.QtGui import QFontMetricsF

    from gui.plots import theme
    from tests.gui.replay import replayed_window

    window = replayed_window(qtbot, settings, size=(1024, 700))
    view = window.compare_view
    window.view_tabs.setCurrentWidget(view)
    qtbot.wait(50)
    races = view.races
    for plot in (races.step_plot, races.epoch_plot, races.time_plot):
        right = plot.mapTo(window, plot.rect().topRight()).x()
        assert plot.width() > 150 and right <= window.width(), plot.objectName()
        label = plot.getPlotItem().titleLabel  # every line of the title fits above the plot
        metrics = QFontMetricsF(theme._title_font(label))
        room = plot.width() - plot.getPlotItem().getAxis("left").width()
        assert all(metrics.horizontalAdvance(line) <= room for line in title(plot).split("<br>"))
    window.resize(1920, 1080)
    qtbot.wait(50)
    assert races.epoch_plot.mapTo(window, races.epoch_plot.rect().topLeft()).y() == (
        races.time_plot.mapTo(window, races.time_plot.rect().topLeft()).y()
    )  # side by side again
    window.close()
