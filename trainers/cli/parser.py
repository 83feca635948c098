"""The command line's grammar: the parser of every command and flag, and a RunConfig from them.

`build_parser` makes `descent list | train | compare | runs`; `config_from_args` turns the
flags shared by train and compare (`add_run_arguments`) into a RunConfig, `--set NAME=VALUE`
included.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trainers import catalog
from trainers.cli.commands import COMMANDS, OPTIONS
from trainers.cli.exits import EXIT_BAD_INPUT
from trainers.config import ARCHITECTURES, DISTRIBUTE, SCHEDULES, RunConfig
from trainers.errors import DescentError
from trainers.plugin_folder import plugin_folder


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


EXAMPLES = {
    "list": "main.py list",
    "train": "main.py train --dataset moons --optimizer adam --epochs 20 --out runs/demo",
    "compare": "main.py compare --dataset digits --optimizers sgd,momentum,adam --epochs 10 "
    "--out runs/optimizers; main.py compare --dataset moons --optimizers sgd,momentum,adam "
    "--seeds 8 --epochs 20 --out runs/seeds",
    "benchmark": "main.py benchmark --out runs/bench; main.py benchmark --problems moons,digits "
    "--optimizers sgd,momentum,adam --trials 6 --search random --seeds 5 --space "
    "momentum.momentum=0,0.9 --out runs/bench2",
    "lr-find": "main.py lr-find --dataset digits --optimizer adam --out runs/lr; main.py "
    "lr-find --dataset moons --optimizer sgd --seeds 3 --steps 300 --out runs/lr-sgd",
    "landscape": "main.py landscape --dataset digits --optimizers sgd,momentum,adam --epochs 10 "
    "--out runs/land",
    "runs": "main.py runs; main.py runs show 3; main.py runs tag 3 keep",
    "check-plugin": "main.py check-plugin my_optimizer.py; main.py check-plugin --name adam",
    "help": "main.py help train",
}
"""One line of examples for each sub-command's help."""


def _command(commands, name: str, epilog: str = "", **options) -> argparse.ArgumentParser:
    """Sub-command `name` (its help from `commands.COMMANDS`, its examples from `EXAMPLES`),
    whose help keeps its line breaks and whose flags are never abbreviated."""
    examples = f"examples: {EXAMPLES[name]}"
    return commands.add_parser(
        name,
        allow_abbrev=False,
        help=COMMANDS[name],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{epilog}\n\n{examples}" if epilog else examples,
        **options,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="descent",
        description="Descent: train Keras models and watch optimizers and losses at work. "
        "With no command, opens the window.",
        epilog="other options: "
        + "; ".join(f"{o} ({h})" for o, h in OPTIONS.items() if o not in ("-h", "--help")),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    _command(commands, "list")

    train = _command(
        commands,
        "train",
        epilog="optimizers and their hyperparameters (set with --set NAME=VALUE):\n"
        + _optimizer_help(),
    )
    add_run_arguments(train)
    add_output_arguments(
        train,
        out_help=(
            "folder for config.json, run.toml, history.csv, steps.csv, model.keras, model.json"
        ),
        quiet_help="print only the final line",
    )
    train.add_argument(
        "--plots",
        action="store_true",
        help="also draw the curves into --out as curves.png and curves.svg (offscreen, no "
        "display needed)",
    )
    train.add_argument(
        "--sharpness-every",
        type=int,
        metavar="N",
        help="measure the sharpness (the largest eigenvalue of the loss's Hessian, Adam's "
        "and RMSprop's preconditioned) at the start and every N steps, on a fixed batch, "
        "against the optimizer's stability threshold (2/eta for SGD); --out writes "
        "sharpness.csv",
    )
    train.add_argument(
        "--tensorboard",
        type=Path,
        metavar="DIR",
        help="also write TensorBoard event logs into DIR (train/ and validation/)",
    )

    compare = _command(
        commands,
        "compare",
        description="Train every combination of the values given. All runs share the seed, so "
        "they start from the same initial weights (the layers their losses share) and see the "
        "batches in the same order. With --seeds N each run is repeated with seeds "
        "--seed, --seed+1, ... (the data and its order stay those of --seed), and the summary "
        "gives the median and spread over the seeds.",
        epilog="A list flag overrides its single-run flag (--optimizers over --optimizer).\n"
        "An optimizer other than --optimizer starts from its default hyperparameters;\n"
        "--learning-rate, when given, applies to every optimizer.\n"
        "The runs train together in one compiled step where that is faster (--fused forces\n"
        "it, --sequential trains them one after another); the line after the runs says which.",
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
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help="repeat every run with N seeds (1-100; default 1): each group's median and its "
        "spread (min-max and interquartile) go in summary.csv and the table",
    )
    add_engine_arguments(
        compare,
        fused_help="train the runs together in one compiled step (default: where it is faster)",
        sequential_help="train the runs one after another",
    )
    add_output_arguments(
        compare,
        out_help="folder for one sub-folder per run (as `train --out` writes; with --seeds, "
        "one per seed) and summary.csv",
        quiet_help="print only the summary table",
        out_required=True,
    )
    add_benchmark_parser(commands)
    add_lr_find_parser(commands)
    add_landscape_parser(commands)
    add_runs_parser(commands)
    add_check_plugin_parser(commands)
    helping = _command(commands, "help")
    helping.add_argument("topic", nargs="?", help="a command whose help to print")
    for name in PLUGIN_COMMANDS:
        commands.choices[name].add_argument(
            "--plugin",
            action="append",
            default=[],
            type=Path,
            metavar="FILE.py",
            help="load this plugin (an optimizer or loss) besides the plugin folder's "
            f"({plugin_folder()}); repeatable",
        )
    return parser


PLUGIN_COMMANDS = ("list", "train", "compare", "benchmark", "lr-find", "landscape", "check-plugin")
"""The commands that take --plugin (every command loads the plugin folder's)."""


def add_check_plugin_parser(commands) -> None:
    check = _command(
        commands,
        "check-plugin",
        description="Run each optimizer and loss a plugin file defines through the checks our "
        "own pass: config round-trip, a step gives finite weights, it traces under jit_compile, "
        "it lowers the loss of a quadratic, a saved model reloads in a fresh process, and two "
        "MirroredStrategy devices match one. Prints a table; exits 0 only when every check "
        "passed.",
    )
    check.add_argument("files", nargs="*", type=Path, metavar="FILE.py", help="plugin files")
    check.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="NAME",
        help="also check this optimizer or loss of the catalog (ours, or a plugin's)",
    )


RUNS_DIR_HELP = (
    "folder of the run library (runs.sqlite); default: $DESCENT_RUNS_DIR, else your user "
    "data folder"
)


def add_lr_find_parser(commands) -> None:
    from trainers import lr_find

    finder = _command(
        commands,
        "lr-find",
        description="From the run's initial weights, train one batch per step with the rate "
        "growing exponentially from --min-rate to --max-rate, until the loss is not finite or "
        "its smoothed value exceeds 4x its best. The weights and optimizer state are put back "
        "after. Three rules suggest a rate (see ../shared/EQUATIONS.md, Instruments): steepest "
        "fall, minimum / 10, valley. The run's own schedule is left out while testing.",
    )
    add_run_arguments(finder)
    finder.add_argument(
        "--min-rate", type=float, default=lr_find.ETA_MIN, metavar="X", help="first rate (1e-7)"
    )
    finder.add_argument(
        "--max-rate", type=float, default=lr_find.ETA_MAX, metavar="X", help="last rate (10)"
    )
    finder.add_argument(
        "--steps",
        type=int,
        default=lr_find.STEPS,
        metavar="N",
        help=f"steps from the first rate to the last ({lr_find.MIN_STEPS}-{lr_find.MAX_STEPS}; "
        f"default {lr_find.STEPS})",
    )
    finder.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help="test N initial weights (seeds --seed, --seed+1, ...) together; the suggestions "
        "come from the median curve, the picture shows the band (default 1)",
    )
    finder.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for range_test.csv, range_test.json, range_test.png and range_test.svg",
    )
    finder.add_argument("--quiet", action="store_true", help="print only the files written")


def add_landscape_parser(commands) -> None:
    from trainers import landscape

    land = _command(
        commands,
        "landscape",
        description="Train each optimizer from the same initial weights, taking snapshots of "
        "the weights as they train; then compute the loss along straight lines (each run's "
        "start to end, and the first run's end to the second's, from t=-0.5 to 1.5), on a "
        "slice around the first run's final weights along two filter-normalized random "
        "directions, and on the plane of the first two principal components of all the "
        "snapshots, with every run's path on it (see ../shared/EQUATIONS.md, Instruments).",
    )
    add_run_arguments(land)
    land.add_argument(
        "--optimizers",
        metavar="A,B,...",
        help="optimizers whose paths to draw on one plane (default: the run's --optimizer)",
    )
    land.add_argument(
        "--grid",
        type=int,
        default=landscape.GRID,
        metavar="N",
        help=f"points a side of each map ({landscape.MIN_GRID}-{landscape.MAX_GRID}; default "
        f"{landscape.GRID})",
    )
    land.add_argument(
        "--snapshots",
        type=int,
        default=landscape.SNAPSHOTS,
        metavar="N",
        help=f"about N weight snapshots per run make its path (default {landscape.SNAPSHOTS})",
    )
    land.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for lines.csv, slice.csv, paths.csv, paths_map.csv, landscape.json and "
        "the figures (lines, slice, paths as PNG and SVG)",
    )
    land.add_argument("--quiet", action="store_true", help="print only the files written")


def add_benchmark_parser(commands) -> None:
    """`benchmark`: the fair-comparison protocol of `trainers.tuning`."""
    from trainers import tuning

    bench = _command(
        commands,
        "benchmark",
        description="On each problem, every optimizer gets the same number of trials within "
        "its search space (the learning rate, log-uniform over five decades around its "
        "default, unless --space says more); the best trial of each by --criterion is rerun "
        "over --seeds seeds. The report folder holds every trial (trials.csv), the table per "
        "problem and optimizer (summary.csv), the performance profiles, the expected best of "
        "k trials, the figures (plots/, PNG and SVG) and report.html, which opens anywhere.",
        epilog="problems of the built-in suite (training-loss targets):\n"
        + "\n".join(
            f"  {p.name:<10} {p.config.dataset}, target {p.target:g}" for p in tuning.SUITE.values()
        )
        + "\n--dataset adds a problem of your own (its model and loss from the flags below).",
    )
    add_run_arguments(bench)
    bench.add_argument(
        "--problems", metavar="A,B,...", help="problems of the suite (default: all of them)"
    )
    bench.add_argument("--optimizers", metavar="A,B,...", help="default: sgd,momentum,rmsprop,adam")
    bench.add_argument("--trials", type=int, default=8, metavar="N", help="trials per optimizer")
    bench.add_argument("--search", choices=list(tuning.RULES), default="grid")
    bench.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="OPT.NAME=SPEC",
        help="search NAME of optimizer OPT too (or instead of its default range): LOW:HIGH, "
        "or V1,V2,... e.g. momentum.momentum=0,0.9 or adam.learning_rate=1e-4:1e-1",
    )
    bench.add_argument("--seeds", type=int, default=3, metavar="N", help="seeds per best setting")
    bench.add_argument(
        "--seconds",
        type=float,
        metavar="S",
        help="a time budget: each trial also ends at the first epoch end past S seconds of its "
        "own training (set-up and tracing not counted); every trial then trains alone, on its "
        "own clock",
    )
    bench.add_argument(
        "--target-loss",
        action="append",
        default=[],
        metavar="[PROBLEM=]X",
        help="the training loss that counts as solved (default: the suite's)",
    )
    bench.add_argument("--criterion", choices=list(tuning.CRITERIA), default="final_val_loss")
    add_engine_arguments(
        bench,
        fused_help="train the reruns over seeds together too (faster; their seconds to the "
        "target are then not their own). By default the trials train together where that is "
        "faster and the reruns one after another, each on its own clock",
        sequential_help="train every trial one after another",
    )
    add_output_arguments(
        bench,
        out_help="the report's folder",
        quiet_help="print only the table",
        out_required=True,
    )


def add_runs_parser(commands) -> None:
    """`runs [list|show|rename|tag|delete]`: the run library, headless."""
    runs = _command(
        commands,
        "runs",
        description="Every train and compare run is recorded in the run library. With no "
        "action, lists the runs, newest first.",
    )
    runs.add_argument("--runs-dir", type=Path, default=None, help=RUNS_DIR_HELP)
    _add_list_arguments(runs, suppress=False)  # `runs --tag keep` lists as `runs list` does
    actions = runs.add_subparsers(dest="action", parser_class=_Parser)

    def action(name: str, help: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, allow_abbrev=False, help=help)
        # SUPPRESS: a value given before the action must survive the action's own default.
        sub.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS, help=RUNS_DIR_HELP)
        return sub

    _add_list_arguments(action("list", "list runs (the default action)"), suppress=True)
    show = action("show", "a run's settings, result, versions and epoch table")
    show.add_argument("run", type=int, help="the run's id (first column of `runs`)")
    show.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the run and its curves as JSON",
    )
    rename = action("rename", "give a run a new name")
    rename.add_argument("run", type=int)
    rename.add_argument("name", nargs="+", help="the new name (words are joined)")
    tag = action("tag", "add tags to a run (or take them off with --remove)")
    tag.add_argument("run", type=int)
    tag.add_argument("tags", nargs="+")
    tag.add_argument("--remove", action="store_true", help="take these tags off instead")
    delete = action("delete", "delete runs and their curves")
    delete.add_argument("runs", type=int, nargs="+", metavar="run")


def _add_list_arguments(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The filters and order of `runs` and `runs list`: with `suppress`, flags not given
    leave the namespace alone, so those given before the action survive it."""
    from trainers.runs import ORDERS, STATUSES

    def default(value):
        return argparse.SUPPRESS if suppress else value

    parser.add_argument("--dataset", default=default(None), help="only runs on this dataset")
    parser.add_argument("--optimizer", default=default(None), help="only runs of this optimizer")
    parser.add_argument("--status", choices=STATUSES, default=default(None))
    parser.add_argument("--tag", default=default(None), help="only runs with this tag")
    parser.add_argument("--search", default=default(None), help="part of a name, dataset or tag")
    parser.add_argument("--sort", choices=list(ORDERS), default=default("started"))
    parser.add_argument(
        "--ascending", action="store_true", default=default(False), help="smallest / oldest first"
    )
    parser.add_argument("--limit", type=int, default=default(None), help="at most this many runs")
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="print the runs as JSON"
    )


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that make a RunConfig (shared by train and compare)."""
    names = ", ".join(d.name for d in catalog.DATASETS)
    parser.add_argument("--config", type=Path, help="a run.toml / .json to start from")
    parser.add_argument("--dataset", help=f"a built-in ({names}) or a .csv/.npz/image folder")
    parser.add_argument("--target", help="target column of a CSV file (default: the last)")
    parser.add_argument(
        "--exclude", metavar="A,B,...", help="columns of a CSV file to leave out, e.g. id,name"
    )
    parser.add_argument(
        "--text-columns",
        choices=["onehot", "refuse"],
        help="a CSV feature column of text: one 0/1 column per value (onehot, the default) "
        "or refuse the file",
    )
    parser.add_argument(
        "--missing",
        choices=["refuse", "drop", "mean"],
        help="CSV rows with missing values: refuse the file (the default), drop those rows, or "
        "fill with the column mean",
    )
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
    parser.add_argument(
        "--architecture",
        choices=list(ARCHITECTURES),
        help="the default network: auto (a small CNN in front for images), mlp (dense layers "
        "only) or cnn (images only)",
    )
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


def add_engine_arguments(parser, *, fused_help: str, sequential_help: str) -> None:
    """--fused / --sequential (one or neither) into `engine`: "fused", "sequential", "auto"."""
    engines = parser.add_mutually_exclusive_group()
    for flag, engine, text in (
        ("--fused", "fused", fused_help),
        ("--sequential", "sequential", sequential_help),
    ):
        engines.add_argument(
            flag, dest="engine", action="store_const", const=engine, default="auto", help=text
        )


def add_output_arguments(
    parser: argparse.ArgumentParser, *, out_help: str, quiet_help: str, out_required: bool = False
) -> None:
    """--out, --no-model and --quiet: what a training command writes and prints."""
    parser.add_argument("--out", type=Path, default=None, required=out_required, help=out_help)
    parser.add_argument("--no-model", action="store_true", help="do not save model.keras")
    parser.add_argument("--quiet", action="store_true", help=quiet_help)


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
        "architecture": args.architecture,
        "model_path": args.model,
        "seed": args.seed,
        "validation_split": args.validation_split,
        "distribute": args.distribute,
        "sharpness_every": getattr(args, "sharpness_every", None),  # train's own flag
    }
    for name, value in direct.items():
        if value is not None:
            setattr(config, name, value)
    if args.jit:
        config.jit_compile = True
    if args.optimizer and not args.config:
        config.hyperparameters = {}
    choices = {"text_columns": args.text_columns, "missing": args.missing}
    if args.exclude is not None:
        choices["exclude"] = [name.strip() for name in args.exclude.split(",") if name.strip()]
    config.dataset_options.update({k: v for k, v in choices.items() if v is not None})
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
