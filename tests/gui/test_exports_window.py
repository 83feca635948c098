"""The window's File > Export menu on a real run: CSV, PNG/SVG, TOML and TensorBoard logs."""

import csv
import xml.etree.ElementTree as ET

import numpy as np
import tensorflow as tf
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton, QSpinBox

from trainers.config import RunConfig

RUN_TIMEOUT = 180_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def train_and_wait(qtbot, win, epochs: int) -> str:
    win.findChild(QSpinBox, "epochsSpin").setValue(epochs)
    with qtbot.waitSignal(win.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(win.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    return blocker.args[0]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def epoch_losses(folder) -> dict[int, float]:
    """train/epoch_loss from the event files of the one run logged under `folder`."""
    runs = [p for p in folder.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    found = {}
    for path in (runs[0] / "train").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == "epoch_loss":
                    found[int(event.step)] = float(tf.make_ndarray(value.tensor))
    return found


def test_export_actions_write_the_last_runs_files(qtbot, window, tmp_path):
    logs = tmp_path / "tensorboard"
    window.exports.set_tensorboard_dir(str(logs))
    assert window.exports.tensorboard_action.isChecked()
    assert window.settings.value("exports/tensorboard_dir") == str(logs)
    assert train_and_wait(qtbot, window, epochs=2) == "completed"
    result = window.last_result

    window.exports.menu.aboutToShow.emit()
    for name in ("exportCurvesAction", "exportPlotsAction", "exportConfigAction"):
        assert window.findChild(QAction, name).isEnabled()

    paths = window.exports.export_curves(tmp_path / "csv")
    assert {p.name for p in paths} == {"history.csv", "steps.csv"}
    steps = read_csv(tmp_path / "csv" / "steps.csv")
    np.testing.assert_array_equal([float(r["loss"]) for r in steps], result.step_losses)
    history = read_csv(tmp_path / "csv" / "history.csv")
    assert [float(r["loss"]) for r in history[1:]] == result.history["loss"]

    pictures = window.exports.export_plots(tmp_path / "pictures" / "curves.png")
    assert [p.name for p in pictures] == ["curves.png", "curves.svg"]
    assert pictures[0].read_bytes().startswith(PNG_MAGIC)
    svg = ET.parse(pictures[1]).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "Exported" in window.status_label.text()

    [toml] = window.exports.export_config(tmp_path / "run.toml")
    assert RunConfig.from_file(toml).validate() == result.config

    written = epoch_losses(logs)
    expected = [result.info.initial_logs["loss"], *result.history["loss"]]
    np.testing.assert_allclose([written[e] for e in (0, 1, 2)], expected, rtol=1e-6)

    window.exports.set_tensorboard_dir(None)
    assert not window.exports.tensorboard_action.isChecked()
    assert train_and_wait(qtbot, window, epochs=1) == "completed"
    assert len([p for p in logs.iterdir() if p.is_dir()]) == 1  # no logs for the second run


def test_export_without_a_run_says_so_and_writes_nothing(window, tmp_path):
    window.exports.menu.aboutToShow.emit()
    assert not window.findChild(QAction, "exportCurvesAction").isEnabled()
    assert window.exports.export_curves(tmp_path / "csv") == []
    assert window.exports.export_plots(tmp_path / "curves.png") == []
    assert not (tmp_path / "csv").exists() and not (tmp_path / "curves.png").exists()
    assert "train one first" in window.banner.label.text()


def test_an_export_that_cannot_be_written_shows_the_reason(qtbot, window, tmp_path):
    assert train_and_wait(qtbot, window, epochs=1) == "completed"
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert window.exports.export_curves(blocker / "csv") == []
    assert "Cannot write the curves" in window.banner.label.text()
    assert window.banner.label.property("severity") == "error"


def test_export_as_a_script_writes_run_py_that_trains_the_run_again(qtbot, window, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    assert train_and_wait(qtbot, window, epochs=2) == "completed"
    result = window.last_result
    window.exports.menu.aboutToShow.emit()
    assert window.findChild(QAction, "exportScriptAction").isEnabled()
    paths = window.exports.export_script(tmp_path / "script")
    assert {p.name for p in paths} == {"run.py", "run_data.npz"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(tmp_path / "script" / "run.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    steps = read_csv(tmp_path / "script" / "run_steps.csv")
    np.testing.assert_allclose([float(r["loss"]) for r in steps], result.step_losses, rtol=1e-6)
