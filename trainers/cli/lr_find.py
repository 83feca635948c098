"""`descent lr-find`: the learning-rate range test of a run (`trainers.lr_find`).

The rate grows exponentially over a short run from the run's initial weights; the command
prints each rule's suggested rate and writes the curve as CSV (every step, every seed),
the settings and suggestions as JSON, and the picture as PNG and SVG (drawn by the window's
plotting, offscreen, where the entry point gives a drawer).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from trainers.cli.benchmark import FigureDrawer
from trainers.cli.compare import make_out_folder
from trainers.cli.exits import EXIT_FAILED, EXIT_OK
from trainers.cli.parser import config_from_args
from trainers.cli.train import start_tensorflow
from trainers.errors import ConfigError, DescentError

MAX_SEEDS = 16


def cmd_lr_find(args: argparse.Namespace, draw_figures: FigureDrawer | None = None) -> int:
    from trainers import lr_find

    if args.learning_rate is not None:
        raise ConfigError(
            "--learning-rate: the range test tries every rate from --min-rate to --max-rate "
            "itself; leave it out."
        )
    lr_find.check_range(args.min_rate, args.max_rate, args.steps)
    if not 1 <= args.seeds <= MAX_SEEDS:
        raise ConfigError(f"--seeds takes 1 to {MAX_SEEDS} (got {args.seeds}).")
    config = config_from_args(args).validate()
    make_out_folder(args.out)
    start_tensorflow()
    seeds = [config.seed + i for i in range(args.seeds)]
    test = lr_find.run_range_test(
        config, eta_min=args.min_rate, eta_max=args.max_rate, steps=args.steps, seeds=seeds
    )
    paths = write(test, args.out, draw_figures)
    if not args.quiet:
        print(summary_text(test))
    for path in paths:
        print(f"-> {path}")
    return EXIT_OK if paths else EXIT_FAILED


def summary_text(test) -> str:
    """What the command prints: how each seed's test ended and each rule's rate."""
    from trainers.lr_find import RULE_TEXT

    lines = [
        f"Range test of {test.config.optimizer} on {test.config.dataset}: "
        f"{len(test.curves)} seed(s), {max(len(c.rates) for c in test.curves)} steps at most, "
        f"{test.seconds:.1f} s"
    ]
    for curve in test.curves:
        lines.append(
            f"  seed {curve.seed}: {curve.ended} after {len(curve.rates)} steps "
            f"(rate {curve.rates[-1]:.3g})"
        )
    lines.append("Suggested learning rates (median curve over seeds):")
    for rule, rate in test.suggested().items():
        shown = "-" if rate is None else f"{rate:.3g}"
        lines.append(f"  {rule:<11} {shown:>9}   {RULE_TEXT[rule]}")
    return "\n".join(lines)


def write(test, out: Path, draw_figures: FigureDrawer | None) -> list[Path]:
    """range_test.csv, range_test.json and (with a drawer) range_test.png / .svg in `out`."""
    from trainers import lr_find

    rows = lr_find.curve_rows(test)
    csv_path, json_path = out / "range_test.csv", out / "range_test.json"
    summary = {
        "config": test.config.to_dict(),
        "seeds": test.seeds,
        "min_rate": float(test.curves[0].rates[0]),
        "steps_run": {str(c.seed): len(c.rates) for c in test.curves},
        "ended": {str(c.seed): c.ended for c in test.curves},
        "suggestions": test.suggested(),
        "suggestions_per_seed": {str(c.seed): c.suggestions for c in test.curves},
        "seconds": test.seconds,
    }
    try:
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        json_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise DescentError(
            f"Cannot write into {out}: {exc.strerror or exc}. Choose a folder you can write to."
        ) from None
    paths = [csv_path, json_path]
    if draw_figures is None:
        print("descent: this entry point cannot draw figures; only the CSV.", file=sys.stderr)
        return paths
    try:
        drawn = draw_figures([lr_find.figure(test)], out)
    except DescentError as exc:
        print(f"descent: the figure was not drawn: {exc}", file=sys.stderr)
        return paths
    return paths + [path for pair in drawn.values() for path in pair]
