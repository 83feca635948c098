"""A compiled model saved to `.keras` reloads in a fresh Python with our optimizer and its state."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np

from tests.trainers.optimizers.records import record
from trainers import optimizers

ROOT = Path(__file__).resolve().parents[3]

# Runs in a fresh interpreter, where only `import trainers.keras_objects` registers our classes.
LOADER = textwrap.dedent(
    """
    import json, sys
    import keras
    import trainers.keras_objects  # registers the "descent>..." classes

    report = {}
    for name, path in json.loads(sys.argv[1]).items():
        optimizer = keras.saving.load_model(path).optimizer
        report[name] = {
            "class": f"{type(optimizer).__module__}.{type(optimizer).__qualname__}",
            "config": optimizer.get_config(),
            "iterations": int(optimizer.iterations.numpy()),
            "variables": [v.numpy().tolist() for v in optimizer.variables],
        }
    print("REPORT " + json.dumps(report))
    """
)


def test_saved_models_reload_in_a_fresh_process(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 2)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    saved = {}
    paths = {}
    for name, cls in optimizers.CLASSES.items():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=cls(**record(name).non_default), loss="mse")
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # two steps: state is not zero
        paths[name] = str(tmp_path / f"{name}.keras")
        model.save(paths[name])
        saved[name] = model.optimizer

    env = dict(os.environ, PYTHONPATH=str(ROOT), KERAS_BACKEND="tensorflow")
    result = subprocess.run(
        [sys.executable, "-c", LOADER, json.dumps(paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("REPORT "))
    report = json.loads(line.removeprefix("REPORT "))

    for name, optimizer in saved.items():
        reloaded = report[name]
        cls = type(optimizer)
        assert reloaded["class"] == f"{cls.__module__}.{cls.__qualname__}"
        assert reloaded["config"] == json.loads(json.dumps(optimizer.get_config()))
        assert reloaded["iterations"] == 2
        # Every state variable (iterations, learning rate, v, s, m ...) comes back as saved.
        assert len(reloaded["variables"]) == len(optimizer.variables)
        for value, variable in zip(reloaded["variables"], optimizer.variables, strict=True):
            np.testing.assert_allclose(value, variable.numpy(), rtol=0, atol=0)
