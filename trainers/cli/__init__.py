"""The headless command line: `list`, `train`, `compare` and `runs`, for lab workstations.

Every `train` and `compare` run is recorded in the run library (`trainers.runs`) as it trains;
`runs` lists the library and shows, renames, tags or deletes a run.

Exit status: 0 on success, 2 on bad input (a one-paragraph message, no traceback), 1 on a run
that failed (divergence included; the history so far is still written).

The modules: `parser` (commands and flags, a RunConfig from them), one per command (`train`,
`compare`, `runs`), `output` (every text the commands print) and `exits` (the statuses above).
"""

from __future__ import annotations

import sys

from trainers.cli import commands, output
from trainers.cli.benchmark import FigureDrawer, cmd_benchmark
from trainers.cli.compare import cmd_compare
from trainers.cli.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from trainers.cli.parser import build_parser
from trainers.cli.runs import cmd_runs
from trainers.cli.train import PlotDrawer, cmd_train
from trainers.errors import DescentError


def cmd_list(out=None) -> int:
    """`descent list`: datasets, optimizers with their ranges, losses and the device."""
    from trainers.cli.plugins import origins

    w = (out or sys.stdout).write
    w(output.catalog_text(origins()))
    from trainers.cli.train import start_tensorflow

    start_tensorflow()  # without TensorFlow's start-up lines on stderr
    from trainers.build import device_description
    from trainers.distribute import gpu_names

    w(output.device_text(device_description(), len(gpu_names())))
    return EXIT_OK


def cmd_help(parser, topic: str | None) -> int:
    """`descent help [COMMAND]`: the same text as `--help` (or `COMMAND --help`)."""
    if topic is None:
        parser.print_help()
        return EXIT_OK
    if topic not in commands.COMMANDS:
        print(commands.unknown_word(topic), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        parser.parse_args([topic, "--help"])
    except SystemExit as done:  # argparse prints the help, then exits 0
        return int(done.code or 0)
    return EXIT_OK


def main(
    argv: list[str],
    draw_plots: PlotDrawer | None = None,
    draw_figures: FigureDrawer | None = None,
) -> int:
    """Run one sub-command; `draw_plots` draws `train --plots`'s pictures (see write_plots),
    `draw_figures` a benchmark report's."""
    from trainers.cli.plugins import load_for_command

    load_for_command(argv)  # before the parser: its choices and help read the catalog
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "help":
        return cmd_help(parser, args.topic)
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "train":
            return cmd_train(args, draw_plots)
        if args.command == "compare":
            return cmd_compare(args)
        if args.command == "benchmark":
            return cmd_benchmark(args, draw_figures)
        if args.command == "lr-find":
            from trainers.cli.lr_find import cmd_lr_find

            return cmd_lr_find(args, draw_figures)
        if args.command == "landscape":
            from trainers.cli.landscape import cmd_landscape

            return cmd_landscape(args, draw_figures)
        if args.command == "runs":
            return cmd_runs(args)
        if args.command == "check-plugin":
            from trainers.cli.plugins import cmd_check_plugin

            return cmd_check_plugin(args)
    except DescentError as exc:
        # On bad input the message is the whole story; a failed save after training exits 1.
        from trainers.errors import TrainingError
        from trainers.messages import for_user

        print(f"descent: {for_user(str(exc))}", file=sys.stderr)
        return EXIT_FAILED if isinstance(exc, TrainingError) else EXIT_BAD_INPUT
    parser.print_help()
    return EXIT_BAD_INPUT


__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "cmd_help", "cmd_list", "main"]
