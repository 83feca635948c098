"""A run as a plain Keras script: `run.py` and `run_data.npz` in the run's folder.

The script rebuilds the run with Keras and TensorFlow alone, plus Descent's own optimizer and
loss classes (`import trainers.keras_objects`, nothing else of Descent): the network from its
JSON, the weights it started from, the optimizer and loss from their Keras configs, and the
data as the run trained on it (standardized, labels prepared), from `run_data.npz`. It trains
step by step in the order Descent used (`trainers.build.epoch_order`, written out again in the
script), prints each epoch's loss and writes every step's loss to `run_steps.csv`, so a reader
can check it against the run's `steps.csv`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from trainers.errors import TrainingError

SCRIPT = "run.py"
DATA = "run_data.npz"

TEMPLATE = '''#!/usr/bin/env python3
"""{title}

Descent's run rebuilt as a plain Keras script. It loads the data this run trained on and the
weights it started from ({data}, next to this file), builds the same network, optimizer and
loss, and trains them one batch at a time in the order Descent used. It prints each epoch's
loss and writes each step's loss to run_steps.csv (compare it with the run's steps.csv).

Descent's optimizer and loss classes come from its `trainers` package: run it with Descent's
folder on the path, e.g.  PYTHONPATH=/path/to/descent python run.py
"""

import csv
import json
import math
import pathlib

import keras
import numpy as np
import tensorflow as tf

import trainers.keras_objects  # noqa: F401  Descent's optimizers and losses, known to Keras

HERE = pathlib.Path(__file__).resolve().parent
SETTINGS = json.loads({settings!r})


def epoch_order(n, seed, epoch):
    """The order in which epoch `epoch` visits the n training samples (as Descent does)."""
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=key)


def main():
    data = np.load(HERE / "{data}")
    x_train, y_train = data["x_train"], data["y_train"]
    model = keras.models.model_from_json(SETTINGS["model"])
    model.set_weights([data["weight_%d" % i] for i in range(SETTINGS["weights"])])
    optimizer = keras.optimizers.deserialize(SETTINGS["optimizer"])
    loss_fn = keras.losses.deserialize(SETTINGS["loss"])

    @tf.function(jit_compile=SETTINGS["jit_compile"])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
            if model.losses:
                loss = loss + tf.add_n(model.losses)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    n, batch = len(x_train), SETTINGS["batch_size"]
    steps = []
    for epoch in range(SETTINGS["epochs"]):
        order = epoch_order(n, SETTINGS["data_seed"], epoch).numpy()
        losses = []
        for start in range(0, n, batch):
            chosen = order[start : start + batch]
            loss = float(train_step(tf.constant(x_train[chosen]), tf.constant(y_train[chosen])))
            steps.append(loss)
            losses.append(loss)
            if not math.isfinite(loss):
                break
        line = "epoch %d: mean step loss %.6g" % (epoch + 1, float(np.mean(losses)))
        if "x_val" in data:
            y_pred = model(data["x_val"], training=False)
            line += ", validation loss %.6g" % float(loss_fn(data["y_val"], y_pred))
        print(line)
        if not math.isfinite(losses[-1]):
            print("The loss is no longer a finite number: training stopped, as Descent does.")
            break
    with open(HERE / "run_steps.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "loss"])
        writer.writerows([k + 1, value] for k, value in enumerate(steps))


if __name__ == "__main__":
    main()
'''


def script_text(title: str, settings: dict) -> str:
    """run.py for `settings` (the JSON-able parts of the run), its docstring headed `title`."""
    title = " ".join(title.split()).replace('"""', "'''")
    return TEMPLATE.format(title=title, settings=json.dumps(settings), data=DATA)


def write_script(result, out: Path) -> list[Path]:
    """run.py and run_data.npz for `result` (its model and initial weights are needed), in
    `out`. The data are rebuilt from the run's config as it trained on them. Raises
    TrainingError naming the folder when they cannot be written."""
    import keras

    from trainers import build, losses, models

    if result.model is None or not result.initial_weights:
        raise TrainingError("This run has no model or initial weights to rebuild a script from.")
    config = result.config
    data = build.load_dataset(config)
    loss_name = build.check_run(config, data)
    n_train = len(data.x_train)
    batch = build.batch_size(config, n_train)
    optimizer = build.build_run_optimizer(config, math.ceil(n_train / batch))
    loss = losses.get(loss_name, **config.loss_options)
    arrays = {
        "x_train": np.asarray(data.x_train, dtype=np.float32),
        "y_train": models.prepare_labels(data.y_train, data.task, loss_name, data.n_classes),
    }
    if len(data.x_val):
        arrays["x_val"] = np.asarray(data.x_val, dtype=np.float32)
        arrays["y_val"] = models.prepare_labels(data.y_val, data.task, loss_name, data.n_classes)
    for i, weight in enumerate(result.initial_weights):
        arrays[f"weight_{i}"] = np.asarray(weight)
    settings = {
        "model": result.model.to_json(),
        "weights": len(result.initial_weights),
        "optimizer": keras.optimizers.serialize(optimizer),
        "loss": keras.losses.serialize(loss),
        "batch_size": batch,
        "epochs": config.epochs,
        "data_seed": config.data_seed_value,
        "jit_compile": bool(config.jit_compile),
    }
    title = f"{config.optimizer} on {config.dataset}, {config.epochs} epochs, batch {batch}"
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out / DATA, **arrays)
        (out / SCRIPT).write_text(script_text(title, settings), encoding="utf-8")
    except OSError as exc:
        raise TrainingError(
            f"Cannot write the script to {out}: {exc.strerror or exc}. Choose a folder you "
            "can write to."
        ) from None
    return [out / SCRIPT, out / DATA]
