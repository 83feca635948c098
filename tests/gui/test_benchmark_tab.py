"""The Benchmark tab with the real window and worker: each tuning trial's dot appears as it
ends, at its learning rate and final validation loss; at the end the table is the report's and
the figure shown draws the report's numbers; the report saves; bad choices say what to do."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

RUN_TIMEOUT = 180_000


def tick(box, keys):
    for i in range(box.count()):
        item = box.item(i)
        on = item.data(Qt.ItemDataRole.UserRole) in keys
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def test_a_benchmark_in_the_window_shows_its_trials_live_then_the_report(qtbot, window, tmp_path):
    from trainers import report

    view = window.benchmark_view
    window.view_tabs.setCurrentWidget(view)
    tick(view.problems_list, {"moons"})
    tick(view.optimizers_list, {"sgd", "adam"})
    view.trials_spin.setValue(3)
    view.seeds_spin.setValue(2)
    view.epochs_spin.setValue(2)
    tuning_dots = {}

    def keep_the_dots(_events):  # before the reruns take the plot over
        if view._phase == "tune":
            tuning_dots.update({o: item.getOriginalDataset() for o, item in view._dots.items()})

    window.worker.sig_events.connect(keep_the_dots)  # after the view's own slot: it draws first
    with qtbot.waitSignal(view.sig_benchmark_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(view.findChild(QPushButton, "runBenchmark"), Qt.MouseButton.LeftButton)
        assert not window.controls.train_button.isEnabled()  # the worker is the benchmark's
    result = blocker.args[0]
    assert result is not None and len(result.trials) == 2 * 3 + 2 * 2
    assert window.controls.train_button.isEnabled()
    # The live plot of the tuning trials: one dot per trial, where its numbers put it.
    for optimizer in ("sgd", "adam"):
        xs, ys = tuning_dots[optimizer]
        expected = sorted(
            (t.settings["learning_rate"], t.row.final_val_loss)
            for t in result.of("moons", optimizer, "tune")
            if math.isfinite(t.row.final_val_loss)
        )
        np.testing.assert_allclose(xs, [x for x, _ in expected])
        np.testing.assert_allclose(ys, [y for _, y in expected])
    # The reruns' epochs, drawn as they ended: each optimizer's median over its seeds.
    assert view._phase == "seed"
    for optimizer in ("sgd", "adam"):
        seeded = result.of("moons", optimizer, "seed")
        for t in seeded:
            np.testing.assert_allclose(view._seed_curves[(optimizer, t.seed)], t.epoch_val_losses)
        xs, ys = view._dots[optimizer].getOriginalDataset()
        np.testing.assert_array_equal(xs, [1, 2])
        np.testing.assert_allclose(ys, np.median([t.epoch_val_losses for t in seeded], axis=0))
    # The table is the report's, cell for cell.
    built = report.build(result)
    assert view.table.rowCount() == len(built.table) == 2
    for r, row in enumerate(built.table):
        assert view.table.item(r, 1).text() == row["optimizer"]
        assert view.table.item(r, 3).text() == row["performance"]
    # The figure shown is the report's first, drawn from its numbers.
    figure = built.figures[view.figure_combo.currentIndex()]
    shown = view._figure_widget
    assert shown is not None and shown.isVisible()
    for series in figure.series:
        (item,) = [i for i in shown.getPlotItem().listDataItems() if i.name() == series.label]
        np.testing.assert_allclose(item.getOriginalDataset()[1], series.ys)
    view.figure_combo.setCurrentIndex(1)  # another figure replaces it
    assert view._figure_widget is not shown
    # Saved a figure per turn of the event loop: the window answers in between.
    progress = []
    with qtbot.waitSignal(view.sig_report_saved, timeout=60_000) as saved:
        assert view.save_report(tmp_path / "report")
        view._writer.sig_progress.connect(lambda done, total: progress.append((done, total)))
    assert (tmp_path / "report" / "report.html") in saved.args[0]
    assert progress == [(n, len(built.figures)) for n in range(1, len(built.figures) + 1)]
    assert "Report saved" in view.status_label.text()
    assert (tmp_path / "report" / "plots" / f"{figure.name}.svg").is_file()


def test_a_benchmark_without_optimizers_says_so_and_asks_for_nothing(qtbot, window):
    view = window.benchmark_view
    tick(view.optimizers_list, set())
    assert not view.start()
    assert "at least one optimizer" in view.status_label.text()
    assert view.job is None and not window.worker.busy


def test_the_main_forms_data_a_criterion_and_a_time_budget_go_into_the_benchmark(
    qtbot, window, tmp_path
):
    """The user's own file, opened in the side panel, becomes a problem of its own (with the
    panel's model and loss, its optimizer left to the tuning); the criterion and the time
    budget chosen are the spec's. A budget of 0 is none."""
    rng = np.random.default_rng(3)
    path = tmp_path / "mine.npz"
    np.savez(path, x=rng.normal(size=(80, 3)), y=rng.normal(size=80))
    window.open_dataset_file(str(path))
    qtbot.waitUntil(lambda: window.build_config().dataset == str(path), timeout=30_000)
    view = window.benchmark_view
    tick(view.problems_list, {"moons"})
    tick(view.optimizers_list, {"sgd", "adam"})
    view.own_check.setChecked(True)
    view.criterion_combo.setCurrentIndex(view.criterion_combo.findData("best_val_loss"))
    view.seconds_spin.setValue(2.5)
    spec = view.planned_spec()
    assert [p.name for p in spec.problems] == ["moons", "mine"]
    own = spec.problems[1]
    assert own.config.dataset == str(path) and own.target is None
    assert own.config.hyperparameters == {}
    assert spec.criterion == "best_val_loss" and spec.seconds == 2.5
    view.seconds_spin.setValue(0)
    view.own_check.setChecked(False)
    spec = view.planned_spec()
    assert spec.seconds is None and [p.name for p in spec.problems] == ["moons"]
