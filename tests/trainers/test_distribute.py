"""Training spread over devices and machines gives the run one device would give.

Mirrored runs are checked on two logical CPU devices, which TensorFlow can only make before it
first lists its devices, so those runs happen in a fresh interpreter (distribute_check.py). The
multi-worker run starts two worker processes that talk over 127.0.0.1 (multiworker_check.py).

Tolerance: step losses, effective learning rates and final weights agree with the one-device
run to rtol 1e-5 plus atol 1e-6. The two replicas add up two float32 half-batch gradients
where one device sums the whole batch at once, so results differ in the last bits only.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from trainers import cli, multiworker
from trainers.config import RunConfig
from trainers.errors import ConfigError
from trainers.session import TrainingSession

HERE = Path(__file__).resolve().parent
RTOL, ATOL = 1e-5, 1e-6
ALL_OPTIMIZERS = (
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "adadelta",
    "rmsprop",
    "adam",
    "adamw",
    "adamax",
    "lion",
)


def run_script(args: list[str], timeout: float = 240) -> dict:
    """Run a helper script with this interpreter; its stdout is one JSON object."""
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=HERE
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def assert_close(actual, expected, what: str) -> None:
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, what
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


# ------------------------------------------------------------------------ the setting itself
def test_distribute_setting_is_checked_and_saved(tmp_path):
    assert RunConfig().validate().distribute == "none"
    assert RunConfig(distribute=" Mirrored ").validate().distribute == "mirrored"
    with pytest.raises(ConfigError, match="distribute.*'everywhere'.*mirrored"):
        RunConfig(distribute="everywhere").validate()
    with pytest.raises(ConfigError, match="one step per call.*steps_per_execution=8"):
        RunConfig(distribute="mirrored", steps_per_execution=8).validate()
    path = tmp_path / "run.toml"
    path.write_text(RunConfig(distribute="mirrored").to_toml(), encoding="utf-8")
    assert RunConfig.from_file(path).distribute == "mirrored"


def test_cli_trains_mirrored_and_saves_the_setting(tmp_path, capsys):
    """`--distribute mirrored` on a machine with one device: one replica, the same run."""
    out = tmp_path / "run"
    args = ["train", "--dataset", "moons", "--epochs", "1", "--batch-size", "40"]
    status = cli.main([*args, "--distribute", "mirrored", "--no-model", "--out", str(out)])
    assert status == cli.EXIT_OK, capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["config"]["distribute"] == "mirrored"
    assert "mirrored over 1 device" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # argparse refuses it before anything runs
        cli.main([*args, "--distribute", "everywhere"])
    assert refused.value.code == cli.EXIT_BAD_INPUT
    assert "--distribute: invalid choice: 'everywhere'" in capsys.readouterr().err


# ------------------------------------------------------------------- two replicas, one host
@pytest.mark.parametrize(
    ("dataset", "loss", "names"),
    [
        ("sine", "mse", ALL_OPTIMIZERS[:5]),
        ("sine", "mse", ALL_OPTIMIZERS[5:]),
        ("blobs", "categorical_crossentropy", ALL_OPTIMIZERS[:5]),
        ("blobs", "categorical_crossentropy", ALL_OPTIMIZERS[5:]),
    ],
)
def test_two_replicas_match_one_device(dataset, loss, names):
    """Every optimizer, mirrored over two devices, takes the one-device run's steps."""
    script = str(HERE / "distribute_check.py")
    runs = run_script(
        [
            script,
            "--devices",
            "2",
            "--dataset",
            dataset,
            "--loss",
            loss,
            "--optimizers",
            ",".join(names),
        ]
    )
    assert sorted(runs) == sorted(names)
    for name, pair in runs.items():
        one, two = pair["none"], pair["mirrored"]
        assert (one["replicas"], two["replicas"]) == (1, 2), name
        assert "mirrored over 2 devices" in two["device"]
        assert len(one["step_losses"]) == 8, name  # 64 samples, batches of 16, 2 epochs
        assert_close(two["initial_weights"][0], one["initial_weights"][0], f"{name} start")
        assert_close(two["step_losses"], one["step_losses"], f"{name} step losses")
        assert_close(two["loss"], one["loss"], f"{name} epoch losses")
        assert_close(two["update_norms"], one["update_norms"], f"{name} update sizes")
        # One device reads the rate once per chunk of steps, two after every step: compare
        # them after the steps where both read it.
        read = sorted(one["rates"], key=int)
        assert read, name
        assert_close(
            [two["rates"][s] for s in read],
            [one["rates"][s] for s in read],
            f"{name} effective learning rates",
        )
        for i, (w2, w1) in enumerate(zip(two["weights"], one["weights"], strict=True)):
            assert_close(w2, w1, f"{name} weights {i}")
        # The comparison means something only if training moved the weights.
        moved = max(
            np.max(np.abs(np.subtract(w, w0)))
            for w, w0 in zip(one["weights"], one["initial_weights"], strict=True)
        )
        assert moved > 1e-4, name


# ------------------------------------------------------------------------ two worker hosts
def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def test_two_workers_match_a_session_on_one_device(tmp_path):
    """Two worker processes over 127.0.0.1 train the run a plain session trains, and save it."""
    config = RunConfig(
        dataset="sine",
        dataset_options={"samples": 64},
        validation_split=0.0,
        hidden_layers=(8,),
        loss="mse",
        optimizer="rmsprop",
        epochs=2,
        batch_size=16,
        seed=5,
    )
    workers = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    script = str(HERE / "multiworker_check.py")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                script,
                "--workers",
                workers,
                "--index",
                str(index),
                "--config",
                config.to_json(),
                "--save",
                str(tmp_path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for index in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err[-3000:]
            outputs.append(json.loads(out))
    finally:
        for proc in procs:  # a worker left alone would wait for its partner forever
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    reference = TrainingSession(config).run()
    assert reference.ok, reference.message
    for worker in outputs:
        assert worker["replicas"] == 2
        assert_close(worker["step_losses"], reference.step_losses, "step losses")
        assert_close(worker["epoch_losses"], reference.history["loss"], "epoch losses")
        weights = reference.model.get_weights()
        for i, (w, expected) in enumerate(zip(worker["weights"], weights, strict=True)):
            assert_close(w, expected.ravel(), f"weights {i}")
    # The comparison means something only if training moved the weights.
    moved = max(
        np.max(np.abs(w - w0))
        for w, w0 in zip(reference.model.get_weights(), reference.initial_weights, strict=True)
    )
    assert moved > 1e-4
    saved = keras.saving.load_model(tmp_path / "worker-0.keras")
    for i, (w, expected) in enumerate(zip(saved.get_weights(), weights, strict=True)):
        assert_close(w, expected, f"saved weights {i}")


def test_multi_worker_needs_a_readable_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="needs TF_CONFIG"):
        multiworker.multi_worker_strategy()
    bad_index = {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(bad_index))
    with pytest.raises(ConfigError, match="task index 2.*2 workers"):
        multiworker.multi_worker_strategy()
