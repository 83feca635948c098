"""Faults during a run, in the real window: buttons hammered, Train pressed the moment a run
ends, a data file deleted before training, a save that fails, an error inside training. Each
ends in a message, keeps the curves so far, and leaves the window ready for the next run."""

import errno
import random
import time

import keras
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QSpinBox

from tests.gui.test_main_window import RUN_TIMEOUT, find, train_and_wait
from tests.trainers.test_model_fit import saved
from trainers import session as session_module


def short_run(window, epochs=2):
    window.select_dataset("iris")
    find(window, QSpinBox, "epochsSpin").setValue(epochs)


def test_train_pressed_the_moment_a_run_ends_starts_the_next_run(qtbot, window, monkeypatch):
    original_run = session_module.TrainingSession.run

    def run_then_tidy_up_slowly(self):
        result = original_run(self)
        time.sleep(0.5)  # the engine still busy (a slow disk, say) after the window heard
        return result

    monkeypatch.setattr(session_module.TrainingSession, "run", run_then_tidy_up_slowly)
    short_run(window)
    statuses, accepted = [], []

    def train_again(status):
        statuses.append(status)
        if len(statuses) == 1:
            window.start_training()  # at once, while the engine is still tidying up
            accepted.append(window.running)

    window.sig_run_finished.connect(train_again)
    assert train_and_wait(qtbot, window) == "completed"
    assert accepted == [True], "Train pressed as the run ended was refused"
    qtbot.waitUntil(lambda: len(statuses) == 2, timeout=RUN_TIMEOUT)
    assert statuses == ["completed", "completed"]
    window.sig_run_finished.disconnect(train_again)


def test_train_pressed_the_moment_a_stop_lands_starts_the_next_run(qtbot, window):
    find(window, QSpinBox, "epochsSpin").setValue(2000)
    qtbot.mouseClick(find(window, QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.step_plot.buffer.n > 0, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        window.stop_training()
    assert blocker.args == ["stopped"]
    short_run(window)
    assert train_and_wait(qtbot, window) == "completed"
    assert window.last_result.epochs_done == 2


def test_stop_pause_and_resume_hammered_in_quick_succession(qtbot, window):
    pick = random.Random(7)
    pause = find(window, QPushButton, "pauseButton")
    stop = find(window, QPushButton, "stopButton")
    train = find(window, QPushButton, "trainButton")
    find(window, QSpinBox, "epochsSpin").setValue(2000)
    ended = []
    window.sig_run_finished.connect(ended.append)
    for _round in range(3):
        qtbot.mouseClick(train, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.training.step_plot.buffer.n > 0, timeout=RUN_TIMEOUT)
        for _click in range(30):
            button = pick.choice([pause, pause, pause, stop, train])
            if button.isEnabled():
                qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            qtbot.wait(pick.randint(0, 15))
        window.stop_training()  # whatever state the clicks left, a stop ends the run
        qtbot.waitUntil(lambda: not window.running, timeout=RUN_TIMEOUT)
        assert pause.text() == "Pause" and not pause.isChecked()
        assert window.training.step_plot.buffer.n > 0  # the curve of the stopped run stays
    assert set(ended) <= {"stopped", "completed"} and len(ended) >= 3
    window.sig_run_finished.disconnect(ended.append)
    short_run(window)
    assert train_and_wait(qtbot, window) == "completed"


def test_a_csv_deleted_between_choosing_and_training(qtbot, window, tmp_path):
    path = tmp_path / "measurements.csv"
    rows = [f"{i % 7},{(i * 3) % 5},{'ab'[i % 2]}" for i in range(40)]
    path.write_text("f1,f2,label\n" + "\n".join(rows) + "\n")
    with qtbot.waitSignal(window.worker.sig_dataset, timeout=RUN_TIMEOUT):
        window.open_dataset_file(str(path))
    assert not window.banner.isVisible()
    path.unlink()

    assert train_and_wait(qtbot, window) == "failed"
    text = window.banner.label.text()
    assert "measurements.csv" in text and "does not exist" in text
    assert window.banner.label.property("severity") == "error"
    short_run(window)
    assert train_and_wait(qtbot, window) == "completed"


def test_a_folder_that_cannot_be_written_keeps_the_run_for_another(qtbot, window, tmp_path):
    short_run(window)
    assert train_and_wait(qtbot, window) == "completed"
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with qtbot.waitSignal(window.worker.sig_saved, timeout=RUN_TIMEOUT):
        window.save_run(str(blocker / "run"))  # a folder inside a file: cannot be made
    assert window.banner.label.property("severity") == "error"
    assert "Cannot write the run" in window.banner.label.text()
    assert window.save_action.isEnabled()  # the run is still there to save elsewhere
    good = tmp_path / "good"
    with qtbot.waitSignal(window.worker.sig_saved, timeout=RUN_TIMEOUT) as saved:
        window.save_run(str(good))
    assert saved.args == [str(good), ""]
    assert (good / "model.keras").is_file() and (good / "steps.csv").is_file()


def test_a_full_disk_while_saving_the_model_keeps_the_curves(qtbot, window, tmp_path, monkeypatch):
    short_run(window)
    assert train_and_wait(qtbot, window) == "completed"

    def disk_full(self, *args, **kwargs):  # what the file system says when the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", disk_full)
    folder = tmp_path / "run"
    with qtbot.waitSignal(window.worker.sig_saved, timeout=RUN_TIMEOUT) as saved:
        window.save_run(str(folder))
    error = saved.args[1]
    assert "No space left on device" in error and "the disk has room" in error
    assert error in window.banner.label.text()
    assert (folder / "steps.csv").is_file() and (folder / "history.csv").is_file()
    monkeypatch.undo()
    with qtbot.waitSignal(window.worker.sig_saved, timeout=RUN_TIMEOUT) as saved:
        window.save_run(str(folder))
    assert saved.args[1] == "" and (folder / "model.keras").is_file()


def test_an_error_inside_training_shows_a_message_and_keeps_the_curves(qtbot, window, monkeypatch):
    original = session_module._Reporter.on_epoch_end

    def broken(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == 1:
            raise RuntimeError("a callback broke")

    monkeypatch.setattr(session_module._Reporter, "on_epoch_end", broken)
    short_run(window, epochs=5)
    assert train_and_wait(qtbot, window) == "failed"
    assert "RuntimeError: a callback broke" in window.banner.label.text()
    assert window.banner.label.property("severity") == "error"
    result = window.last_result
    assert (
        result.epochs_done == 2
        and len(result.step_losses) == window.training.step_plot.buffer.n > 0
    )
    assert window.save_action.isEnabled()
    monkeypatch.undo()
    assert train_and_wait(qtbot, window) == "completed"


def test_a_loaded_model_that_does_not_fit_the_loss_is_refused_before_training(
    qtbot, window, tmp_path
):
    # One sigmoid unit for iris's three classes under sparse categorical cross-entropy.
    path = saved(tmp_path, "iris", 1, "sigmoid")
    short_run(window)
    window.panel.set_model_path(path)
    assert train_and_wait(qtbot, window) == "failed"
    text = window.banner.label.text()
    assert "model.keras ends in 1 unit with sigmoid" in text and "3 units" in text, text
    assert window.banner.label.property("severity") == "error"
    assert window.training.step_plot.buffer.n == 0  # refused: not one step trained
    window.panel.set_model_path(None)
    assert train_and_wait(qtbot, window) == "completed"
