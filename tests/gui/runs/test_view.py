"""The Runs tab with real widgets offscreen, on a library of real recorded runs: it lists,
filters, reopens and overlays curves, renames, tags, deletes, and follows the window's runs."""

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
)

from gui.runs.view import COL_NAME, COL_STATUS, SETTINGS_KEY, RunsView
from trainers.config import RunConfig
from trainers.runs import LibraryRecording, RunLibrary
from trainers.session import TrainingSession

RUN_TIMEOUT = 180_000


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory):
    """Three real runs, trained once for the module: two datasets, two optimizers."""
    folder = tmp_path_factory.mktemp("runs")
    with RunLibrary(folder) as library:
        for dataset, optimizer in (("moons", "adam"), ("moons", "sgd"), ("circles", "adam")):
            config = RunConfig(
                dataset=dataset, optimizer=optimizer, epochs=2, hidden_layers=(8,), seed=1
            )
            session = TrainingSession(config, LibraryRecording(library, source="window"))
            assert session.run().status == "completed"
    return folder


@pytest.fixture
def copy_dir(library_dir, tmp_path):
    """A copy of the module's library, for a test that edits it."""
    target = tmp_path / "copy"
    target.mkdir()
    with RunLibrary(library_dir) as source:
        source._db.execute(f"VACUUM INTO '{target / 'runs.sqlite'}'")
    return target


@pytest.fixture
def view(qtbot, settings, copy_dir):
    settings.setValue(SETTINGS_KEY, str(copy_dir))  # the window setting picks the folder
    widget = RunsView(None, settings)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    return widget


def find(widget, cls, name):
    child = widget.findChild(cls, name)
    assert child is not None, f"no {cls.__name__} named {name}"
    assert child.accessibleName()
    return child


def names_listed(view):
    table = find(view, QTableWidget, "runsTable")
    return sorted(table.item(row, COL_NAME).text() for row in range(table.rowCount()))


def choose(combo: QComboBox, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not offered"
    combo.setCurrentIndex(index)


def test_lists_every_run_and_filters_by_dataset_optimizer_and_search(qtbot, view, copy_dir):
    assert str(copy_dir) in find(view, QLabel, "runsFolderLabel").text()
    assert names_listed(view) == [
        "adam lr=0.001 · batch 32 · circles",
        "adam lr=0.001 · batch 32 · moons",
        "sgd lr=0.01 · batch 32 · moons",
    ]
    table = find(view, QTableWidget, "runsTable")
    assert {table.item(row, COL_STATUS).text() for row in range(3)} == {"completed"}

    datasets = find(view, QComboBox, "runsDatasetFilter")
    optimizers = find(view, QComboBox, "runsOptimizerFilter")
    assert [datasets.itemText(i) for i in range(datasets.count())] == ["All", "circles", "moons"]
    choose(datasets, "moons")
    qtbot.waitUntil(lambda: len(names_listed(view)) == 2)
    assert names_listed(view) == [
        "adam lr=0.001 · batch 32 · moons",
        "sgd lr=0.01 · batch 32 · moons",
    ]
    choose(optimizers, "sgd")
    qtbot.waitUntil(lambda: names_listed(view) == ["sgd lr=0.01 · batch 32 · moons"])
    choose(datasets, "All")
    choose(optimizers, "All")
    find(view, QLineEdit, "runsSearch").setText("circ")
    qtbot.waitUntil(lambda: names_listed(view) == ["adam lr=0.001 · batch 32 · circles"])


def test_columns_sort_by_number(qtbot, view):
    table = find(view, QTableWidget, "runsTable")
    column = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())].index(
        "Final loss"
    )
    table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    losses = [float(table.item(row, column).text()) for row in range(table.rowCount())]
    assert losses == sorted(losses) and len(set(losses)) == 3


def test_selecting_runs_reopens_and_overlays_their_curves(qtbot, view, copy_dir):
    with RunLibrary(copy_dir) as library:
        records = library.list_runs()
        curves = {r.id: library.curves(r.id) for r in records}
    first = records[0]
    view.select_runs([first.id])
    drawn = view.plotted()
    assert list(drawn) == [first.id]
    xs, ys = drawn[first.id]["raw"].getData()
    np.testing.assert_array_equal(xs, curves[first.id].steps)
    np.testing.assert_array_equal(ys, curves[first.id].losses)
    xs, ys = drawn[first.id]["val_loss"].getData()
    assert xs.tolist() == [0, 1, 2]
    np.testing.assert_allclose(ys, curves[first.id].history["val_loss"])
    details = view.findChild(object, "runsDetails").toPlainText()
    assert first.name in details and "tensorflow" in details
    assert find(view, QLineEdit, "runsNameEdit").text() == first.name

    view.select_runs([r.id for r in records])
    drawn = view.plotted()
    assert set(drawn) == {r.id for r in records}
    pens = {drawn[r.id]["step"].opts["pen"].color().name() for r in records}
    assert len(pens) == 3  # one colour per run
    assert len(view.curves.step_legend.items) == 3
    assert not find(view, QPushButton, "runsRenameButton").isEnabled()  # one at a time


def test_rename_and_tag_with_the_controls(qtbot, view, copy_dir):
    table = find(view, QTableWidget, "runsTable")
    table.selectRow(0)
    run_id = view.selected_ids()[0]
    name_edit = find(view, QLineEdit, "runsNameEdit")
    name_edit.setText("baseline for the paper")
    qtbot.mouseClick(find(view, QPushButton, "runsRenameButton"), Qt.MouseButton.LeftButton)
    tags = find(view, QLineEdit, "runsTagsEdit")
    assert view.selected_ids() == [run_id]  # the selection survives the reload
    tags.setText("keep, paper")
    qtbot.mouseClick(find(view, QPushButton, "runsTagButton"), Qt.MouseButton.LeftButton)
    with RunLibrary(copy_dir) as library:
        record = library.get(run_id)
    assert record.name == "baseline for the paper" and record.tags == ["keep", "paper"]
    assert "baseline for the paper" in names_listed(view)
    find(view, QLineEdit, "runsSearch").setText("paper")
    qtbot.waitUntil(lambda: names_listed(view) == ["baseline for the paper"])

    name_edit = find(view, QLineEdit, "runsNameEdit")
    view.select_runs([run_id])
    name_edit.setText("   ")
    qtbot.mouseClick(find(view, QPushButton, "runsRenameButton"), Qt.MouseButton.LeftButton)
    message = view.findChild(object, "runsMessage")
    assert message.isVisible() and "cannot be empty" in message.text()


def answer_next_dialog(button):
    def press():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, press)
            return
        assert isinstance(dialog, QMessageBox)
        dialog.button(button).click()

    QTimer.singleShot(0, press)


def test_delete_asks_first_and_removes_the_runs(qtbot, view, copy_dir):
    view.select_runs(view.run_ids()[:2])
    doomed = view.selected_ids()
    answer_next_dialog(QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(find(view, QPushButton, "runsDeleteButton"), Qt.MouseButton.LeftButton)
    assert len(view.run_ids()) == 3
    answer_next_dialog(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(find(view, QPushButton, "runsDeleteButton"), Qt.MouseButton.LeftButton)
    assert len(view.run_ids()) == 1 and not set(doomed) & set(view.run_ids())
    with RunLibrary(copy_dir) as library:
        assert [r.id for r in library.list_runs()] == view.run_ids()
    assert view.plotted() == {}


def test_a_folder_that_cannot_hold_a_library_shows_a_message(qtbot, view, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    assert not view.set_runs_folder(str(blocker))
    message = view.findChild(object, "runsMessage")
    assert message.isVisible() and str(blocker) in message.text()
    assert view.run_ids() == []


def test_runs_trained_in_the_window_appear_in_the_runs_tab(qtbot, window, tmp_path):
    window.runs_view.set_runs_folder(str(tmp_path / "window-library"))
    assert window.settings.value(SETTINGS_KEY) == str(tmp_path / "window-library")
    window.findChild(QSpinBox, "epochsSpin").setValue(2)
    with qtbot.waitSignal(window.sig_run_finished, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    view = window.runs_view
    assert view.run_ids() == []  # the hidden tab is not reloaded at every run's start and end
    window.view_tabs.setCurrentWidget(view)  # shown: it lists the run
    qtbot.waitUntil(lambda: len(view.run_ids()) == 1, timeout=10_000)
    table = view.findChild(QTableWidget, "runsTable")
    qtbot.waitUntil(lambda: table.item(0, COL_STATUS).text() == "completed", timeout=10_000)
    with RunLibrary(tmp_path / "window-library") as library:
        record = library.list_runs()[0]
        curves = library.curves(record.id)
    assert record.source == "window" and record.epochs_done == 2
    np.testing.assert_array_equal(curves.steps, np.arange(1, 21))  # moons: 10 steps an epoch
    tabs = [window.view_tabs.tabText(i) for i in range(window.view_tabs.count())]
    assert "Runs" in tabs


def test_in_a_narrow_tab_the_curves_go_under_the_table_and_are_not_cut_off(qtbot, view):
    from PySide6.QtCore import Qt

    assert view.splitter.orientation() == Qt.Orientation.Horizontal
    view.resize(612, 640)  # the Runs tab of a 1024x700 window
    qtbot.wait(20)
    assert view.splitter.orientation() == Qt.Orientation.Vertical
    for plot in (view.step_plot, view.epoch_plot):
        right = plot.mapTo(view, plot.rect().topRight()).x()
        assert right <= view.width(), "a plot reaches past the tab's right edge"
    view.resize(1200, 700)
    qtbot.wait(20)
    assert view.splitter.orientation() == Qt.Orientation.Horizontal
