"""The headless command line: `list`, `train`, `compare` and `runs`, for lab workstations.

Every `train` and `compare` run is recorded in the run library (`trainers.runs`) as it trains;
`runs` lists the library and shows, renames, tags or deletes a run.

Exit status: 0 on success, 2 on bad input (a one-paragraph message, no traceback), 1 on a run
that failed (divergence included; the history so far is still written).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from trainers import catalog
from trainers.config import DISTRIBUTE, SCHEDULES, RunConfig
from trainers.errors import DescentError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits with our bad-input status and a short message."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _optimizer_help() -> str:
    lines = []
    for info in catalog.OPTIMIZERS:
        params = ", ".join(f"{p.name}={p.default}" for p in info.params)
        lines.append(f"  {info.name:<10} {params}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="descent",
        description="Descent: train Keras models and watch optimizers and losses at work. "
        "With no command, opens the window.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    commands.add_parser("list", help="list datasets, optimizers and losses")

    train = commands.add_parser(
        "train",
        allow_abbrev=False,
        help="train one run headless",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="optimizers and their hyperparameters (set with --set NAME=VALUE):\n"
        + _optimizer_help(),
    )
    add_run_arguments(train)
    train.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for config.json, run.toml, history.csv, steps.csv, model.keras",
    )
    train.add_argument("--no-model", action="store_true", help="do not save model.keras")
    train.add_argument("--quiet", action="store_true", help="print only the final line")
    train.add_argument(
        "--plots",
        action="store_true",
        help="also draw the curves into --out as curves.png and curves.svg (offscreen, no "
        "display needed)",
    )
    train.add_argument(
        "--tensorboard",
        type=Path,
        metavar="DIR",
        help="also write TensorBoard event logs into DIR (train/ and validation/)",
    )

    compare = commands.add_parser(
        "compare",
        allow_abbrev=False,
        help="train several runs from the same initial weights and compare them",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train every combination of the values given, one run after another. All "
        "runs share the seed, so they start from the same initial weights (the layers their "
        "losses share) and see the batches in the same order.",
        epilog="example:\n  main.py compare --dataset digits --optimizers sgd,momentum,adam "
        "--epochs 10 --out runs/optimizers\n\n"
        "A list flag overrides its single-run flag (--optimizers over --optimizer).\n"
        "An optimizer other than --optimizer starts from its default hyperparameters;\n"
        "--learning-rate, when given, applies to every optimizer.",
    )
    add_run_arguments(compare)
    compare.add_argument("--optimizers", metavar="A,B,...", help="optimizers to compare")
    compare.add_argument(
        "--learning-rates", metavar="R,S,...", help="learning rates, each tried with each optimizer"
    )
    compare.add_argument("--losses", metavar="A,B,...", help="losses to compare")
    compare.add_argument(
        "--batch-sizes", metavar="N,M,...", help="batch sizes to compare, e.g. full,1,32"
    )
    compare.add_argument(
        "--gd-variants",
        action="store_true",
        help="batch (full), stochastic (1) and mini-batch gradient descent; the mini-batch "
        "size is --batch-size when that is 2 or more, else 32",
    )
    compare.add_argument(
        "--target-loss",
        type=float,
        metavar="X",
        help="report the first step at which the step loss, averaged over about the last 10 "
        "steps, is at or below X",
    )
    compare.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for one sub-folder per run (as `train --out` writes) and summary.csv",
    )
    compare.add_argument("--no-model", action="store_true", help="do not save model.keras")
    compare.add_argument("--quiet", action="store_true", help="print only the summary table")
    add_runs_parser(commands)
    return parser


RUNS_DIR_HELP = (
    "folder of the run library (runs.sqlite); default: $DESCENT_RUNS_DIR, else your user "
    "data folder"
)


def add_runs_parser(commands) -> None:
    """`runs [list|show|rename|tag|delete]`: the run library, headless."""
    runs = commands.add_parser(
        "runs",
        allow_abbrev=False,
        help="list recorded runs; show, rename, tag or delete one",
        description="Every train and compare run is recorded in the run library. With no "
        "action, lists the runs, newest first.",
    )
    runs.add_argument("--runs-dir", type=Path, default=None, help=RUNS_DIR_HELP)
    runs.set_defaults(dataset=None, optimizer=None, status=None, tag=None)
    runs.set_defaults(search=None, sort="started", ascending=False, limit=None, json=False)
    actions = runs.add_subparsers(dest="action", parser_class=_Parser)

    def action(name: str, help: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, allow_abbrev=False, help=help)
        # SUPPRESS: a value given before the action must survive the action's own default.
        sub.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS, help=RUNS_DIR_HELP)
        return sub

    from trainers.runs import ORDERS, STATUSES

    listing = action("list", "list runs (the default action)")
    listing.add_argument("--dataset", help="only runs on this dataset")
    listing.add_argument("--optimizer", help="only runs of this optimizer")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--tag", help="only runs with this tag")
    listing.add_argument("--search", help="part of a name, dataset or tag")
    listing.add_argument("--sort", choices=list(ORDERS), default="started")
    listing.add_argument("--ascending", action="store_true", help="smallest / oldest first")
    listing.add_argument("--limit", type=int, help="at most this many runs")
    listing.add_argument("--json", action="store_true", help="print the runs as JSON")
    show = action("show", "a run's settings, result, versions and epoch table")
    show.add_argument("run", type=int, help="the run's id (first column of `runs`)")
    show.add_argument("--json", action="store_true", help="print the run and its curves as JSON")
    rename = action("rename", "give a run a new name")
    rename.add_argument("run", type=int)
    rename.add_argument("name", nargs="+", help="the new name (words are joined)")
    tag = action("tag", "add tags to a run (or take them off with --remove)")
    tag.add_argument("run", type=int)
    tag.add_argument("tags", nargs="+")
    tag.add_argument("--remove", action="store_true", help="take these tags off instead")
    delete = action("delete", "delete runs and their curves")
    delete.add_argument("runs", type=int, nargs="+", metavar="run")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that make a RunConfig (shared by train and compare)."""
    names = ", ".join(d.name for d in catalog.DATASETS)
    parser.add_argument("--config", type=Path, help="a run.toml / .json to start from")
    parser.add_argument("--dataset", help=f"a built-in ({names}) or a .csv/.npz/image folder")
    parser.add_argument("--target", help="target column of a CSV file (default: the last)")
    parser.add_argument("--optimizer", choices=[o.name for o in catalog.OPTIMIZERS])
    parser.add_argument(
        "--loss",
        choices=[x.name for x in catalog.LOSSES],
        help="default: the usual loss for the dataset's task",
    )
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", help="samples per update, or `full` (batch GD); 1 = SGD")
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--schedule", choices=list(SCHEDULES))
    parser.add_argument("--hidden", help="hidden layer sizes, e.g. 32,32")
    parser.add_argument("--activation")
    parser.add_argument("--model", help="train this .keras model instead of the default one")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--validation-split", type=float)
    parser.add_argument("--jit", action="store_true", help="compile with XLA (jit_compile)")
    parser.add_argument(
        "--distribute",
        choices=list(DISTRIBUTE),
        help="mirrored: train on every GPU at once, each taking a share of every batch "
        "(tf.distribute.MirroredStrategy); default none",
    )
    parser.add_argument("--runs-dir", type=Path, default=None, help=RUNS_DIR_HELP)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an optimizer hyperparameter (beta_1=0.8), or loss.NAME, dataset.NAME, "
        "schedule.NAME for their options",
    )


def _parse_value(text: str):
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in lowered else number


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """A RunConfig from --config and the flags given (flags win)."""
    config = RunConfig.from_file(args.config) if args.config else RunConfig()
    direct = {
        "dataset": args.dataset,
        "target": args.target,
        "optimizer": args.optimizer,
        "loss": args.loss,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "schedule": args.schedule,
        "hidden_layers": args.hidden,
        "activation": args.activation,
        "model_path": args.model,
        "seed": args.seed,
        "validation_split": args.validation_split,
        "distribute": args.distribute,
    }
    for name, value in direct.items():
        if value is not None:
            setattr(config, name, value)
    if args.jit:
        config.jit_compile = True
    if args.optimizer and not args.config:
        config.hyperparameters = {}
    hyper = dict(config.hyperparameters)
    if args.learning_rate is not None:
        hyper["learning_rate"] = args.learning_rate
    targets = {
        "loss": config.loss_options,
        "dataset": config.dataset_options,
        "schedule": config.schedule_options,
    }
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise DescentError(f"--set takes NAME=VALUE. Received: {item!r}")
        prefix, dot, rest = name.strip().partition(".")
        if dot and prefix in targets:
            targets[prefix][rest] = _parse_value(value)
        else:
            hyper[name.strip()] = _parse_value(value)
    config.hyperparameters = hyper
    return config


def cmd_list(out=None) -> int:
    w = (out or sys.stdout).write
    w("Datasets\n")
    for kind in ("generated", "scikit-learn", "keras"):
        w(f"  {kind}:\n")
        for d in catalog.DATASETS:
            if d.kind == kind:
                w(f"    {d.name:<16} {d.task:<11} {d.description}\n")
    w("  your own: a .csv (--target COLUMN), a .npz with x and y, a folder of class folders\n\n")
    w("Optimizers (hyperparameter=default, valid range: meaning)\n")
    for info in catalog.OPTIMIZERS:
        w(f"  {info.name:<10} {info.display_name}: {info.equation.replace(chr(10), ' ; ')}\n")
        for p in info.params:
            w(f"      {p.name}={p.default}  {p.range_text()}: {p.help}\n")
    w("\nLosses (fits: tasks)\n")
    for loss in catalog.LOSSES:
        opts = ", ".join(f"{p.name}={p.default}" for p in loss.params)
        w(f"  {loss.name:<32} fits: {', '.join(loss.tasks):<20} {opts}\n")
    w("\nDevice\n")
    from trainers.session import device_description

    w(f"  {device_description()}\n")
    from trainers.distribute import gpu_names

    if len(gpu_names()) > 1:
        w(f"  --distribute mirrored trains on all {len(gpu_names())} GPUs at once\n")
    return EXIT_OK


class _Progress:
    """Prints one line per epoch (and a live step counter on a terminal)."""

    def __init__(self, quiet: bool, stream=None):
        from trainers.session import TrainingListener

        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()
        self.info = None
        listener = self

        class Listener(TrainingListener):
            def on_started(self, info):
                listener.info = info
                listener.started = time.perf_counter()
                listener.say(
                    f"{info.dataset_summary}\nmodel {info.model_summary}, loss {info.loss}, "
                    f"batch {info.batch_size} ({info.steps_per_epoch} steps/epoch), "
                    f"{info.device}"
                )

            def on_steps(self, steps, losses):
                if listener.tty and not listener.quiet and listener.info:
                    listener.stream.write(
                        f"\r  step {int(steps[-1])}/{listener.info.total_steps} "
                        f"loss {float(losses[-1]):.4f}   "
                    )

            def on_epoch_end(self, epoch, logs):
                total = listener.info.config.epochs if listener.info else "?"
                elapsed = time.perf_counter() - listener.started
                from trainers.storage import history_columns

                parts = "  ".join(f"{k} {logs[k]:.4f}" for k in history_columns(logs))
                left = elapsed / epoch * (total - epoch) if isinstance(total, int) else 0
                prefix = "\r" if listener.tty else ""
                listener.say(f"{prefix}epoch {epoch}/{total}  {parts}  ({left:.0f} s left)")

        self.listener = Listener()

    def say(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(text + "\n")
            self.stream.flush()


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


def _warn_unrecorded(error: str | None) -> None:
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


def cmd_train(args: argparse.Namespace, draw_plots: PlotDrawer | None = None) -> int:
    from trainers.runs import RecordingListener
    from trainers.session import TrainingSession
    from trainers.storage import save_run

    if args.plots and args.out is None:
        raise DescentError("--plots draws the curves into the --out folder: add --out DIR.")
    config = config_from_args(args)
    progress = _Progress(args.quiet)
    library = open_library(args.runs_dir, required=False)
    listener = progress.listener
    if library is not None:
        listener = RecordingListener(library, config, progress.listener, source="cli")
    session = TrainingSession(config, listener, tensorboard_dir=args.tensorboard)
    if library is not None:
        listener.session = session
    result = session.run()
    logs_error = getattr(session.listener, "error", None) if args.tensorboard else None
    if logs_error:  # the run went on without its logs: say so, it is not a failed run
        print(f"descent: warning: TensorBoard logs stopped: {logs_error}", file=sys.stderr)
    if args.out is not None:
        save_run(result, args.out, save_model=not args.no_model)
        if args.plots:
            write_plots(result, args.out, draw_plots)
        if library is not None and not args.no_model and result.model is not None:
            listener.recorder.set_model_path(Path(args.out).resolve() / "model.keras")
    if library is not None:
        _warn_unrecorded(listener.error)
        library.close()
    losses = result.step_losses[np.isfinite(result.step_losses)]
    final = f"; final loss {result.final('loss'):.4f}" if result.final("loss") is not None else ""
    val = result.final("val_loss")
    val_text = f", val_loss {val:.4f}" if val is not None else ""
    print(
        f"{result.status}: {result.message}{final}{val_text} "
        f"[{len(losses)} step points, {result.duration_s:.1f} s]"
        + (f" -> {args.out}" if args.out else "")
    )
    return EXIT_OK if result.ok else EXIT_FAILED


def _split(text: str | None) -> list[str] | None:
    """`a, b,c` -> ["a", "b", "c"]; None stays None (the axis is not compared)."""
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _float_list(flag: str, text: str | None) -> list[float] | None:
    values = _split(text)
    if values is None:
        return None
    try:
        return [float(v) for v in values]
    except ValueError:
        raise DescentError(
            f"{flag} takes numbers separated by commas. Received: {text!r}"
        ) from None


def compare_runs(args: argparse.Namespace) -> list:
    """The (label, RunConfig) runs that `main.py compare` asks for."""
    from trainers import compare

    base = config_from_args(args)
    axes = {
        "optimizers": _split(args.optimizers),
        "learning_rates": _float_list("--learning-rates", args.learning_rates),
        "losses": _split(args.losses),
        "batch_sizes": _split(args.batch_sizes),
    }
    if args.gd_variants and axes["batch_sizes"] is not None:
        raise DescentError(
            "--gd-variants chooses the batch sizes itself (full, 1 and a mini-batch): "
            "leave out --batch-sizes, or --gd-variants."
        )
    if args.target_loss is not None and not math.isfinite(args.target_loss):
        raise DescentError(
            f"--target-loss must be a finite number. Received: --target-loss {args.target_loss}"
        )
    given = any(values is not None for values in axes.values())
    if not given and not args.gd_variants:
        raise DescentError(
            "Nothing to compare: give one or more of --optimizers, --learning-rates, --losses, "
            "--batch-sizes, or --gd-variants."
        )
    runs = compare.plan(base, **axes)
    if not args.gd_variants:
        return runs
    size = str(base.batch_size).strip()
    minibatch = int(size) if size.isdigit() and int(size) >= 2 else 32
    variants = []
    for label, config in runs:
        for variant, variant_config in compare.gd_variants(config, minibatch):
            variants.append((f"{label} · {variant}" if given else variant, variant_config))
    return variants


def folder_name(label: str, taken: set[str]) -> str:
    """A folder name for a run's label: letters, digits, `.`, `-`, `_`; unique within `taken`."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in ".-") else "_" for c in label)
    safe = "_".join(part for part in safe.split("_") if part).strip("._") or "run"
    name, number = safe, 2
    while name.lower() in taken:
        name, number = f"{safe}-{number}", number + 1
    taken.add(name.lower())
    return name


def _format_number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if math.isfinite(value) else str(value)
    return str(value)


def summary_table(rows: list, target_loss: float | None = None) -> str:
    """The comparison's results as an aligned plain-text table."""
    metric = next((row.metric for row in rows if row.metric), "metric")
    columns = [
        ("run", lambda r: r.label),
        ("status", lambda r: r.status),
        ("epochs", lambda r: str(r.epochs_done)),
        ("loss", lambda r: _format_number(r.final_loss)),
        ("best loss", lambda r: _format_number(r.best_loss)),
        ("val_loss", lambda r: _format_number(r.final_val_loss)),
        ("best val_loss", lambda r: _format_number(r.best_val_loss)),
        (metric, lambda r: _format_number(r.final_metric)),
        (f"val_{metric}", lambda r: _format_number(r.final_val_metric)),
        ("time s", lambda r: f"{r.wall_time_s:.1f}"),
    ]
    if target_loss is not None:
        columns.append((f"step to {target_loss:g}", lambda r: _format_number(r.step_to_target)))
    cells = [[name for name, _ in columns]] + [[cell(r) for _, cell in columns] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = []
    for line in cells:
        first = line[0].ljust(widths[0])
        rest = (value.rjust(width) for value, width in zip(line[1:], widths[1:], strict=True))
        lines.append("  ".join([first, *rest]).rstrip())
    return "\n".join(lines)


class _CompareProgress:
    """Prints each run's start and epochs, and saves each run as soon as it ends."""

    def __init__(self, args: argparse.Namespace, count: int, stream=None):
        self.args = args
        self.count = count
        self.stream = stream or sys.stderr
        self.taken: set[str] = set()
        self.save_errors: list[str] = []
        self.epochs = 0
        self.folders: dict[int, Path] = {}  # run index -> the folder it was saved in

    def say(self, text: str) -> None:
        if not self.args.quiet:
            self.stream.write(text + "\n")
            self.stream.flush()

    def on_run_started(self, index: int, label: str, info) -> None:
        self.epochs = info.config.epochs
        self.say(
            f"[{index + 1}/{self.count}] {label}: {info.dataset_summary}; model "
            f"{info.model_summary}, loss {info.loss}, batch {info.batch_size} "
            f"({info.steps_per_epoch} steps/epoch)"
        )

    def on_run_epoch(self, index: int, epoch: int, logs: dict, seconds: float) -> None:
        from trainers.storage import history_columns

        parts = "  ".join(f"{k} {logs[k]:.4f}" for k in history_columns(logs))
        self.say(f"  epoch {epoch}/{self.epochs}  {parts}  ({seconds:.1f} s)")

    def on_run_finished(self, index: int, label: str, result) -> None:
        from trainers.storage import save_run

        folder = self.args.out / folder_name(label, self.taken)
        self.say(f"  {result.status}: {result.message} -> {folder}")
        try:
            save_run(result, folder, save_model=not self.args.no_model)
            if not self.args.no_model and result.model is not None:
                self.folders[index] = folder
        except DescentError as exc:  # keep going: the other runs and the summary still count
            self.save_errors.append(str(exc))
            print(f"descent: {exc}", file=sys.stderr)


def cmd_compare(args: argparse.Namespace) -> int:
    from trainers.compare import CompareSession, write_summary_csv

    runs = compare_runs(args)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DescentError(
            f"Cannot create the folder {args.out}: {exc.strerror or exc}. Choose one you can "
            f"write to."
        ) from None
    progress = _CompareProgress(args, len(runs))
    library = open_library(args.runs_dir, required=False)
    listener = progress
    if library is not None:
        from trainers.runs import CompareRecording

        listener = CompareRecording(library, progress, group=f"compare -> {args.out}")
    session = CompareSession(runs, listener, target_loss=args.target_loss)
    try:
        rows = session.run()
    finally:
        if library is not None:
            for index, folder in progress.folders.items():
                if index in listener.recorders:
                    listener.recorders[index].set_model_path(folder.resolve() / "model.keras")
            _warn_unrecorded(listener.error)
            library.close()
    write_summary_csv(rows, args.out / "summary.csv")
    print(summary_table(rows, args.target_loss))
    print(f"-> {args.out / 'summary.csv'}")
    completed = all(row.status == "completed" for row in rows)
    return EXIT_OK if completed and not progress.save_errors else EXIT_FAILED


def cmd_runs(args: argparse.Namespace, out=None) -> int:
    """The run library: list (default), show, rename, tag or delete."""
    import json

    from trainers import runs

    w = (out or sys.stdout).write
    action = args.action or "list"  # `runs` alone lists
    with open_library(args.runs_dir, required=True) as library:
        if action == "list":
            records = library.list_runs(
                dataset=args.dataset,
                optimizer=args.optimizer,
                status=args.status,
                tag=args.tag,
                search=args.search,
                order=args.sort,
                descending=not args.ascending,
                limit=args.limit,
            )
            if args.json:
                w(json.dumps([runs.record_as_dict(r) for r in records], indent=2) + "\n")
            elif records:
                w(runs.format_table(records) + "\n")
            else:
                w(f"No runs recorded in {library.path} match.\n")
        elif action == "show":
            record = library.get(args.run)
            curves = library.curves(args.run)
            if args.json:
                data = runs.record_as_dict(record)
                data["steps"] = curves.steps.tolist()
                data["step_losses"] = curves.losses.tolist()
                data["epochs"] = curves.epochs.tolist()
                data["history"] = {k: v.tolist() for k, v in curves.history.items()}
                w(json.dumps(data, indent=2) + "\n")
            else:
                w(runs.format_details(record, curves) + "\n")
        elif action == "rename":
            library.rename(args.run, " ".join(args.name))
            w(f"Run {args.run} is now named {library.get(args.run).name!r}.\n")
        elif action == "tag":
            change = library.remove_tags if args.remove else library.add_tags
            tags = change(args.run, args.tags)
            w(f"Run {args.run} tags: {', '.join(tags) or '(none)'}\n")
        elif action == "delete":
            for run_id in args.runs:
                library.get(run_id)  # every id checked before anything is deleted
            for run_id in args.runs:
                library.delete(run_id)
            w(f"Deleted {len(args.runs)} run(s).\n")
    return EXIT_OK


def main(argv: list[str], draw_plots: PlotDrawer | None = None) -> int:
    """Run one sub-command; `draw_plots` draws `train --plots`'s pictures (see write_plots)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "train":
            return cmd_train(args, draw_plots)
        if args.command == "compare":
            return cmd_compare(args)
        if args.command == "runs":
            return cmd_runs(args)
    except DescentError as exc:
        # On bad input the message is the whole story; a failed save after training exits 1.
        from trainers.errors import TrainingError

        print(f"descent: {exc}", file=sys.stderr)
        return EXIT_FAILED if isinstance(exc, TrainingError) else EXIT_BAD_INPUT
    parser.print_help()
    return EXIT_BAD_INPUT
