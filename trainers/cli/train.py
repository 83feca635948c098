"""`descent train`: one run headless, recorded in the run library, saved with `--out`.

Also what every command that trains or records runs shares: starting TensorFlow without its
C++ start-up log (`start_tensorflow`), opening the library (`open_library`) and the warning
when it missed part of a run (`warn_unrecorded`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from trainers.cli.exits import EXIT_FAILED, EXIT_OK
from trainers.cli.output import format_logs, steps_per_epoch_text
from trainers.cli.parser import config_from_args
from trainers.errors import DescentError
from trainers.messages import for_user


class _Progress:
    """Prints one line per epoch (and a live step counter on a terminal), and a `note:` line
    for what the losses say about the learning rate: a run's listener."""

    def __init__(self, quiet: bool, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.info = None

    def __call__(self, event) -> None:
        from trainers.events import Advice, EpochEnded, Started, Steps

        match event:
            case Started(info=info):
                self.info = info
                self.say(
                    f"{info.dataset_summary}\nmodel {info.model_summary}, loss {info.loss}, "
                    f"batch {info.batch_size} ({steps_per_epoch_text(info.steps_per_epoch)}), "
                    f"{info.device}"
                )
                if info.task == "regression":
                    self.say(
                        "loss and mae are on the standardized target: multiply mae by "
                        f"{info.target_scale[1]:.4g} (the target's std) for its units"
                    )
            case Steps(steps=steps, losses=losses) if self.tty and not self.quiet and self.info:
                self.stream.write(
                    f"\r  step {int(steps[-1])}/{self.info.total_steps} "
                    f"loss {float(losses[-1]):.4f}   "
                )
            case EpochEnded(epoch=epoch, logs=logs, seconds=elapsed):
                total = self.info.config.epochs if self.info else "?"
                left = elapsed / epoch * (total - epoch) if isinstance(total, int) else 0
                prefix = "\r" if self.tty else ""
                self.say(f"{prefix}epoch {epoch}/{total}  {format_logs(logs)}  ({left:.0f} s left)")
            case Advice(text=text):
                self.say(f"note: {text}")

    def say(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(text + "\n")
            self.stream.flush()


# A line of TensorFlow's C++ logger (absl's format, or TensorFlow's older one), and absl's note
# that it writes to stderr before it is set up.
_NATIVE_LOG = re.compile(
    r"[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] "
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called"
)


def start_tensorflow() -> None:
    """Import TensorFlow and find its devices, its C++ start-up log held back.

    TensorFlow 2.21 logs its start (oneDNN, "Could not find cuda drivers", cuInit) through
    absl before absl is set up, and then every line goes to stderr whatever
    TF_CPP_MIN_LOG_LEVEL says: a dozen lines on every command. So while TensorFlow starts,
    stderr (file descriptor 2) goes to a temporary file, and afterwards every line in it that
    is not from that logger is written out. The start-up lines are about the machine, which
    the commands name themselves ("CPU", the GPUs); TF_CPP_MIN_LOG_LEVEL=0 or 1 (information,
    warnings) keeps them.
    """
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") in ("0", "1"):
        return _find_devices()
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to hold back
        return _find_devices()
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            _find_devices()
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode("utf-8", "replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not _NATIVE_LOG.match(line)))


def _find_devices() -> None:
    import tensorflow as tf

    tf.config.list_physical_devices()


def open_library(runs_dir: Path | None, *, required: bool):
    """The run library; for a training command (`required` False) a library that cannot be
    opened is a warning, and the run trains unrecorded."""
    from trainers.runs import RunLibrary, RunLibraryError

    try:
        return RunLibrary(runs_dir)
    except RunLibraryError as exc:
        if required:
            raise
        print(f"descent: warning: this run is not recorded. {exc}", file=sys.stderr)
        return None


def warn_unrecorded(error: str | None) -> None:
    """Say on stderr that the library missed part of a run (it trained all the same)."""
    if error:
        print(
            f"descent: warning: the run library missed part of this run. {error}", file=sys.stderr
        )


PlotDrawer = Callable[[object, Path], None]
"""Draws a run's curves as `<stem>.png` and `<stem>.svg`: (result, stem) -> None."""


def write_plots(result, out: Path, draw: PlotDrawer | None) -> None:
    """curves.png and curves.svg in `out`, drawn by `draw`.

    Pictures are Qt's job and the engine never imports Qt or `gui`: the entry point
    (`main.py`) passes the window's own drawing code, so the pictures match File > Export
    plots, and it loads Qt only when --plots is given.
    """
    from trainers.errors import TrainingError

    if draw is None:
        raise TrainingError(
            f"The run was saved in {out}, but this entry point cannot draw plots: run "
            f"`main.py train ... --plots`, or plot history.csv and steps.csv from there."
        )
    try:
        draw(result, Path(out) / "curves")
    except ImportError as exc:  # Qt missing or broken on a bare server: the CSVs are there
        raise TrainingError(
            f"The run was saved in {out}, but the plots cannot be drawn without Qt ({exc}). "
            f"Plot history.csv and steps.csv from there, or drop --plots."
        ) from None


def make_out_folder(out: Path, keep: bool = True) -> None:
    """Create --out (and its parents) and check a file can be written in it, before anything
    trains; else a DescentError saying why not (a file of that name, a parent that is a file,
    a folder that cannot be written)."""
    import tempfile

    out = Path(out)
    made = [p for p in (out, *out.parents) if not p.exists()]  # what mkdir will make
    if out.exists() and not out.is_dir():
        raise DescentError(
            f"--out {out} is a file, not a folder: choose a folder (it is made if missing)."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
        if not keep:  # only checked: a run refused later leaves nothing behind
            for folder in made:
                folder.rmdir()
    except OSError as exc:
        raise DescentError(
            f"Cannot write into the folder {out}: {exc.strerror or exc}. Choose one you can "
            "write to."
        ) from None


def cmd_train(args: argparse.Namespace, draw_plots: PlotDrawer | None = None) -> int:
    """Train one run; EXIT_OK when it completed, EXIT_FAILED when it failed or diverged, 130
    or 143 when Ctrl+C or SIGTERM stopped it (`trainers.cli.signals`: saved as stopped)."""
    if args.plots and args.out is None:
        raise DescentError("--plots draws the curves into the --out folder: add --out DIR.")
    from trainers.cli.signals import StopOnSignals
    from trainers.control import JobControl

    control = JobControl()
    with StopOnSignals(control) as stopping:  # from here to the end: saving too
        config = config_from_args(args)
        if args.out is not None:  # a folder that cannot take the run: said before training
            make_out_folder(Path(args.out), keep=False)
        start_tensorflow()
        from trainers.events import tee
        from trainers.runs import LibraryRecording
        from trainers.session import TrainingSession

        progress = _Progress(args.quiet)
        library = open_library(args.runs_dir, required=False)
        recording = None if library is None else LibraryRecording(library, source="cli")
        session = TrainingSession(
            config, tee(recording, progress), tensorboard_dir=args.tensorboard, control=control
        )
        return _train_and_save(args, session, library, recording, draw_plots, stopping)


def _train_and_save(args, session, library, recording, draw_plots, stopping) -> int:
    from trainers.cli.signals import exit_code
    from trainers.events import RunKey
    from trainers.storage import save_run

    result = session.run()
    logs_error = session.tensorboard_log.error if session.tensorboard_log else None
    if logs_error:  # the run went on without its logs: say so, it is not a failed run
        print(f"descent: warning: TensorBoard logs stopped: {logs_error}", file=sys.stderr)
    if args.out is not None:
        save_run(result, args.out, save_model=not args.no_model)
        if args.plots:
            write_plots(result, args.out, draw_plots)
        if recording is not None and not args.no_model and result.model is not None:
            recorder = recording.recorder_for(RunKey())
            recorder.set_model_path(Path(args.out).resolve() / "model.keras")
    if library is not None:
        warn_unrecorded(recording.error)
        library.close()
    losses = result.step_losses[np.isfinite(result.step_losses)]
    final = f"; final loss {result.final('loss'):.4f}" if result.final("loss") is not None else ""
    val = result.final("val_loss")
    val_text = f", val_loss {val:.4f}" if val is not None else ""
    print(
        f"{result.status}: {for_user(result.message)}{final}{val_text} "
        f"[{len(losses)} step points, {result.duration_s:.1f} s]"
        + (f" -> {args.out}" if args.out else "")
    )
    return exit_code(stopping, EXIT_OK if result.ok else EXIT_FAILED)
