"""The headless command line: `list`, `train` and `compare`, for lab workstations without a screen.

Exit status: 0 on success, 2 on bad input (a one-paragraph message, no traceback), 1 on a run
that failed (divergence included; the history so far is still written).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from trainers import catalog
from trainers.config import SCHEDULES, RunConfig
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
        help="folder for config.json, history.csv, steps.csv, model.keras",
    )
    train.add_argument("--no-model", action="store_true", help="do not save model.keras")
    train.add_argument("--quiet", action="store_true", help="print only the final line")

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
    return parser


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


def cmd_train(args: argparse.Namespace) -> int:
    from trainers.session import TrainingSession
    from trainers.storage import save_run

    config = config_from_args(args)
    progress = _Progress(args.quiet)
    result = TrainingSession(config, progress.listener).run()
    if args.out is not None:
        save_run(result, args.out, save_model=not args.no_model)
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
    session = CompareSession(runs, progress, target_loss=args.target_loss)
    rows = session.run()
    write_summary_csv(rows, args.out / "summary.csv")
    print(summary_table(rows, args.target_loss))
    print(f"-> {args.out / 'summary.csv'}")
    completed = all(row.status == "completed" for row in rows)
    return EXIT_OK if completed and not progress.save_errors else EXIT_FAILED


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "train":
            return cmd_train(args)
        if args.command == "compare":
            return cmd_compare(args)
    except DescentError as exc:
        # On bad input the message is the whole story; a failed save after training exits 1.
        from trainers.errors import TrainingError

        print(f"descent: {exc}", file=sys.stderr)
        return EXIT_FAILED if isinstance(exc, TrainingError) else EXIT_BAD_INPUT
    parser.print_help()
    return EXIT_BAD_INPUT
