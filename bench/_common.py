"""What every benchmark shares: the environment, the digits workload, waiting on Qt, reporting.

Each `bench_*.py` script imports this module first: it puts the repository on `sys.path` and
sets the environment (offscreen Qt, quiet TensorFlow, no downloads) before anything heavy is
imported. Heavy imports (TensorFlow, Qt, the app) stay inside functions for the same reason.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ["DESCENT_OFFLINE"] = "1"

# The row-1 workload, shared by rows 1-3 so their figures describe the same training.
DIGITS_REPEAT = 10
HIDDEN = (128,)
BATCH = 32
TIMED_EPOCHS = 3
WARMUP_EPOCHS = 1
WORKLOAD = (
    f"scikit-learn digits x{DIGITS_REPEAT} (17,970 samples, standardized), MLP 64-128-10 relu, "
    f"sparse categorical cross-entropy, Adam, batch {BATCH}, validation split 0, "
    f"{WARMUP_EPOCHS} warm-up + {TIMED_EPOCHS} timed epochs"
)


def command_for(script: str) -> str:
    """The exact command that runs one benchmark alone, as the report prints it."""
    return f"QT_QPA_PLATFORM=offscreen .venv/bin/python bench/{script}"


# ------------------------------------------------------------------------------------- data
def digits_npz(folder: str | Path) -> str:
    """Write scikit-learn's digits, repeated DIGITS_REPEAT times, as `x`/`y` in an .npz file.

    Descent's NPZ loader standardizes the features with the training statistics; every variant
    loads the file through it, so all of them train on the same float32 arrays.
    """
    import numpy as np
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = np.tile(digits.data.astype(np.float32), (DIGITS_REPEAT, 1))
    y = np.tile(digits.target.astype(np.int64), DIGITS_REPEAT)
    path = Path(folder) / "digits_x10.npz"
    np.savez(path, x=x, y=y)
    return str(path)


def load_digits_arrays(path: str):
    """The training arrays Descent makes from `path` with validation split 0: (x, y)."""
    from trainers import datasets

    data = datasets.get(path, validation_split=0.0, seed=0)
    return data.x_train, data.y_train


def digits_config(path: str, optimizer: str = "adam", epochs: int | None = None):
    """The row-1 workload as a RunConfig (seed 0, relu, steps_per_execution auto, no XLA)."""
    from trainers import catalog
    from trainers.config import RunConfig

    loss = "sparse_categorical_crossentropy"
    return RunConfig(
        dataset=path,
        validation_split=0.0,
        hidden_layers=HIDDEN,
        activation="relu",
        loss=loss,
        # The defaults written out, as the window's form passes them.
        loss_options=catalog.loss_info(loss).defaults(),
        optimizer=optimizer,
        hyperparameters=catalog.optimizer_info(optimizer).defaults(),
        epochs=epochs or WARMUP_EPOCHS + TIMED_EPOCHS,
        batch_size=BATCH,
        seed=0,
    )


def epoch_clock():
    """A Keras callback that records each epoch's seconds (`seconds`) and end times (`ends`).

    It overrides no batch hook, so Keras keeps its fast dispatch for the other callbacks.
    """
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []
            self.ends: list[float] = []
            self.began = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            self.seconds.append(now - self.began)
            self.ends.append(now)

    return EpochClock()


def timed_seconds(epoch_times: list[float]) -> float:
    """Seconds of the timed epochs, from the end of the warm-up to the end of the last one."""
    return epoch_times[WARMUP_EPOCHS + TIMED_EPOCHS - 1] - epoch_times[WARMUP_EPOCHS - 1]


# -------------------------------------------------------------------------------------- Qt
def qt_app():
    """The one QApplication of the process, made on first use."""
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([sys.argv[0]])


def wait_for(signal, timeout_s: float = 300.0, start: Callable[[], object] | None = None):
    """Run the Qt event loop until `signal` fires; returns its arguments (TimeoutError if not).

    `start` is called once the loop is connected, so a signal it emits at once is not missed.
    """
    from gui.widgets.waiting import wait_for_signal

    received = wait_for_signal(signal, timeout_s, start)
    if received is None:
        raise TimeoutError(f"no signal within {timeout_s:.0f} s")
    return received


def set_digits_form(window, path: str) -> None:
    """The window's form set to the digits workload of rows 1 and 3 (`digits_config`)."""
    set_form(
        window,
        path,
        hidden=", ".join(map(str, HIDDEN)),
        epochs=WARMUP_EPOCHS + TIMED_EPOCHS,
        batch=BATCH,
        validation=0.0,
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
    )


def digits_model(optimizer, x, **compile_options):
    """The digits MLP of the workload as a plain Keras model, compiled with `optimizer`."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(x.shape[1],)),
            keras.layers.Dense(HIDDEN[0], activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        **compile_options,
    )
    return model


def open_window(folder: str | Path):
    """The real MainWindow with its own settings file, shown offscreen, engine loaded."""
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow

    qt_app()
    settings = QSettings(str(Path(folder) / "descent.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    if not window.ready:
        wait_for(window.sig_ready, 300)
    return window


def set_form(
    window,
    dataset: str,
    *,
    hidden: str,
    epochs: int,
    batch: int,
    validation: float,
    optimizer: str = "adam",
    loss: str | None = None,
) -> None:
    """Fill the side panel as a user would; a file dataset is described before the loss is set."""
    if Path(dataset).exists():
        wait_for(window.worker.sig_dataset, 120, lambda: window.open_dataset_file(dataset))
        qt_app().processEvents()
    else:
        window.select_dataset(dataset)
    window.panel.hidden_edit.setText(hidden)
    window.panel.select_by_data(window.panel.variant_combo, "minibatch")
    window.panel.batch_spin.setValue(batch)
    window.panel.epochs_spin.setValue(epochs)
    window.panel.validation_spin.setValue(validation)
    window.panel.select_by_data(window.panel.optimizer_combo, optimizer)
    if loss is not None:
        window.panel.select_by_data(window.panel.loss_combo, loss)


def train_in_window(window, timeout_s: float = 600.0) -> str:
    """Press Train and run the event loop until the run ends; returns its status."""
    (status,) = wait_for(window.sig_run_finished, timeout_s, window.start_training)
    return status


def close_window(window) -> None:
    window.close()
    qt_app().processEvents()


# ---------------------------------------------------------------------------- statistics
def median(values) -> float:
    return float(statistics.median(values))


def percentile(values, q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between order statistics."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def rss_mb() -> float:
    """This process's resident set size now, in MB (VmRSS from /proc)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return math.nan


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# ------------------------------------------------------------------------------- a row
def make_row(
    number: int,
    what: str,
    workload: str,
    figure: str,
    goal: str,
    met: bool,
    script: str,
    figures: dict,
    notes: list[str] | None = None,
) -> dict:
    """One row of the report: what was measured, the figure, the goal and the command."""
    return {
        "row": number,
        "what": what,
        "workload": workload,
        "figure": figure,
        "goal": goal,
        "met": bool(met),
        "command": command_for(script),
        "figures": figures,
        "notes": notes or [],
        "load_average": load_average(),
    }


def main(run: Callable[..., dict], description: str) -> dict:
    """The command line of one benchmark: run it, print its row, write it with --json PATH."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", help="also write the row as JSON to this file")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="descent-bench-") as folder:
        row = run(folder)
    row["seconds"] = round(time.perf_counter() - started, 1)
    print(
        f"\nrow {row['row']} ({row['what']}): {row['figure']} | goal {row['goal']} | "
        f"{'met' if row['met'] else 'MISSED'} | {row['seconds']:.0f} s"
    )
    for note in row["notes"]:
        print(f"  note: {note}")
    if args.json:
        Path(args.json).write_text(json.dumps(row, indent=2), encoding="utf-8")
    return row


def log(text: str) -> None:
    """A progress line, flushed at once so run_all shows it as it happens."""
    print(text, flush=True)
