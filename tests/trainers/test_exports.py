"""Exports round-trip: CSV to the same numbers, TOML to the same run, `.keras` to the same
predictions in a fresh process, TensorBoard events to the epoch losses, and curves to valid
PNG and SVG files. Safe loading never runs code from a model file."""

import csv
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import main
from trainers import datasets, models
from trainers.config import RunConfig
from trainers.errors import ConfigError, TrainingError
from trainers.events import EpochEnded, Finished, Started
from trainers.exports import TensorBoardLog, export_curves, write_config_toml
from trainers.session import TrainingSession
from trainers.storage import save_run

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def run():
    """One short real run, shared: moons, 3 epochs of Adam."""
    config = RunConfig(dataset="moons", optimizer="adam", epochs=3, batch_size=32, seed=3)
    result = TrainingSession(config).run()
    assert result.status == "completed"
    return result


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def event_scalars(folder: Path) -> dict[str, dict[int, float]]:
    """Every scalar in the event files under `folder`, read back with TensorFlow alone."""
    found: dict[str, dict[int, float]] = {}
    for path in sorted(folder.rglob("events.out.tfevents.*")):
        run = path.parent.name
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "scalars":
                    number = float(tf.make_ndarray(value.tensor))
                    found.setdefault(f"{run}/{value.tag}", {})[int(event.step)] = number
    return found


def test_curves_csv_reads_back_to_the_same_numbers(run, tmp_path):
    paths = export_curves(run, tmp_path / "curves")
    assert [p.name for p in paths] == ["history.csv", "steps.csv"]
    steps = read_csv(tmp_path / "curves" / "steps.csv")
    np.testing.assert_array_equal([int(r["step"]) for r in steps], run.step_numbers)
    np.testing.assert_array_equal([float(r["loss"]) for r in steps], run.step_losses)
    history = read_csv(tmp_path / "curves" / "history.csv")
    assert [int(r["epoch"]) for r in history] == [0, 1, 2, 3]
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert float(history[0][key]) == run.info.initial_logs[key]
        assert [float(r[key]) for r in history[1:]] == run.history[key]


def test_curves_to_a_folder_that_cannot_be_made_is_a_clear_error(run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(TrainingError, match="Cannot write the curves"):
        export_curves(run, blocker / "curves")


def test_run_toml_reruns_to_identical_step_losses(run, tmp_path):
    save_run(run, tmp_path / "first", save_model=False)
    toml = tmp_path / "first" / "run.toml"
    assert toml.read_text().startswith("# A Descent run configuration")
    assert RunConfig.from_file(toml).validate() == run.config
    second = tmp_path / "second"
    argv = ["train", "--config", str(toml), "--quiet", "--no-model", "--out", str(second)]
    assert main.main(argv) == 0
    rerun = read_csv(second / "steps.csv")
    np.testing.assert_array_equal([float(r["loss"]) for r in rerun], run.step_losses)


def test_write_config_toml_adds_the_suffix_that_config_needs(run, tmp_path):
    path = write_config_toml(run.config, tmp_path / "settings")
    assert path.name == "settings.toml"
    assert RunConfig.from_file(path).validate() == run.config


def test_model_reloads_in_a_fresh_process_only_after_import_trainers(run, tmp_path):
    save_run(run, tmp_path, save_model=True)
    data = datasets.get("moons", seed=3)
    mean, std = data.feature_scale
    np.save(tmp_path / "x.npy", data.x_val[:16].astype(np.float64) * std + mean)  # raw points
    expected = keras.ops.convert_to_numpy(run.model(data.x_val[:16], training=False))
    script = """
import sys
import keras
import numpy as np
path, x = sys.argv[1], np.load(sys.argv[2])
assert "trainers" not in sys.modules
try:
    keras.saving.load_model(path)
except Exception as exc:
    print("WITHOUT:", exc)
else:
    print("WITHOUT: loaded")
import trainers.keras_objects
model = keras.saving.load_model(path)
print("OPTIMIZER:", type(model.optimizer).__module__)
np.save(sys.argv[3], keras.ops.convert_to_numpy(model.predict(x, verbose=0)))
"""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(tmp_path / "model.keras"),
            str(tmp_path / "x.npy"),
            str(tmp_path / "y.npy"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    without = next(line for line in done.stdout.splitlines() if line.startswith("WITHOUT:"))
    assert "descent>Adam" in without and "Could not locate class" in without
    assert "OPTIMIZER: trainers.optimizers" in done.stdout
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-5, atol=1e-6)


def code_carrying_model(marker: Path) -> keras.Model:
    """A model whose Lambda layer writes `marker` whenever its function runs."""

    def make(path: str):
        return lambda t: (open(path, "w").write("ran"), t)[1]

    inputs = keras.Input((2,))
    hidden = keras.layers.Lambda(make(str(marker)))(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(hidden))


def test_safe_loading_never_runs_a_lambda_from_the_file(tmp_path):
    marker = tmp_path / "marker.txt"
    model = code_carrying_model(marker)
    assert marker.exists()  # building the model ran the function: the trap works
    marker.unlink()
    model.save(tmp_path / "trap.keras")
    with pytest.raises(ConfigError, match="never runs code from a model file") as caught:
        models.load_user_model(tmp_path / "trap.keras", datasets.get("moons"))
    assert "trap.keras" in str(caught.value) and "Lambda" in str(caught.value)
    assert not marker.exists()
    # The same file loaded unsafely does run the code: what the check above protects against.
    keras.saving.load_model(tmp_path / "trap.keras", safe_mode=False)
    assert marker.exists()


def test_safe_loading_refuses_a_renamed_hdf5_file_without_running_it(tmp_path):
    marker = tmp_path / "marker.txt"
    code_carrying_model(marker).save(tmp_path / "trap.h5")
    marker.unlink()
    (tmp_path / "trap.keras").write_bytes((tmp_path / "trap.h5").read_bytes())
    with pytest.raises(ConfigError, match="not a .keras model file"):
        models.load_user_model(tmp_path / "trap.keras", datasets.get("moons"))
    assert not marker.exists()


def test_a_run_with_a_trapped_model_fails_as_bad_input_and_runs_nothing(tmp_path, capsys):
    marker = tmp_path / "marker.txt"
    code_carrying_model(marker).save(tmp_path / "trap.keras")
    marker.unlink()
    argv = ["train", "--dataset", "moons", "--model", str(tmp_path / "trap.keras"), "--epochs"]
    assert main.main([*argv, "1", "--quiet"]) == 2  # refused before anything trains
    assert "never runs code from a model file" in capsys.readouterr().err
    assert not marker.exists()


def test_tensorboard_events_hold_the_epoch_and_step_losses(tmp_path):
    config = RunConfig(dataset="moons", optimizer="sgd", epochs=2, batch_size=64, seed=1)
    result = TrainingSession(config, tensorboard_dir=tmp_path / "logs").run()
    assert result.status == "completed"
    scalars = event_scalars(tmp_path / "logs")
    initial = result.info.initial_logs
    for run, prefix in (("train", ""), ("validation", "val_")):
        for key in ("loss", "accuracy"):
            written = scalars[f"{run}/epoch_{key}"]
            expected = [initial[prefix + key], *result.history[prefix + key]]
            assert sorted(written) == [0, 1, 2]
            np.testing.assert_allclose([written[e] for e in (0, 1, 2)], expected, rtol=1e-6)
    steps = scalars["train/step_loss"]
    assert sorted(steps) == result.step_numbers.tolist()
    np.testing.assert_allclose([steps[s] for s in sorted(steps)], result.step_losses, rtol=1e-6)


def test_the_runs_listener_hears_every_event_beside_the_tensorboard_log(tmp_path):
    class Counting:
        def __init__(self):
            self.events = []

        def __call__(self, event):
            match event:
                case Started():
                    self.events.append("started")
                case EpochEnded(epoch=epoch):
                    self.events.append(epoch)
                case Finished():
                    self.events.append("finished")

    inner = Counting()
    config = RunConfig(dataset="moons", epochs=2, batch_size=64)
    session = TrainingSession(config, inner, tensorboard_dir=tmp_path / "logs")
    session.run()
    assert inner.events == ["started", 1, 2, "finished"]
    assert isinstance(session.tensorboard_log, TensorBoardLog)
    assert session.tensorboard_log.folder == tmp_path / "logs"


def test_cli_tensorboard_and_plots(tmp_path):
    out, logs = tmp_path / "run", tmp_path / "logs"
    argv = ["train", "--dataset", "moons", "--epochs", "2", "--quiet", "--no-model"]
    assert main.main([*argv, "--out", str(out), "--plots", "--tensorboard", str(logs)]) == 0
    png = (out / "curves.png").read_bytes()
    assert png.startswith(PNG_MAGIC)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (2400, 1800)
    root = ET.parse(out / "curves.svg").getroot()
    assert root.tag == f"{SVG}svg"
    shapes = [e for e in root.iter() if e.tag in (f"{SVG}path", f"{SVG}polyline")]
    texts = "".join(e.text or "" for e in root.iter(f"{SVG}text"))
    assert len(shapes) > 10 and "Loss by epoch" in texts and "Accuracy by epoch" in texts
    history = read_csv(out / "history.csv")
    written = event_scalars(logs)["train/epoch_loss"]
    np.testing.assert_allclose(
        [written[e] for e in (0, 1, 2)], [float(r["loss"]) for r in history], rtol=1e-6
    )


def test_cli_refuses_plots_without_out_and_a_log_folder_it_cannot_make(tmp_path, capsys):
    argv = ["train", "--dataset", "moons", "--epochs", "1", "--quiet"]
    assert main.main([*argv, "--plots"]) == 2
    assert "--out" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main.main([*argv, "--tensorboard", str(blocker / "logs")]) == 2
    err = capsys.readouterr().err
    assert "Cannot use" in err and "TensorBoard" in err and "Traceback" not in err


def test_the_engine_imports_neither_qt_nor_gui():
    """`trainers` runs headless on servers without Qt: only main.py hands it the plot drawer."""
    import ast

    root = Path(__file__).resolve().parents[2] / "trainers"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("gui", "PySide6")
            ]
    assert offenders == []


def test_cli_without_a_plot_drawer_saves_the_run_and_says_how_to_get_plots(tmp_path, capsys):
    from trainers import cli

    out = tmp_path / "run"
    argv = ["train", "--dataset", "moons", "--epochs", "1", "--quiet", "--no-model"]
    assert cli.main([*argv, "--out", str(out), "--plots"]) == 1
    assert (out / "history.csv").exists() and not (out / "curves.png").exists()
    err = capsys.readouterr().err
    assert "main.py train" in err and "Traceback" not in err
