"""`descent benchmark`: a fair comparison of optimizers (`trainers.tuning`'s protocol).

Each optimizer gets the same number of trials within its search space on every problem, its
best trial is rerun over several seeds, and the report folder holds every trial as CSV rows,
the summary per problem and optimizer, the performance profiles and the expected best of k
trials, the figures as PNG and SVG (drawn by the window's plotting, offscreen, where the entry
point gives a drawer) and one self-contained HTML page.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from trainers.cli.compare import make_out_folder, open_recording
from trainers.cli.exits import EXIT_FAILED, EXIT_OK
from trainers.cli.output import aligned_table
from trainers.cli.parser import config_from_args
from trainers.cli.train import start_tensorflow, warn_unrecorded
from trainers.errors import ConfigError, DescentError
from trainers.parsing import split_list

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")

FigureDrawer = Callable[[list, Path], dict]
"""Draws the report's figures (`trainers.report.Figure`s) into a folder: {name: (png, svg)}."""


def spec_from_args(args: argparse.Namespace):
    """The BenchmarkSpec that `main.py benchmark` asks for (a DescentError names a bad flag)."""
    import dataclasses

    from trainers import tuning
    from trainers.benchmark import BenchmarkSpec

    for flag, value in (
        ("--optimizer", args.optimizer),
        ("--learning-rate", args.learning_rate),
        ("--schedule", args.schedule),
    ):
        if value is not None:
            raise DescentError(
                f"{flag}: a benchmark tunes each optimizer itself. Name them with --optimizers "
                f"and widen or narrow what is tuned with --space OPTIMIZER.NAME=LOW:HIGH."
            )
    optimizers = split_list(args.optimizers) or list(DEFAULT_OPTIMIZERS)
    names = split_list(args.problems)
    problems = [] if args.dataset is not None and names is None else tuning.problems(names)
    targets = _targets(args.target_loss)
    if args.dataset is not None:
        own = config_from_args(args)
        own.hyperparameters = {}
        own = own.validate()  # "8" from --hidden as (8,), as the record will say
        name = Path(str(args.dataset)).stem or str(args.dataset)
        problems.append(tuning.Problem(name, own, targets.pop(name, targets.pop("", None))))
    unknown = set(targets) - {p.name for p in problems} - {""}
    if unknown:
        raise DescentError(
            f"--target-loss names {', '.join(sorted(unknown))}, not a problem of this benchmark "
            f"({', '.join(p.name for p in problems)})."
        )
    problems = [
        dataclasses.replace(p, target=targets.get(p.name, targets.get("", p.target)))
        for p in problems
    ]
    spaces: dict[str, list] = {}
    for text in args.space:
        optimizer, dot, rest = text.partition(".")
        if not dot or optimizer not in optimizers:
            raise DescentError(
                f"--space {text!r}: give OPTIMIZER.NAME=LOW:HIGH or OPTIMIZER.NAME=V1,V2 for one "
                f"of the optimizers benchmarked ({', '.join(optimizers)})."
            )
        spaces.setdefault(optimizer, []).append(tuning.parse_axis(optimizer, rest))
    spec = BenchmarkSpec(
        problems=problems,
        optimizers=optimizers,
        spaces=spaces,
        trials=args.trials,
        rule=args.search,
        seeds=args.seeds,
        epochs=args.epochs,
        seconds=args.seconds,
        criterion=args.criterion,
        seed=args.seed if args.seed is not None else 0,
        engine=args.engine,
        # --fused asks for speed over seconds of their own: the reruns train together too.
        seed_engine="fused" if args.engine == "fused" else "sequential",
    )
    try:
        return spec.validate()
    except ConfigError as exc:
        raise DescentError(str(exc)) from None


def _targets(items: list[str]) -> dict[str, float]:
    """--target-loss PROBLEM=X (or X alone, for every problem without one of its own)."""
    found = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise DescentError(
                f"--target-loss takes PROBLEM=X or X, X a finite number. Received: {item!r}"
            )
        found[name.strip() if sep else ""] = number
    return found


class _Progress:
    """One line per member as it ends, and each phase's note."""

    def __init__(self, quiet: bool, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.labels: dict[int, str] = {}
        self.ended = 0

    def __call__(self, event) -> None:
        from trainers.events import Failed, Finished, Started, Status

        if self.quiet:
            return
        match event:
            case Started(label=label):
                self.labels[event.key.member] = label
            case Status(text=text) if event.key.member is None and text.startswith("Problem"):
                self.stream.write(f"{text}\n")
            case Finished(result=result) | Failed(result=result) if event.key.member is not None:
                self.ended += 1
                label = self.labels.get(event.key.member, f"member {event.key.member}")
                status = result.status if result is not None else "failed"
                self.stream.write(f"  [{self.ended}] {label}: {status}\n")
        self.stream.flush()


def cmd_benchmark(args: argparse.Namespace, draw_figures: FigureDrawer | None = None) -> int:
    """Run the benchmark and write its report; EXIT_OK when the report was written."""
    spec = spec_from_args(args)
    make_out_folder(args.out)
    start_tensorflow()
    from trainers import report
    from trainers.benchmark import BenchmarkSession
    from trainers.events import tee

    library, recording = open_recording(args.runs_dir, f"benchmark -> {args.out}")
    session = BenchmarkSession(spec, tee(recording, _Progress(args.quiet)))
    try:
        result = session.run()
    finally:
        if recording is not None:
            warn_unrecorded(recording.error)
            library.close()
    built = report.build(result)
    pictures = {}
    if draw_figures is not None:
        try:
            pictures = draw_figures(built.figures, args.out / "plots")
        except DescentError as exc:
            print(f"descent: the figures were not drawn: {exc}", file=sys.stderr)
    else:
        print(
            "descent: this entry point cannot draw figures; the report has its tables only.",
            file=sys.stderr,
        )
    paths = report.write(built, args.out, pictures)
    print(summary_text(built))
    for note in result.engine_notes:
        print(note)
    print(f"-> {paths['html']}")
    return EXIT_OK if paths else EXIT_FAILED


def summary_text(built) -> str:
    """The report's table per problem and optimizer, as aligned text."""
    columns = [
        ("problem", lambda r: r["problem"]),
        ("optimizer", lambda r: r["optimizer"]),
        ("best setting", lambda r: r["setting"]),
        ("median (95% CI)", lambda r: r["performance"]),
        ("steps to target", lambda r: r["speed"]),
        ("trials within 10%", lambda r: r["tuneability"]),
        ("vs the best", lambda r: r["noise"]),
    ]
    return aligned_table(columns, built.table, [False, False, False, True, True, True, False])
