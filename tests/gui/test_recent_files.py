"""File habits with real files and a real settings file: the recent list (File > Open recent),
dialogs that start in the folder last used, File > Open configuration into the form, and Save
run into a folder that does not exist yet. The window runs on a replaying worker (no
TensorFlow); its dialogs are Qt's own, opened window-modal, so a test can answer them."""

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from gui import recent
from tests.gui.replay import recorded_run, replayed_window
from trainers.config import RunConfig


def files(tmp_path, count, suffix=".csv"):
    paths = []
    for i in range(count):
        path = tmp_path / f"data{i}{suffix}"
        path.write_text("x,y\n1,0\n2,1\n")
        paths.append(path)
    return paths


def test_the_recent_list_is_newest_first_at_most_ten_and_forgets_files_gone(settings, tmp_path):
    paths = files(tmp_path, 12)
    for path in paths:
        recent.remember(settings, "data", path)
    recent.remember(settings, "data", paths[3])  # opened again: back to the top, once
    listed = [path for _, path in recent.recent_files(settings)]
    assert listed[0] == str(paths[3]) and listed.count(str(paths[3])) == 1
    assert len(listed) == recent.MAX_RECENT and listed[1] == str(paths[11])
    paths[11].unlink()
    assert str(paths[11]) not in [p for _, p in recent.recent_files(settings)]
    assert len(recent.recent_files(settings)) == recent.MAX_RECENT - 1


def test_each_kind_of_dialog_starts_where_the_last_one_of_its_kind_ended(settings, tmp_path):
    (tmp_path / "models").mkdir()
    [data] = files(tmp_path, 1)
    model = tmp_path / "models" / "net.keras"
    model.write_bytes(b"PK")
    assert recent.last_folder(settings, "data") == ""
    recent.remember(settings, "data", data)
    recent.remember(settings, "model", model)
    assert recent.last_folder(settings, "data") == str(tmp_path)
    assert recent.last_folder(settings, "model") == str(tmp_path / "models")
    assert recent.last_folder(settings, "exports") == str(tmp_path / "models")  # the last of any
    (tmp_path / "models" / "net.keras").unlink()
    (tmp_path / "models").rmdir()
    assert recent.last_folder(settings, "model") == str(tmp_path)  # gone: the folder above


@pytest.fixture
def window(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DESCENT_RUNS_DIR", str(tmp_path / "library"))
    win = replayed_window(qtbot, settings)
    yield win
    win.close()


def answer(window, path):
    """Answer the window's open file dialog with `path`; returns the folder it started in."""
    QApplication.processEvents()
    dialogs = [d for d in window.findChildren(QFileDialog) if d.isVisible()]
    assert len(dialogs) == 1, dialogs
    [dialog] = dialogs
    started = dialog.directory().absolutePath()
    # Typed into the name box as a user would: a new folder relative to the folder shown.
    typed = str(path) if path.exists() else str(path.relative_to(started))
    dialog.findChild(QLineEdit, "fileNameEdit").setText(typed)
    dialog.accept()
    QApplication.processEvents()
    return started


def write_config(path, **settings):
    path.write_text(RunConfig(**settings).to_toml())
    return path


def test_open_configuration_fills_the_form_starts_in_the_last_folder_and_is_recent(
    window, tmp_path
):
    folder = tmp_path / "configs"
    folder.mkdir()
    first = write_config(folder / "a.toml", dataset="wine", optimizer="adagrad", epochs=4)
    second = write_config(
        folder / "b.toml",
        dataset="circles",
        optimizer="nesterov",
        epochs=11,
        batch_size=8,
        seed=5,
        hidden_layers=(5,),
    )
    assert window.open_configuration(str(first))
    window.findChild(type(window.save_action), "openConfigAction").trigger()
    assert answer(window, second) == str(folder)
    assert not window.banner.isVisible(), window.banner.label.text()
    built = window.build_config()
    assert (built.dataset, built.optimizer, built.epochs, built.batch_size, built.seed) == (
        "circles",
        "nesterov",
        11,
        8,
        5,
    )
    assert built.validate().hidden_layers == (5,)
    assert [p for _, p in recent.recent_files(window.settings)][:2] == [str(second), str(first)]


def test_a_bad_configuration_is_refused_in_the_banner_naming_the_file(window, tmp_path):
    before = window.build_config()
    bad = tmp_path / "bad.toml"
    bad.write_text('optimizer = "adamw2"\nepochs = 3\n')
    assert not window.open_configuration(str(bad))
    text = window.banner.label.text()
    assert window.banner.isVisible() and window.banner.severity == "error"
    assert "bad.toml" in text and "adamw2" in text and len(text) < 400
    assert window.build_config() == before
    broken = tmp_path / "broken.toml"
    broken.write_text("epochs = = 3\n")
    assert not window.open_configuration(str(broken))
    assert window.build_config() == before


def test_open_recent_reopens_a_configuration_and_drops_one_that_is_gone(window, tmp_path):
    kept = write_config(tmp_path / "kept.toml", dataset="xor", optimizer="adadelta")
    gone = write_config(tmp_path / "gone.toml", dataset="blobs")
    recent.remember(window.settings, "config", kept)
    recent.remember(window.settings, "config", gone)
    gone.unlink()
    window.recent_menu.menu.aboutToShow.emit()
    entries = [a for a in window.recent_menu.menu.actions() if a.toolTip() == str(kept)]
    assert [a.toolTip() for a in window.recent_menu.menu.actions()].count(str(gone)) == 0
    [entry] = entries
    entry.trigger()
    assert window.build_config().optimizer == "adadelta"


def test_save_run_accepts_a_new_folder_name(window, tmp_path):
    window.start_training()
    [(_, config)] = [r for r in window.worker.requests if r[0] == "run"]
    events, _ = recorded_run(window.worker.job, config)
    window.worker.play(events)
    assert window.save_action.isEnabled()
    recent.remember(window.settings, "run", tmp_path / "earlier")  # the dialog starts here
    window.save_action.trigger()
    new_folder = tmp_path / "new" / "my run"  # typed as "new/my run": two new folders
    assert answer(window, new_folder) == str(tmp_path)
    assert ("save", str(new_folder)) in window.worker.requests
    assert window.settings.value(recent.FOLDER_KEY.format(kind="run")) == str(tmp_path / "new")
