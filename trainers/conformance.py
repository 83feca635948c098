"""The checks an optimizer (or loss) of the catalog must pass to be trusted in a comparison.

`main.py check-plugin FILE.py` runs them on each class a plugin defines; they run as well on
any catalog name, ours included (`check-plugin --name adam`). An optimizer's checks: its
config round-trips; one step gives finite weights that moved; it traces under `jit_compile`
and the compiled steps equal the eager ones; it lowers the loss of a quadratic; a model
compiled with it, saved, reloads in a fresh process with its optimizer's config and state; and
under a MirroredStrategy over two logical CPU devices it trains to the weights one device
reaches. A loss's: config round-trip, finite values (extreme inputs too), the same values under
`jit_compile`, and the save and reload.

The fresh process is this module run as a script (`python -m trainers.conformance SPEC`): the
CPU can be split into logical devices only before TensorFlow first lists them, and a reload in
the process that saved the model would find the classes already imported.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainers import catalog

W0 = np.array([[0.5, -1.0], [2.0, 0.0], [-0.3, 1.5]], dtype=np.float32)
GRADIENT = np.array([[0.3, -0.2], [0.05, 0.7], [-1.1, 0.4]], dtype=np.float32)
CURVATURE = np.array([[1.0, 3.0], [10.0, 0.5], [2.0, 5.0]], dtype=np.float32)
TARGET = np.array([[1.5, 0.5], [1.0, -1.0], [0.7, 0.5]], dtype=np.float32)
QUADRATIC_STEPS = 200
FRESH_TIMEOUT_S = 300


@dataclass(frozen=True)
class Check:
    """One check's outcome: its name, whether it passed, and why not."""

    name: str
    passed: bool
    reason: str = ""


def _run(name: str, check: Callable[[], str | None]) -> Check:
    """`check()` returns None when it passes, else the reason; an exception is a failure."""
    try:
        reason = check()
    except Exception as exc:  # the class under test is someone else's code
        # TensorFlow's trace errors start with "in user code:"; the cause is the last line
        text = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        last = text[-1] if text else ""
        reason = last if last.startswith(type(exc).__name__) else f"{type(exc).__name__}: {last}"
    return Check(name, reason is None, reason or "")


def check_optimizer(name: str, plugin_paths: list[str] = ()) -> list[Check]:
    """Every check of catalog optimizer `name`; `plugin_paths` are loaded in the fresh process."""
    from trainers import optimizers

    def make():
        return optimizers.get(name)

    checks = [
        _run("config round-trip", lambda: config_round_trip(make, catalog.optimizer_info(name))),
        _run("one step gives finite weights", lambda: one_step_finite(make)),
        _run("traces under jit_compile", lambda: traces_under_jit(make)),
        _run("lowers the loss on a quadratic", lambda: lowers_a_quadratic(make)),
    ]
    return checks + fresh_process_checks("optimizer", name, plugin_paths)


def check_loss(name: str, plugin_paths: list[str] = ()) -> list[Check]:
    """Every check of catalog loss `name`."""
    from trainers import losses

    def make():
        return losses.get(name)

    checks = [
        _run("config round-trip", lambda: config_round_trip(make, catalog.loss_info(name))),
        _run("finite values, extreme inputs too", lambda: loss_finite(make)),
        _run("traces under jit_compile", lambda: loss_under_jit(make)),
    ]
    return checks + fresh_process_checks("loss", name, plugin_paths)


# ------------------------------------------------------------------------ in this process
def config_round_trip(make, info) -> str | None:
    """`from_config(get_config())` rebuilds the same config, holding every hyperparameter."""
    made = make()
    config = made.get_config()
    missing = [p.name for p in info.params if p.name not in config]
    if missing:
        return f"get_config() lacks {', '.join(missing)}"
    restored = type(made).from_config(copy.deepcopy(config))
    if type(restored) is not type(made):
        return f"from_config made a {type(restored).__name__}"
    again = restored.get_config()
    if again != config:
        changed = sorted(k for k in set(config) | set(again) if config.get(k) != again.get(k))
        return f"from_config(get_config()) changes {', '.join(changed)}"
    return None


def _steps(optimizer, count: int, jit: bool) -> np.ndarray:
    import keras
    import tensorflow as tf

    variable = keras.Variable(W0.copy())
    optimizer.build([variable])

    def step():
        optimizer.apply_gradients([(tf.constant(GRADIENT), variable)])

    run = tf.function(step, jit_compile=True) if jit else step
    for _ in range(count):
        run()
    return keras.ops.convert_to_numpy(variable)


def one_step_finite(make) -> str | None:
    """One step from W0 gives finite weights, and moves them."""
    after = _steps(make(), 1, jit=False)
    if not np.all(np.isfinite(after)):
        return f"the weights are not finite after one step: {after.ravel().tolist()}"
    if np.array_equal(after, W0):
        return "one step left the weights where they were"
    return None


def traces_under_jit(make) -> str | None:
    """Three steps compiled with XLA give the weights three eager steps give."""
    eager = _steps(make(), 3, jit=False)
    compiled = _steps(make(), 3, jit=True)
    if not np.allclose(compiled, eager, rtol=1e-5, atol=1e-6, equal_nan=True):
        worst = float(np.nanmax(np.abs(compiled - eager)))
        return f"the compiled steps differ from the eager ones by up to {worst:.3g}"
    return None


def quadratic(w) -> float:
    return float(0.5 * np.sum(CURVATURE * (np.asarray(w, np.float64) - TARGET) ** 2))


def lowers_a_quadratic(make) -> str | None:
    """QUADRATIC_STEPS steps on 0.5 * sum(h * (w - t)^2) at the default hyperparameters end
    below 0.99 of the starting loss, finite (a small default rate, Lion's 1e-4, goes slowly:
    the check is the direction, not the speed)."""
    import keras
    import tensorflow as tf

    optimizer = make()
    variable = keras.Variable(W0.copy())
    optimizer.build([variable])
    h, t = tf.constant(CURVATURE), tf.constant(TARGET)

    @tf.function
    def step():
        optimizer.apply_gradients([(h * (variable - t), variable)])

    for _ in range(QUADRATIC_STEPS):
        step()
    before, after = quadratic(W0), quadratic(keras.ops.convert_to_numpy(variable))
    if not math.isfinite(after):
        return f"the loss is {after} after {QUADRATIC_STEPS} steps"
    if after >= 0.99 * before:
        return f"the loss went from {before:.4g} to {after:.4g} in {QUADRATIC_STEPS} steps"
    return None


_Y_TRUE = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
_Y_PRED = np.array([[0.2, 0.8], [0.6, 0.4], [1.0, 0.0]], dtype=np.float32)
_EXTREME = np.array([[1e-7, 1.0], [1.0, 0.0], [1e4, -1e4]], dtype=np.float32)


def loss_finite(make) -> str | None:
    loss = make()
    for y_pred in (_Y_PRED, _EXTREME):
        value = float(loss(_Y_TRUE, y_pred))
        if not math.isfinite(value):
            return f"the loss is {value} for predictions {y_pred.tolist()}"
    return None


def loss_under_jit(make) -> str | None:
    import tensorflow as tf

    loss = make()
    compiled = tf.function(lambda a, b: loss(a, b), jit_compile=True)
    eager, jitted = float(loss(_Y_TRUE, _Y_PRED)), float(compiled(_Y_TRUE, _Y_PRED))
    if not math.isclose(eager, jitted, rel_tol=1e-5, abs_tol=1e-6):
        return f"compiled {jitted} against eager {eager}"
    return None


# ------------------------------------------------------------------- in a fresh process
def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    return x, y


def _model(keras, optimizer, loss="mse"):
    layer = keras.layers.Dense(1)
    model = keras.Sequential([keras.Input((3,)), layer])
    model.set_weights([np.full((3, 1), 0.1, np.float32), np.zeros(1, np.float32)])
    model.compile(optimizer=optimizer, loss=loss)
    return model


def _trained(keras, make_optimizer, loss="mse"):
    x, y = _data()
    model = _model(keras, make_optimizer(), loss)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model


def fresh_process_checks(kind: str, name: str, plugin_paths: list[str]) -> list[Check]:
    """Save a trained model here; in a fresh process reload it and (an optimizer) train it
    on two logical CPU devices under a MirroredStrategy against one device."""
    import keras

    from trainers import losses, optimizers

    reload_name = "saves and reloads in a fresh process"
    checks = [reload_name] + (["matches one device under MirroredStrategy"] * (kind != "loss"))
    with tempfile.TemporaryDirectory(prefix="descent-check-") as folder:
        try:
            if kind == "optimizer":
                model = _trained(keras, lambda: optimizers.get(name))
            else:
                model = _trained(keras, lambda: "sgd", losses.get(name))
            path = Path(folder) / "model.keras"
            model.save(path)
            expected = {
                "weights": [w.tolist() for w in model.get_weights()],
                "optimizer": [
                    keras.ops.convert_to_numpy(v).tolist() for v in model.optimizer.variables
                ],
                "config": json.loads(json.dumps(model.optimizer.get_config(), default=repr)),
                "loss": repr(model.loss.get_config()) if kind == "loss" else "",
            }
            spec = {"kind": kind, "name": name, "plugins": list(plugin_paths)}
            spec.update(model=str(path), expected=expected)
            (Path(folder) / "spec.json").write_text(json.dumps(spec))
            done = subprocess.run(
                [sys.executable, "-m", "trainers.conformance", str(Path(folder) / "spec.json")],
                capture_output=True,
                text=True,
                timeout=FRESH_TIMEOUT_S,
                cwd=Path(__file__).resolve().parents[1],
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
            )
        except Exception as exc:
            return [Check(check, False, f"{type(exc).__name__}: {exc}") for check in checks]
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [Check(check, False, f"the fresh process failed: {tail}") for check in checks]
    found = json.loads(lines[-1])
    return [Check(check, *found[check]) for check in checks]


def _split_cpu(devices: int) -> None:
    import tensorflow as tf

    tf.config.set_visible_devices([], "GPU")
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(devices)]
    )


def _reloads(keras, spec) -> str | None:
    model = keras.saving.load_model(spec["model"])
    expected = spec["expected"]
    for got, want in zip(model.get_weights(), expected["weights"], strict=True):
        if not np.allclose(got, want, rtol=0, atol=0, equal_nan=True):
            return "the reloaded model's weights differ from the saved ones"
    if spec["kind"] == "loss":
        if repr(model.loss.get_config()) != expected["loss"]:
            return f"the reloaded loss is {type(model.loss).__name__} {model.loss.get_config()}"
        return None
    config = json.loads(json.dumps(model.optimizer.get_config(), default=repr))
    if config != expected["config"]:
        changed = sorted(k for k in config if config.get(k) != expected["config"].get(k))
        return f"the reloaded optimizer's config differs in {', '.join(changed) or 'its keys'}"
    state = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
    if len(state) != len(expected["optimizer"]):
        return (
            f"the reloaded optimizer has {len(state)} variables, not {len(expected['optimizer'])}"
        )
    for got, want in zip(state, expected["optimizer"], strict=True):
        if not np.allclose(got, want, rtol=0, atol=0, equal_nan=True):
            return "the reloaded optimizer's state differs from the saved one"
    return None


def _mirrored(keras, spec) -> str | None:
    import tensorflow as tf

    from trainers import optimizers

    def make():
        return optimizers.get(spec["name"])

    one = _trained(keras, make).get_weights()
    strategy = tf.distribute.MirroredStrategy(
        devices=[d.name for d in tf.config.list_logical_devices("CPU")]
    )
    if strategy.num_replicas_in_sync != 2:
        return f"{strategy.num_replicas_in_sync} devices, not 2"
    with strategy.scope():
        two = _trained(keras, make).get_weights()
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(one, two, strict=True))
    if not all(np.all(np.isfinite(w)) for w in two):
        return "the mirrored weights are not finite"
    if not all(np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(one, two, strict=True)):
        return f"two devices end {worst:.3g} away from one device's weights"
    return None


def fresh_main(spec_path: str) -> None:
    """The fresh process: split the CPU, load the plugins named, run the two checks, print
    {check: [passed, reason]} as one JSON line."""
    spec = json.loads(Path(spec_path).read_text())
    _split_cpu(2)
    import keras

    from trainers import plugins

    if spec["plugins"]:
        for plugin in plugins.load_plugins(spec["plugins"], use_folder=False):
            if not plugin.ok:
                raise SystemExit(plugin.line())
    import trainers.keras_objects  # noqa: F401  (our own classes, registered with Keras)

    found = {"saves and reloads in a fresh process": _run("", lambda: _reloads(keras, spec))}
    if spec["kind"] == "optimizer":
        found["matches one device under MirroredStrategy"] = _run(
            "", lambda: _mirrored(keras, spec)
        )
    print(json.dumps({name: [c.passed, c.reason] for name, c in found.items()}))


def table(title: str, checks: list[Check]) -> str:
    """The checks as text: one line each, "passed" or "FAILED" and the reason."""
    lines = [title]
    for check in checks:
        mark = "passed" if check.passed else "FAILED"
        reason = f": {check.reason}" if check.reason else ""
        lines.append(f"  {mark:<7} {check.name}{reason}")
    return "\n".join(lines)


if __name__ == "__main__":
    fresh_main(sys.argv[1])
