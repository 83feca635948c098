"""The Runs tab's "Load settings" and "Rerun": a run recorded by the engine goes back into the
window's side panel, and Rerun trains exactly its settings again (the window on a replaying
worker, which shows the config it was asked to train)."""

import pytest
from PySide6.QtWidgets import QPushButton

from gui.runs.view import SETTINGS_KEY
from tests.gui.replay import replayed_window
from trainers.config import RunConfig
from trainers.runs import LibraryRecording, RunLibrary
from trainers.session import TrainingSession

RECORDED = RunConfig(
    dataset="circles",
    dataset_options={"samples": 200, "noise": 0.1},
    loss_options={"from_logits": False},
    optimizer="rmsprop",
    hyperparameters={"learning_rate": 0.004, "rho": 0.85, "epsilon": 1e-07},
    loss="binary_crossentropy",
    epochs=2,
    batch_size=16,
    hidden_layers=(6,),
    activation="tanh",
    seed=3,
    validation_split=0.25,
)


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    with RunLibrary(folder) as library:
        session = TrainingSession(RECORDED, LibraryRecording(library, source="cli"))
        assert session.run().status == "completed"
    return folder


@pytest.fixture
def window(qtbot, settings, library_dir):
    settings.setValue(SETTINGS_KEY, str(library_dir))
    win = replayed_window(qtbot, settings)
    win.view_tabs.setCurrentWidget(win.runs_view)
    win.runs_view.refresh()
    yield win
    win.close()


def test_load_settings_puts_the_recorded_run_into_the_form(window):
    view = window.runs_view
    load = view.findChild(QPushButton, "runsLoadButton")
    assert not load.isEnabled()  # nothing selected
    view.select_runs(view.run_ids()[:1])
    assert load.isEnabled()
    load.click()
    assert window.view_tabs.currentWidget() is window.training
    assert window.build_config().validate() == RECORDED.validate()
    assert not [r for r in window.worker.requests if r[0] == "run"]  # loaded, not trained


def test_rerun_trains_the_recorded_settings_again(window):
    view = window.runs_view
    view.select_runs(view.run_ids()[:1])
    view.findChild(QPushButton, "runsRerunButton").click()
    [(_, config)] = [r for r in window.worker.requests if r[0] == "run"]
    assert config.validate() == RECORDED.validate()
    assert window.running
