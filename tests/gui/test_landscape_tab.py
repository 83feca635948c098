"""The Landscape tab with the real window and worker: the paths are drawn as the runs train,
then the lines, the slice and the map under the paths are the engine's numbers; a bad list of
optimizers is refused in the tab with what is known; Stop ends the job with what it had."""

from __future__ import annotations

import numpy as np

from gui.report_figures import map_image
from gui.worker.relay import merged
from trainers.events import PathsMoved, RunKey, Status

RUN_TIMEOUT = 120_000


def small_landscape(window, optimizers="sgd, adam", epochs=3):
    """The Landscape tab shown and set for a quick job on moons: `optimizers`, `epochs`, 9 x 9
    maps."""
    from PySide6.QtWidgets import QApplication

    window.select_dataset("moons")
    window.panel.epochs_spin.setValue(epochs)
    view = window.landscape_view
    window.view_tabs.setCurrentWidget(view)
    QApplication.processEvents()  # laid out: a click lands on the button
    view.optimizers_edit.setText(optimizers)
    view.grid_spin.setValue(9)
    return view


def drawn(item) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(item.xData), np.asarray(item.yData)


def test_the_paths_are_drawn_live_then_the_maps_and_lines_are_the_engines(qtbot, window):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QPushButton

    view = small_landscape(window, "sgd, momentum, adam")
    live = []

    def keep_live(events):  # after the view's own slot: it has drawn by now
        moved = [e for e in events if isinstance(e, PathsMoved) and e.key.job == view.job]
        if moved and view.job is not None:
            curves = view.paths_plot.curves
            live.append((moved[-1], {label: drawn(c) for label, c in curves.items()}))

    window.worker.sig_events.connect(keep_live)
    with qtbot.waitSignal(view.sig_landscape_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(view.findChild(QPushButton, "computeLandscape"), Qt.MouseButton.LeftButton)
        assert not window.controls.train_button.isEnabled()  # the worker is the job's
        assert view.stop_button.isEnabled() and not view.compute_button.isEnabled()
    result = blocker.args[0]
    assert result is not None and result.status == "completed", view.status_label.text()
    assert window.controls.train_button.isEnabled() and view.compute_button.isEnabled()
    assert view.status_label.text().startswith("Done in")
    labels = ["SGD lr=0.01", "Momentum lr=0.01", "Adam lr=0.001"]  # each at its default
    assert result.labels == labels
    # Live: a PathsMoved came while the runs trained, and its paths were the ones drawn.
    assert live, "no paths were drawn while the runs trained"
    event, curves = live[0]
    assert event.paths, "the first live paths were empty"
    last = labels[-1]
    assert len(event.paths.get(last, ())) < len(result.paths[last]), "not drawn while training"
    for label, coords in event.paths.items():
        xs, ys = curves[label]
        np.testing.assert_array_equal(xs, coords[:, 0])
        np.testing.assert_array_equal(ys, coords[:, 1])
    # At the end: each path is the engine's, on the final plane, in its run's colour.
    from gui.plots.theme import run_style

    paths = view.paths_plot
    assert list(paths.curves) == labels
    for index, label in enumerate(labels):
        xs, ys = drawn(paths.curves[label])
        np.testing.assert_array_equal(xs, result.paths[label][:, 0])
        np.testing.assert_array_equal(ys, result.paths[label][:, 1])
        assert paths.curves[label].opts["pen"].color() == run_style(index)[0]
    start = result.paths[labels[0]][0]
    np.testing.assert_allclose(paths.start.data["x"], [start[0]])
    np.testing.assert_allclose(paths.start.data["y"], [start[1]])
    # The maps show log10 of the engine's loss values, pixel for grid point.
    for plot, loss_map in ((paths, result.paths_map), (view.slice_plot, result.slice)):
        assert plot.image is not None and plot.image.image.shape == (9, 9)
        np.testing.assert_allclose(plot.image.image, map_image(loss_map.values))
        assert plot.bar is not None and len(plot.colour_bars()) <= 1  # beside it with room
    window.resize(1600, 1000)  # room for the colour bars beside the maps
    QApplication.processEvents()
    old = [(plot.image, plot.bar) for plot in (paths, view.slice_plot)]
    view._draw_result(result)  # as a second job's end draws: each map and bar replaced
    for plot, (image, bar) in zip((paths, view.slice_plot), old, strict=True):
        assert plot.colour_bars() == [plot.bar] and plot.image in plot.getPlotItem().items
        assert image.scene() is None and bar.scene() is None
    assert "Slice around SGD lr=0.01" in view.slice_plot.getPlotItem().titleLabel.text
    np.testing.assert_allclose(view.slice_plot.centre.data["x"], [0.0])
    # The lines: training solid and validation dashed, each line's numbers the engine's.
    lines = view.lines_plot.curves
    assert len(lines) == len(result.lines) == 4  # three runs, and SGD's end to Momentum's
    for (train, val), line in zip(lines, result.lines, strict=True):
        xs, ys = drawn(train)
        np.testing.assert_array_equal(xs, line.ts)
        np.testing.assert_array_equal(ys, line.train)
        np.testing.assert_array_equal(drawn(val)[1], line.val)
        assert train.name() == line.label
        assert val.opts["pen"].style() == Qt.PenStyle.DashLine
    assert [end.value() for end in view.lines_plot.ends] == [0.0, 1.0]
    assert view.note_label.text() == result.note
    # The key names each colour: the runs', then the line between SGD's and Momentum's ends.
    key = view.key_label.text()
    for index, line in enumerate(labels + [result.lines[-1].label]):
        assert f'color: {run_style(index)[0].name()}">&#9632;</span>&nbsp;{line}' in key


def test_an_unknown_optimizer_is_refused_in_the_tab(qtbot, window):
    view = small_landscape(window, "sgd, adamm")
    assert view.start() is False
    text = view.status_label.text()
    assert "Unknown optimizer 'adamm'" in text and "Known: sgd" in text
    assert view.job is None and view.compute_button.isEnabled()
    view.optimizers_edit.setText(" , ")
    assert view.start() is False
    assert view.status_label.text() == "Name at least one optimizer, like sgd, momentum, adam."


def test_stop_ends_the_job_with_the_paths_so_far(qtbot, window):
    view = small_landscape(window, "sgd, momentum, adam", epochs=20)

    def stop_at_first_paths(events):
        if view.job is not None and any(isinstance(e, PathsMoved) for e in events):
            view.stop()

    window.worker.sig_events.connect(stop_at_first_paths)
    with qtbot.waitSignal(view.sig_landscape_finished, timeout=RUN_TIMEOUT) as blocker:
        assert view.start()
    result = blocker.args[0]
    assert result is not None and result.status == "stopped"
    assert len(result.results) < 3  # the runs after the one stopped never started
    assert view.status_label.text().startswith("Stopped")
    assert view.paths_plot.curves[result.labels[0]].xData is not None  # what was drawn stays
    assert view.compute_button.isEnabled() and not view.stop_button.isEnabled()
    assert window.controls.train_button.isEnabled()


def test_a_loss_that_does_not_fit_the_data_ends_with_the_engines_message(qtbot, window):
    """Refused by the engine before anything trains: one line in the tab, no traceback."""
    window.select_dataset("sine")  # regression
    view = window.landscape_view
    config = window.build_config()
    config.loss = "binary_crossentropy"
    view.base_config = lambda: config
    with qtbot.waitSignal(view.sig_landscape_finished, timeout=RUN_TIMEOUT) as blocker:
        assert view.start()
    assert blocker.args[0] is None
    text = view.status_label.text()
    assert text.startswith("The landscape was not computed:")
    assert "Binary cross-entropy does not fit a regression task" in text
    assert view.compute_button.isEnabled() and window.controls.train_button.isEnabled()


def test_the_side_panels_optimizer_trains_as_set_there_the_others_at_their_defaults():
    from gui.landscape.view import plan_runs
    from trainers.config import RunConfig

    base = RunConfig(dataset="digits", optimizer="sgd", hyperparameters={"learning_rate": 0.1})
    runs = plan_runs(base, "SGD, momentum; adam sgd")
    assert [label for label, _ in runs] == ["SGD lr=0.1", "Momentum lr=0.01", "Adam lr=0.001"]
    assert [c.optimizer for _, c in runs] == ["sgd", "momentum", "adam"]
    assert runs[1][1].hyperparameters == {} and runs[0][1].seed == runs[2][1].seed == base.seed


def test_a_plane_that_misses_most_of_the_paths_says_so_as_a_warning(qtbot):
    """With a stand-in worker: the paths of the job's PathsMoved are drawn at once, and the
    note under them turns to a warning below half the variance (no TensorFlow here)."""
    from gui.landscape import LandscapeView
    from gui.worker.engine import WorkerSignals
    from trainers.config import RunConfig

    class Landscapes(WorkerSignals):
        def request_landscape(self, spec):
            self.spec = spec
            return 7

    worker = Landscapes()
    view = LandscapeView(worker, lambda: RunConfig(dataset="moons", optimizer="sgd"))
    qtbot.addWidget(view)
    worker.sig_ready.emit("CPU")
    view.optimizers_edit.setText("sgd, adam")
    assert view.start() and view.job == 7 and len(worker.spec.runs) == 2
    paths = {"SGD lr=0.01": np.array([[0.0, 0.0], [1.0, 0.5]]), "Adam lr=0.001": np.zeros((0, 2))}
    worker.sig_events.emit([PathsMoved(RunKey(6, None), {"SGD lr=0.01": np.ones((3, 2))}, 0.9)])
    assert view.paths_plot.curves["SGD lr=0.01"].xData is None  # another job's: not drawn
    worker.sig_events.emit([PathsMoved(RunKey(7, None), paths, 0.3)])
    np.testing.assert_array_equal(view.paths_plot.curves["SGD lr=0.01"].yData, [0.0, 0.5])
    assert view.note_label.text().startswith("So far: the plane holds only 30%")
    assert view.note_label.property("severity") == "warning"
    worker.sig_events.emit([PathsMoved(RunKey(7, None), paths, 0.8)])
    assert view.note_label.text() == "So far: the plane holds 80% of the paths' variance."
    assert view.note_label.property("severity") == ""


def test_several_paths_in_one_batch_keep_only_the_newest():
    key = RunKey(3, None)
    first = PathsMoved(key, {"a": np.zeros((2, 2))}, 0.9)
    newest = PathsMoved(key, {"a": np.ones((3, 2))}, 0.8)
    status = Status(key, "Training...")
    assert merged([first, status, newest]) == [newest, status]
