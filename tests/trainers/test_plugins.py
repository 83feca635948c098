"""Plugins: files on disk with real Keras classes, loaded from the plugin folder or --plugin,
offered by the catalog and the CLI, trained, checked by check-plugin; broken ones reported
with their traceback and skipped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import trainers.keras_objects  # noqa: F401  (Keras and our classes, as every command loads them)
from tests.trainers import plugin_files
from tests.trainers.plugin_files import BROKEN, FROM_SIGNATURE, NAN_SGD, SIGN_SGD, write
from trainers import catalog, optimizers, plugins
from trainers.cli import main

ROOT = Path(__file__).resolve().parents[2]
plugin_folder = plugin_files.plugin_folder  # the fixture: a temporary plugin folder


def test_a_plugin_in_the_folder_is_in_the_catalog_list_and_help(plugin_folder, capsys):
    path = write(plugin_folder, "sign_sgd.py", SIGN_SGD)
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    line = next(line for line in listed.splitlines() if "sign_sgd" in line)
    assert "Sign SGD" in line and f"plugin sign_sgd.py, plugin folder: {path}" in line
    info = catalog.optimizer_info("sign_sgd")
    assert info.params[0].default == 0.01 and info.params[0].log_scale
    assert info.params[0].search == pytest.approx((1e-4, 10.0))
    assert plugins.origin("sign_sgd").path == path
    from trainers.cli.parser import build_parser

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    assert "sign_sgd" in train.format_help() and "--plugin" in train.format_help()


def test_without_a_catalog_entry_the_signature_gives_the_hyperparameters(plugin_folder, tmp_path):
    plugin = plugins.load_plugin(write(tmp_path, "damped.py", FROM_SIGNATURE))
    assert plugin.ok, plugin.error
    assert plugin.classes == {"damped_sgd": "DampedSGD", "mean_quartic": "MeanQuartic"}
    params = {p.name: p for p in catalog.optimizer_info("damped_sgd").params}
    assert list(params) == ["learning_rate", "beta_1", "damping", "steps", "centered"]
    rate = params["learning_rate"]
    assert rate.low == 0 and rate.low_open and rate.log_scale and rate.search == (5e-4, 50.0)
    assert params["beta_1"].range_text() == "[0, 1)"
    assert params["damping"].range_text() == "[0, inf)"
    assert params["steps"].kind == "int" and params["centered"].kind == "bool"
    loss = catalog.loss_info("mean_quartic")
    assert loss.tasks == ("regression",) and loss.defaults() == {"power": 4}
    optimizer = optimizers.get("damped_sgd", damping=4.0)
    assert optimizer.get_config()["damping"] == 4.0


def test_broken_plugins_are_reported_and_skipped_and_the_rest_loads(plugin_folder, capsys):
    for name, text in BROKEN.items():
        write(plugin_folder, name, text)
    write(plugin_folder, "sign_sgd.py", SIGN_SGD)
    assert main(["list"]) == 0  # Descent still runs
    out, err = capsys.readouterr()
    assert "sign_sgd" in out and "taken_sgd" not in out
    failed = [line for line in err.splitlines() if "skipped" in line]
    assert len(failed) == len(BROKEN)  # one line each
    loaded = {p.path.name: p for p in plugins.LOADED if p.path.parent == plugin_folder}
    assert loaded["sign_sgd.py"].ok
    assert "SyntaxError" in loaded["syntax.py"].error
    assert "Traceback" in loaded["raises.py"].error
    assert "this plugin refuses to load" in loaded["raises.py"].error
    assert "already has optimizer 'sgd'" in loaded["taken.py"].error
    assert "defines no keras.optimizers.Optimizer" in loaded["empty.py"].error
    assert catalog.optimizer_info("sgd").implementation == "trainers.optimizers.sgd:SGD"


def test_a_config_naming_a_plugin_optimizer_is_refused_without_the_plugin(
    plugin_folder, tmp_path, capsys
):
    config = tmp_path / "run.toml"
    config.write_text('optimizer = "sign_sgd"\ndataset = "sine"\nepochs = 1\n')
    assert main(["train", "--config", str(config), "--runs-dir", str(tmp_path / "lib")]) == 2
    err = capsys.readouterr().err
    assert "Unknown optimizer 'sign_sgd'. Known: sgd," in err
    assert f"Plugins load from {plugin_folder} or with --plugin FILE.py" in err
    assert not any(p.path.name == "sign_sgd.py" for p in plugins.LOADED)


def test_a_plugin_optimizer_trains_and_its_model_reloads(plugin_folder, tmp_path):
    import keras

    path = write(tmp_path, "sign_sgd.py", SIGN_SGD)
    out = tmp_path / "run"
    code = main(
        ["train", "--plugin", str(path), "--optimizer", "sign_sgd", "--dataset", "sine"]
        + ["--epochs", "3", "--out", str(out), "--runs-dir", str(tmp_path / "lib"), "--quiet"]
    )
    assert code == 0
    model = keras.saving.load_model(out / "model.keras")
    assert type(model.optimizer).__name__ == "SignSGD"

    from trainers.config import RunConfig
    from trainers.session import TrainingSession

    # As the window trains it, with the optimizer probe on (a plain Keras optimizer has no
    # effective rate to read; its updates are still measured).
    result = TrainingSession(
        RunConfig(dataset="sine", optimizer="sign_sgd", epochs=3), inspect_optimizer=True
    ).run()
    assert result.status == "completed"
    assert result.history["loss"][-1] < result.info.initial_logs["loss"]


def test_the_quick_checks_find_a_nan_update(plugin_folder, tmp_path):
    from trainers import conformance

    plugin = plugins.load_plugin(write(tmp_path, "nan_sgd.py", NAN_SGD))
    assert plugin.ok, plugin.error

    def make():
        return optimizers.get("nan_sgd")

    assert "not finite after one step" in conformance.one_step_finite(make)
    assert "the loss is nan" in conformance.lowers_a_quadratic(make)
    assert conformance.config_round_trip(make, catalog.optimizer_info("nan_sgd")) is None
    assert conformance.one_step_finite(lambda: optimizers.get("sgd")) is None
    assert np.isfinite(conformance.quadratic(conformance.TARGET))


def test_check_plugin_passes_a_sign_sgd_and_our_own(tmp_path):
    # End to end, as a person runs it: a fresh `main.py`, each check's own fresh process.
    path = write(tmp_path, "sign_sgd.py", SIGN_SGD)
    done = subprocess.run(
        [sys.executable, "main.py", "check-plugin", str(path), "--name", "sgd", "--name", "adam"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("optimizer sign_sgd", "optimizer sgd", "optimizer adam"):
        assert name in done.stdout
    assert done.stdout.count("passed ") == 18 and "FAILED" not in done.stdout
    assert "every check passed" in done.stdout


def test_check_plugin_fails_a_nan_optimizer_and_a_broken_file_with_the_reasons(
    plugin_folder, tmp_path, capsys
):
    nan = write(tmp_path, "nan_sgd.py", NAN_SGD)
    broken = write(tmp_path, "syntax.py", BROKEN["syntax.py"])
    assert main(["check-plugin", str(nan), str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"{broken}: not loaded\nTraceback" in out and "SyntaxError" in out
    assert "FAILED  one step gives finite weights: the weights are not finite" in out
    assert "FAILED  lowers the loss on a quadratic: the loss is nan" in out
    assert "FAILED  matches one device under MirroredStrategy" in out
    assert "passed  config round-trip" in out
    assert "some checks FAILED" in out


def test_check_plugin_refuses_an_unknown_name(plugin_folder, capsys):
    assert main(["check-plugin", "--name", "no_such_optimizer"]) == 1
    assert "no optimizer or loss 'no_such_optimizer'" in capsys.readouterr().out


def test_the_top_level_help_loads_no_plugin(plugin_folder, capsys):
    write(plugin_folder, "sign_sgd.py", SIGN_SGD)
    assert main(["help"]) == 0
    with pytest.raises(SystemExit):
        main(["--help"])
    assert not any(p.path.parent == plugin_folder for p in plugins.LOADED)


EXPLODING = '''
import keras


class Exploding(keras.optimizers.Optimizer):
    """Raises in its update: a bug that shows only once a run trains."""

    def __init__(self, learning_rate=0.01, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        raise RuntimeError("the plugin broke mid-run")
'''


def test_a_plugin_that_breaks_in_a_comparison_ends_only_its_own_run(plugin_folder, tmp_path):
    from trainers.compare import CompareSession
    from trainers.config import RunConfig
    from trainers.fused import fusable
    from trainers.plans import plan

    plugin = plugins.load_plugin(write(tmp_path, "exploding.py", EXPLODING))
    assert plugin.ok, plugin.error
    runs = plan(RunConfig(dataset="moons", epochs=2), optimizers=["sgd", "exploding", "adam"])
    assert "plugin" in fusable(runs[1][1]) and fusable(runs[0][1]) is None
    session = CompareSession(runs, engine="auto")
    rows = session.run()
    assert [row.status for row in rows] == ["completed", "failed", "completed"]
    broken = session.results[1][1]
    assert "the plugin broke mid-run" in broken.message
    assert "Traceback" in broken.traceback and "update_step" in broken.traceback
