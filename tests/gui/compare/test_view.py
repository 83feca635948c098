"""The compare view, driven offscreen with the real worker: overlaid runs, the GD variants,
bad input, stopping, errors from the engine, and hiding runs through the legend or the table."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
)

from gui.compare import CompareView
from gui.compare.table import COL_LOSS, COL_RUN, COL_STATUS, COL_TIME, COL_VAL
from gui.plots import smoothing_alpha
from trainers import catalog
from trainers.parsing import parse_batch_sizes, parse_learning_rates

RUN_TIMEOUT = 180_000


@pytest.fixture
def view(qtbot, window):
    """A CompareView on the window's worker and form: moons, 2 epochs."""
    widget = CompareView(window.worker, window.build_config)
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    widget.show()
    window.findChild(QSpinBox, "epochsSpin").setValue(2)
    yield widget
    if widget.is_comparing:  # a failed test must not leave the worker training
        with qtbot.waitSignal(widget.sig_comparison_finished, timeout=RUN_TIMEOUT):
            widget.stop()
    widget.close()


def find(widget, cls, name):
    child = widget.findChild(cls, name)
    assert child is not None, f"no {cls.__name__} named {name}"
    return child


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def compare_and_wait(qtbot, view, button="compareButton"):
    with qtbot.waitSignal(view.sig_comparison_finished, timeout=RUN_TIMEOUT) as blocker:
        click(qtbot, find(view, QPushButton, button))
    view.draw_now()  # the last points, without waiting for the next tick
    return blocker.args[0]


def points(curve) -> int:
    xs, _ = curve.getData()
    return 0 if xs is None else len(xs)


def cell(view, row, col) -> str:
    return find(view, QTableWidget, "compareTable").item(row, col).text()


def test_parsers_name_the_bad_entry():
    assert parse_learning_rates(" 0.1, 0.01;0.1 ") == [0.1, 0.01]
    assert parse_learning_rates("") == []
    assert parse_batch_sizes("1, 32 Full") == [1, 32, "full"]
    for bad in ("0.1, x", "0", "-1", "nan"):
        with pytest.raises(ValueError):
            parse_learning_rates(bad)
    with pytest.raises(ValueError, match="2.5"):
        parse_batch_sizes("32, 2.5")
    assert smoothing_alpha(1) == 1.0  # batch descent: every step is already an epoch
    assert smoothing_alpha(10_000) == pytest.approx(0.01)


def test_view_builds_and_bad_input_starts_nothing(qtbot, view, window):
    for cls, name in [
        (QListWidget, "compareOptimizerList"),
        (QLineEdit, "compareLearningRatesEdit"),
        (QListWidget, "compareLossList"),
        (QLineEdit, "compareBatchSizesEdit"),
        (QDoubleSpinBox, "compareTargetSpin"),
        (QPushButton, "compareButton"),
        (QPushButton, "gdVariantsButton"),
        (QPushButton, "compareStopButton"),
        (QTableWidget, "compareTable"),
        (QCheckBox, "compareLogScaleCheck"),
    ]:
        assert find(view, cls, name).accessibleName()
    for name in ("compareStepPlot", "compareEpochPlot", "compareTimePlot"):
        assert view.findChild(object, name) is not None
    assert view.objectName() == "compareView"
    assert find(view, QListWidget, "compareOptimizerList").count() == len(
        catalog.comparable_optimizers()
    )
    assert view.checked_optimizers() == ["sgd", "adam"]
    # Moons is a two-class problem: only the losses that fit it are offered.
    losses = find(view, QListWidget, "compareLossList")
    offered = {losses.item(i).data(Qt.ItemDataRole.UserRole) for i in range(losses.count())}
    assert offered == {loss.name for loss in catalog.losses_for("binary")}
    assert find(view, QPushButton, "compareButton").isEnabled()
    assert not find(view, QPushButton, "compareStopButton").isEnabled()

    qtbot.keyClicks(find(view, QLineEdit, "compareLearningRatesEdit"), "0.1, x")
    click(qtbot, find(view, QPushButton, "compareButton"))
    assert view.banner.isVisible()
    assert "'x' is not a number" in view.banner.label.text()
    assert not view.is_comparing and not window.worker.busy
    assert find(view, QTableWidget, "compareTable").rowCount() == 0

    find(view, QLineEdit, "compareLearningRatesEdit").clear()
    qtbot.keyClicks(find(view, QLineEdit, "compareBatchSizesEdit"), "0")
    click(qtbot, find(view, QPushButton, "compareButton"))
    assert "Batch sizes must be whole numbers" in view.banner.label.text()
    click(qtbot, find(view, QPushButton, "gdVariantsButton"))
    assert not view.is_comparing and not window.worker.busy

    find(view, QLineEdit, "compareBatchSizesEdit").clear()
    view.set_optimizers([])
    click(qtbot, find(view, QPushButton, "compareButton"))
    assert "Tick at least one optimizer" in view.banner.label.text()
    assert not view.is_comparing and not window.worker.busy


def test_two_optimizers_overlay_and_fill_the_table(qtbot, view):
    view.set_optimizers(["sgd", "adam"])
    find(view, QDoubleSpinBox, "compareTargetSpin").setValue(0.6)
    rows = compare_and_wait(qtbot, view)
    assert [row.status for row in rows] == ["completed", "completed"]
    assert view.run_labels() == ["SGD lr=0.01", "Adam lr=0.001"]
    steps_per_run = 2 * view.run_info(0).steps_per_epoch  # moons: 320 samples, batch 32
    pens = set()
    for index in range(2):
        curves = view.curves(index)
        assert points(curves["step"]) == steps_per_run
        assert points(curves["epoch"]) == 3  # the untrained model, then epochs 1 and 2
        assert points(curves["time"]) == 3
        assert curves["step"] in view.races.step_plot.getPlotItem().items
        pens.add(curves["step"].opts["pen"].color().name())
    assert len(pens) == 2  # one colour per run
    table = find(view, QTableWidget, "compareTable")
    assert table.rowCount() == 2
    for row in range(2):
        assert cell(view, row, COL_STATUS) == "completed"
        for col in (COL_LOSS, COL_VAL, COL_TIME):
            assert math.isfinite(float(cell(view, row, col)))
    assert "Compared 2 runs" in view.status_label.text()
    assert "Lowest final validation loss" in view.verdict_label.text()

    # Sorting by final loss keeps each number with its run.
    table.sortItems(COL_LOSS, Qt.SortOrder.DescendingOrder)
    by_label = {row.label: row.final_loss for row in rows}
    first = table.item(0, COL_RUN).text()
    assert float(cell(view, 0, COL_LOSS)) == pytest.approx(by_label[first], rel=1e-3)
    assert by_label[first] == max(by_label.values())


def test_hiding_a_run_by_legend_or_table_hides_its_curves(qtbot, view):
    view.set_optimizers(["sgd", "adam"])
    compare_and_wait(qtbot, view)
    table = find(view, QTableWidget, "compareTable")

    # A real click on the first legend entry's label.
    sample, label = view.races.legend.items[0]
    assert label.text == "SGD lr=0.01"
    scene_point = label.mapToScene(label.boundingRect().center())
    widget_point = view.races.step_plot.mapFromScene(scene_point)
    qtbot.mouseClick(
        view.races.step_plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(widget_point)
    )
    assert not view.is_run_visible(0)
    assert not any(c.isVisible() for c in view.curves(0).values())
    assert all(view.curves(1)[name].isVisible() for name in ("step", "epoch", "time"))
    assert table.item(0, COL_RUN).checkState() == Qt.CheckState.Unchecked
    # ... and on its line sample, which pyqtgraph's own legend toggles.
    center = view.races.step_plot.mapFromScene(sample.mapToScene(QPointF(10, 10)))
    qtbot.mouseClick(view.races.step_plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(center))
    assert view.is_run_visible(0) and view.curves(0)["epoch"].isVisible()
    assert table.item(0, COL_RUN).checkState() == Qt.CheckState.Checked

    # Unticking the row hides the run too.
    table.item(1, COL_RUN).setCheckState(Qt.CheckState.Unchecked)
    assert not view.is_run_visible(1)
    assert not view.curves(1)["time"].isVisible() and not view.curves(1)["step"].isVisible()
    table.item(1, COL_RUN).setCheckState(Qt.CheckState.Checked)
    assert view.curves(1)["time"].isVisible()

    # The log scale applies to all three plots.
    find(view, QCheckBox, "compareLogScaleCheck").setChecked(True)
    for plot in (view.races.step_plot, view.races.epoch_plot, view.races.time_plot):
        assert plot.getPlotItem().ctrl.logYCheck.isChecked()


def test_gd_variants_take_1_n_and_n_over_32_steps_an_epoch(qtbot, view, window):
    window.select_dataset("iris")
    qtbot.waitUntil(lambda: window.panel.task == "multiclass", timeout=RUN_TIMEOUT)
    # The loss list follows the form's dataset: iris has three classes, no binary loss.
    losses = find(view, QListWidget, "compareLossList")
    qtbot.waitUntil(lambda: losses.count() == len(catalog.losses_for("multiclass")))
    rows = compare_and_wait(qtbot, view, "gdVariantsButton")
    assert [row.status for row in rows] == ["completed"] * 3
    n_train = view.run_info(0).n_train
    assert n_train == 120  # 150 flowers, 20% held out
    expected = [1, n_train, math.ceil(n_train / 32)]
    counts = [points(view.curves(i)["step"]) for i in range(3)]
    assert counts == [2 * per_epoch for per_epoch in expected]
    for i in range(3):
        assert points(view.curves(i)["time"]) == 3
        xs, _ = view.curves(i)["time"].getData()
        assert xs[0] == 0 and xs[1] > 0 and xs[2] > xs[1]  # seconds of training
    assert view.run_labels()[0].startswith("Batch")


def choose_engine(view, engine: str) -> None:
    combo = view.choices.engine_combo
    combo.setCurrentIndex(combo.findData(engine))


def test_stop_mid_comparison_then_the_window_trains_again(qtbot, view, window):
    window.findChild(QSpinBox, "epochsSpin").setValue(2000)
    view.set_optimizers(["sgd", "adam"])
    choose_engine(view, "sequential")
    click(qtbot, find(view, QPushButton, "compareButton"))
    assert view.is_comparing
    assert not find(view, QPushButton, "compareButton").isEnabled()
    qtbot.waitUntil(lambda: "Run 1 of 2: SGD" in view.status_label.text(), timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: view.run_info(0) is not None and view._runs[0].raw.buffer.n > 0)
    with qtbot.waitSignal(view.sig_comparison_finished, timeout=RUN_TIMEOUT) as blocker:
        click(qtbot, find(view, QPushButton, "compareStopButton"))
    assert [row.status for row in blocker.args[0]] == ["stopped", "skipped"]
    assert cell(view, 0, COL_STATUS) == "stopped"
    assert cell(view, 1, COL_STATUS) == "skipped"
    assert "Stopped after 1 of 2 runs" in view.status_label.text()
    assert find(view, QPushButton, "compareButton").isEnabled()
    view.draw_now()
    assert points(view.curves(0)["step"]) > 0

    window.findChild(QSpinBox, "epochsSpin").setValue(1)
    with qtbot.waitSignal(window.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        click(qtbot, window.findChild(QPushButton, "trainButton"))
    assert blocker.args == ["completed"]


def test_runs_trained_together_say_so_and_stop_together(qtbot, view, window):
    window.findChild(QSpinBox, "epochsSpin").setValue(2000)
    view.set_optimizers(["sgd", "adam"])
    choose_engine(view, "fused")
    click(qtbot, find(view, QPushButton, "compareButton"))
    qtbot.waitUntil(
        lambda: "Training 2 of 2 runs together" in view.status_label.text(), timeout=RUN_TIMEOUT
    )
    qtbot.waitUntil(lambda: all(view._runs[i].raw.buffer.n > 0 for i in (0, 1)))
    with qtbot.waitSignal(view.sig_comparison_finished, timeout=RUN_TIMEOUT) as blocker:
        click(qtbot, find(view, QPushButton, "compareStopButton"))
    assert [row.status for row in blocker.args[0]] == ["stopped", "stopped"]
    assert "Stopped 2 of 2 runs while training together" in view.status_label.text()
    # Both ran the same steps, each drawn in its own curve.
    assert view._runs[0].raw.buffer.n == view._runs[1].raw.buffer.n > 0
    qtbot.waitUntil(lambda: "fused" in view.engine_note, timeout=RUN_TIMEOUT)


def test_an_engine_error_is_a_message_not_a_traceback(qtbot, window, tmp_path):
    from trainers.config import RunConfig

    missing = str(tmp_path / "missing.csv")
    view = CompareView(window.worker, lambda: RunConfig(dataset=missing, epochs=1))
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.sig_comparison_finished, timeout=RUN_TIMEOUT) as blocker:
        click(qtbot, find(view, QPushButton, "compareButton"))
    assert blocker.args == [[]]
    assert view.banner.isVisible()
    assert "missing.csv" in view.banner.label.text()
    assert "Traceback" not in view.banner.label.text()
    assert not view.is_comparing
    assert find(view, QPushButton, "compareButton").isEnabled()
    view.close()


def test_a_comparison_that_breaks_ends_with_a_message_and_frees_the_view(qtbot, view, monkeypatch):
    from trainers import compare

    def broken(self):
        raise RuntimeError("a comparison broke")

    monkeypatch.setattr(compare.CompareSession, "run", broken)
    with qtbot.waitSignal(view.sig_comparison_finished, timeout=RUN_TIMEOUT) as blocker:
        click(qtbot, find(view, QPushButton, "compareButton"))
    assert blocker.args == [[]]
    assert "RuntimeError: a comparison broke" in view.banner.label.text()
    assert not view.is_comparing and find(view, QPushButton, "compareButton").isEnabled()
