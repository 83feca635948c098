"""Exports of a run besides its folder: the curves as CSV, the settings as TOML, TensorBoard logs.

A run folder (`trainers.storage.save_run`) already holds everything; these write one part of it
where the user asks (the window's File > Export menu), and `TensorBoardLog` writes event
logs as a run trains, for students who keep their experiments in TensorBoard. Keras and
TensorFlow only, never Qt: the pictures of the curves are drawn by `gui.exports`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from trainers.config import RunConfig
from trainers.errors import ConfigError, TrainingError
from trainers.events import (
    EpochEnded,
    Event,
    Failed,
    Finished,
    Listener,
    RunResult,
    Started,
    Status,
    Steps,
)
from trainers.storage import config_toml, write_curves

TRAIN_LOGS = "train"
VALIDATION_LOGS = "validation"
"""Sub-folders of a TensorBoard log folder, named as Keras's TensorBoard callback names them, so
TensorBoard draws training and validation curves of the same tag together."""


def _cannot_write(what: str, where: Path, exc: OSError) -> TrainingError:
    return TrainingError(
        f"Cannot write {what} to {where}: {exc.strerror or exc}. Choose a folder you can write to."
    )


def export_curves(result: RunResult, folder: str | Path) -> list[Path]:
    """Write `history.csv` and `steps.csv` of `result` into `folder` (made if needed).

    The same two files as in a run folder: every number is written with `repr`, so reading
    them back with `float()` gives the very same values.
    """
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_curves(result, out)
    except OSError as exc:
        raise _cannot_write("the curves", out, exc) from None
    return [out / "history.csv", out / "steps.csv"]


def write_config_toml(config: RunConfig, path: str | Path) -> Path:
    """Write the run's settings as TOML, which `main.py train --config PATH` reruns."""
    path = Path(path)
    if path.suffix.lower() != ".toml":
        path = path.with_name(path.name + ".toml")  # `--config` reads a file by its suffix
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config_toml(config), encoding="utf-8")
    except OSError as exc:
        raise _cannot_write("the configuration", path, exc) from None
    return path


def prepare_log_folder(folder: str | Path) -> Path:
    """Make the TensorBoard log folder now, so a bad one is refused before training starts."""
    path = Path(folder).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot use {path} for TensorBoard logs: {exc.strerror or exc}. Choose a folder "
            f"you can write to."
        ) from None
    return path


def run_log_folder(root: str | Path, config: RunConfig) -> Path:
    """A new sub-folder of `root` for one run's logs: when it started and what it trained.

    One folder per run is what TensorBoard expects: it lists each as a run and overlays them.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    data = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(config.dataset).stem)
    name = f"{stamp}-{config.optimizer}-{data or 'data'}"
    folder, number = Path(root).expanduser() / name, 2
    while folder.exists():  # two runs in the same second
        folder, number = folder.with_name(f"{name}-{number}"), number + 1
    return folder


class TensorBoardLog:
    """A listener that writes a run's curves as TensorBoard event logs while it trains.

    `folder/train` gets `epoch_loss` and `epoch_<metric>` by epoch (0 is the untrained model)
    and `step_loss`, the loss of every update, by step; `folder/validation` gets the validation
    values under the same tags, and the Text tab shows the run's settings. The epoch tags are
    those of `keras.callbacks.TensorBoard`, but that callback sees only Keras's running epoch
    mean, and only every `steps_per_execution`-th step: this listener is fed the session's
    true step losses instead. Log files are flushed at each epoch, so a TensorBoard watching
    the folder follows the run.

    Written with TensorFlow's own `tf.summary.write` and the scalar and text plugins' metadata,
    as `tf.summary.scalar` would: that one lives in the `tensorboard` package, which training
    does not need. A log that cannot be written (a full disk) stops the logs, not the run: the
    log says so once with a `Status` event to `report` and keeps the reason in `error`.
    """

    def __init__(self, folder: str | Path, report: Listener | None = None) -> None:
        self.folder = prepare_log_folder(folder)
        self.report = report
        self.error: str | None = None
        self._writers: dict[str, Any] = {}

    # --------------------------------------------------------------------------- writing
    def _write(
        self, event: Event, run: str, values: dict[str, Any], step: int, plugin: str = "scalars"
    ) -> None:
        """Write `values` (tag: number, or text for the text plugin) at `step` into `run`."""
        if self.error is not None or not values:
            return
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        metadata = summary_pb2.SummaryMetadata()
        metadata.plugin_data.plugin_name = plugin
        metadata.data_class = (
            summary_pb2.DATA_CLASS_SCALAR if plugin == "scalars" else summary_pb2.DATA_CLASS_TENSOR
        )
        dtype = tf.float32 if plugin == "scalars" else tf.string
        try:
            if run not in self._writers:
                self._writers[run] = tf.summary.create_file_writer(str(self.folder / run))
            with self._writers[run].as_default():
                for tag, value in values.items():
                    tf.summary.write(tag, tf.constant(value, dtype), step=step, metadata=metadata)
        except Exception as exc:  # logs are a by-product: losing them must not end the run
            self.error = f"{type(exc).__name__}: {exc}"
            if self.report is not None:
                text = f"TensorBoard logs stopped ({self.error}); training goes on"
                self.report(Status(event.key, text))

    def _write_epoch(self, event: Event, epoch: int, logs) -> None:
        train = {f"epoch_{k}": v for k, v in logs.items() if not k.startswith("val_")}
        validation = {
            f"epoch_{k.removeprefix('val_')}": v for k, v in logs.items() if k.startswith("val_")
        }
        self._write(event, TRAIN_LOGS, train, epoch)
        self._write(event, VALIDATION_LOGS, validation, epoch)
        for writer in self._writers.values():
            writer.flush()

    def close(self) -> None:
        """Flush and close the log files (done when the run ends; safe to call twice)."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    # ------------------------------------------------------------------------ the events
    def __call__(self, event: Event) -> None:
        match event:
            case Started(info=info):
                # Markdown in TensorBoard: indented, the TOML stays a code block.
                text = "\n".join("    " + line for line in config_toml(info.config).splitlines())
                self._write(event, TRAIN_LOGS, {"config": text}, 0, plugin="text")
                self._write_epoch(event, 0, info.initial_logs)
            case Steps(steps=steps, losses=losses):
                for step, loss in zip(steps.tolist(), losses.tolist(), strict=True):
                    self._write(event, TRAIN_LOGS, {"step_loss": loss}, step)
            case EpochEnded(epoch=epoch, logs=logs):
                self._write_epoch(event, epoch, logs)
            case Finished() | Failed():
                self.close()
