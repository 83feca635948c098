"""The headless command line: `list` and `train`, for lab workstations without a screen.

Exit status: 0 on success, 2 on bad input (a one-paragraph message, no traceback), 1 on a run
that failed (divergence included; the history so far is still written).
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "train":
            return cmd_train(args)
    except DescentError as exc:
        # On bad input the message is the whole story; a failed save after training exits 1.
        from trainers.errors import TrainingError

        print(f"descent: {exc}", file=sys.stderr)
        return EXIT_FAILED if isinstance(exc, TrainingError) else EXIT_BAD_INPUT
    parser.print_help()
    return EXIT_BAD_INPUT
