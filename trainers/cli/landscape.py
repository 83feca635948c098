"""`descent landscape`: the loss along lines and planes of the network (`trainers.landscape`).

Trains each optimizer from the same initial weights with snapshots of the weights, then writes
the loss along the lines, on the slice and on the paths' shared plane as CSV, the settings,
timings and the plane's explained variance as JSON, and the three pictures as PNG and SVG
(drawn by the window's plotting, offscreen, where the entry point gives a drawer).
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
from trainers.errors import DescentError
from trainers.parsing import split_list


def cmd_landscape(args: argparse.Namespace, draw_figures: FigureDrawer | None = None) -> int:
    from trainers import landscape, plans

    base = config_from_args(args).validate()
    optimizers = split_list(args.optimizers)
    runs = plans.plan(base, optimizers=optimizers) if optimizers else plans.plan(base)
    spec = landscape.LandscapeSpec(runs=runs, grid=args.grid, snapshots=args.snapshots)
    landscape.check_spec(spec)
    make_out_folder(args.out)
    start_tensorflow()
    found = landscape.LandscapeSession(spec).run()
    if found.status != "completed":
        print(f"descent: the landscape was not computed: {found.message}", file=sys.stderr)
        return EXIT_FAILED
    paths = write(found, args.out, draw_figures)
    if not args.quiet:
        print(summary_text(found))
    for path in paths:
        print(f"-> {path}")
    return EXIT_OK


def summary_text(found) -> str:
    """What the command prints: each run's end, the lines' ends, the maps and their times."""
    lines = [f"Landscape of {len(found.labels)} run(s), {found.seconds:.1f} s in all"]
    for label, result in zip(found.labels, found.results, strict=True):
        final = result.final("loss")
        shown = "-" if final is None else f"{final:.4g}"
        lines.append(f"  {label}: {result.status}, final training loss {shown}")
    for line in found.lines:
        lines.append(
            f"  line {line.label}: loss {line.train[10]:.4g} at t=0, {line.train[30]:.4g} at t=1"
        )
    for name, loss_map in (("slice", found.slice), ("paths' plane", found.paths_map)):
        if loss_map is not None:
            n = len(loss_map.xs) * len(loss_map.ys)
            lines.append(
                f"  {name}: {len(loss_map.xs)} x {len(loss_map.ys)} points in "
                f"{loss_map.seconds:.1f} s, loss {loss_map.values.min():.4g} to "
                f"{loss_map.values.max():.4g} ({n / max(loss_map.seconds, 1e-9):.0f} points/s)"
            )
    lines.append(f"  {found.note}")
    return "\n".join(lines)


def _csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["empty"])
        writer.writeheader()
        writer.writerows(rows)


def write(found, out: Path, draw_figures: FigureDrawer | None) -> list[Path]:
    """The CSV files, landscape.json and (with a drawer) the figures, in `out`."""
    from trainers import landscape

    tables = {
        "lines.csv": landscape.line_rows(found),
        "slice.csv": landscape.map_rows(found.slice, ("a", "b")),
        "paths_map.csv": landscape.map_rows(found.paths_map, ("pc1", "pc2")),
        "paths.csv": landscape.path_rows(found),
    }
    summary = {
        "runs": {
            label: result.config.to_dict()
            for label, result in zip(found.labels, found.results, strict=True)
        },
        "explained": list(found.plane.explained),
        "note": found.note,
        "slice_of": found.labels[found.slice_index],
        "slice_seconds": found.slice.seconds,
        "paths_map_seconds": found.paths_map.seconds,
        "grid": len(found.slice.xs),
        "seconds": found.seconds,
    }
    written = []
    try:
        for name, rows in tables.items():
            _csv(out / name, rows)
            written.append(out / name)
        (out / "landscape.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        written.append(out / "landscape.json")
    except OSError as exc:
        raise DescentError(
            f"Cannot write into {out}: {exc.strerror or exc}. Choose a folder you can write to."
        ) from None
    if draw_figures is None:
        print("descent: this entry point cannot draw figures; only the CSV.", file=sys.stderr)
        return written
    try:
        drawn = draw_figures(landscape.figures(found), out)
    except DescentError as exc:
        print(f"descent: the figures were not drawn: {exc}", file=sys.stderr)
        return written
    return written + [path for pair in drawn.values() for path in pair]
