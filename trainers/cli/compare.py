"""`descent compare`: several runs from the same initial weights, each saved in its own folder
and recorded in the run library, then summed up in summary.csv and a table. With `--seeds N`
every run is repeated over N seeds and summed up per group: the median and spread over seeds.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from trainers.cli.exits import EXIT_FAILED, EXIT_OK
from trainers.cli.output import aligned_table, format_logs, format_number, steps_per_epoch_text
from trainers.cli.parser import config_from_args
from trainers.cli.train import make_out_folder, open_library, start_tensorflow, warn_unrecorded
from trainers.errors import DescentError
from trainers.messages import for_user
from trainers.parsing import float_list, split_list


def seeded_runs(args: argparse.Namespace):
    """The runs of `compare_runs` repeated over `--seeds`: a `trainers.plans.SeededPlan`."""
    from trainers import plans
    from trainers.errors import ConfigError

    runs = compare_runs(args)
    try:
        return plans.over_seeds(runs, args.seeds)
    except ConfigError:
        raise DescentError(
            f"--seeds takes a whole number from 1 to {plans.MAX_SEEDS}. "
            f"Received: --seeds {args.seeds}"
        ) from None


def compare_runs(args: argparse.Namespace) -> list:
    """The (label, RunConfig) runs that `main.py compare` asks for, before seeds."""
    from trainers import plans

    base = config_from_args(args)
    axes = {
        "optimizers": split_list(args.optimizers),
        "learning_rates": float_list("--learning-rates", args.learning_rates),
        "losses": split_list(args.losses),
        "batch_sizes": split_list(args.batch_sizes),
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
    runs = plans.plan(base, **axes)
    if not args.gd_variants:
        return runs
    size = str(base.batch_size).strip()
    minibatch = int(size) if size.isdigit() and int(size) >= 2 else 32
    variants = []
    for label, config in runs:
        for variant, variant_config in plans.gd_variants(config, minibatch):
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


def summary_table(rows: list, target_loss: float | None = None) -> str:
    """The comparison's results as an aligned plain-text table."""
    metric = next((row.metric for row in rows if row.metric), "metric")
    columns = [
        ("run", lambda r: r.label),
        ("status", lambda r: r.status),
        ("epochs", lambda r: str(r.epochs_done)),
        ("loss", lambda r: format_number(r.final_loss)),
        ("best loss", lambda r: format_number(r.best_loss)),
        ("val_loss", lambda r: format_number(r.final_val_loss)),
        ("best val_loss", lambda r: format_number(r.best_val_loss)),
        (metric, lambda r: format_number(r.final_metric)),
        (f"val_{metric}", lambda r: format_number(r.final_val_metric)),
        ("time s", lambda r: f"{r.wall_time_s:.1f}"),
    ]
    if target_loss is not None:
        columns.append((f"step to {target_loss:g}", lambda r: format_number(r.step_to_target)))
    # The run's label to the left, every number to the right.
    return aligned_table(columns, rows, [False] + [True] * (len(columns) - 1))


def group_table(groups: list, target_loss: float | None = None) -> str:
    """Each group's median over its seeds, with the range (min-max) beside it."""
    metric = next((row.metric for g in groups for row in g.rows if row.metric), "metric")

    def figure(name: str):
        def cell(group) -> str:
            spread = group.figures[name]
            if spread.median is None:
                return "-"
            if name == "step_to_target":
                return _steps(spread)
            low, high = format_number(spread.min), format_number(spread.max)
            return f"{format_number(spread.median)} ({low}-{high})"

        return cell

    columns = [
        ("run (median over seeds, min-max)", lambda g: g.label),
        ("seeds", lambda g: str(g.trained)),
        ("status", lambda g: g.status),
        ("loss", figure("final_loss")),
        ("val_loss", figure("final_val_loss")),
        ("best val_loss", figure("best_val_loss")),
        (metric, figure("final_metric")),
        (f"val_{metric}", figure("final_val_metric")),
    ]
    if target_loss is not None:
        columns.append((f"step to {target_loss:g}", figure("step_to_target")))
    return aligned_table(columns, groups, [False] + [True] * (len(columns) - 1))


def _steps(spread) -> str:
    """Steps to the target over seeds: a seed that missed is "never" (and counts)."""

    def text(value) -> str:
        return "never" if math.isinf(value) else str(int(round(value)))

    return f"{text(spread.median)} ({text(spread.min)}-{text(spread.max)})"


class _CompareProgress:
    """Prints each run's start, epochs and notes on its learning rate, and saves each run as
    soon as it ends."""

    def __init__(self, args: argparse.Namespace, runs: list, stream=None):
        self.args = args
        self.count = len(runs)
        self.planned = [label for label, _ in runs]
        self.configs = [config for _, config in runs]
        self.labels: dict[int, str] = {}
        self.stream = stream or sys.stderr
        self.taken: set[str] = set()
        self.save_errors: list[str] = []
        self.epochs = 0
        self.folders: dict[int, Path] = {}  # run index -> the folder it was saved in

    def say(self, text: str) -> None:
        if not self.args.quiet:
            self.stream.write(text + "\n")
            self.stream.flush()

    def __call__(self, event) -> None:
        from trainers.events import Advice, EpochEnded, Failed, Finished, RunResult, Started

        index = event.key.member
        match event:
            case Started(info=info, label=label):
                self.labels[index] = label
                self.epochs = info.config.epochs
                self.say(
                    f"[{index + 1}/{self.count}] {label}: {info.dataset_summary}; model "
                    f"{info.model_summary}, loss {info.loss}, batch {info.batch_size} "
                    f"({steps_per_epoch_text(info.steps_per_epoch)})"
                )
            case EpochEnded(epoch=epoch, logs=logs, seconds=seconds):
                self.say(f"  epoch {epoch}/{self.epochs}  {format_logs(logs)}  ({seconds:.1f} s)")
            case Advice(text=text):
                self.say(f"  note: {text}")
            case Finished(result=result):
                self.save(index, result)
            case Failed(result=result, message=message) if index is not None:
                if result is None:  # it could not start: a row that says why
                    result = RunResult(self.configs[index], status="failed", message=message)
                self.save(index, result)

    def save(self, index: int, result) -> None:
        """Save run `index` in its own folder as soon as it ends."""
        from trainers.storage import save_run

        label = self.labels.get(index) or self.planned[index]
        folder = self.args.out / folder_name(label, self.taken)
        self.say(f"  {result.status}: {for_user(result.message)} -> {folder}")
        try:
            save_run(result, folder, save_model=not self.args.no_model)
            if not self.args.no_model and result.model is not None:
                self.folders[index] = folder
        except DescentError as exc:  # keep going: the other runs and the summary still count
            self.save_errors.append(str(exc))
            print(f"descent: {for_user(str(exc))}", file=sys.stderr)


def open_recording(runs_dir: Path | None, group: str):
    """(library, recording) for a job of many runs under `group`; (None, None) when the
    library cannot be opened (a warning is printed, the runs train unrecorded)."""
    library = open_library(runs_dir, required=False)
    if library is None:
        return None, None
    from trainers.runs import LibraryRecording

    return library, LibraryRecording(library, kind="compare", group=group)


def write_job_record(path: Path, session, runs) -> None:
    """The job's record beside its summary: which engine trained it and why, and its runs."""
    record = {
        "engine": session.engine_used,
        "why": session.engine_note,
        "runs": [label for label, _config in runs],
    }
    try:
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        print(f"descent: could not write {path}: {exc.strerror or exc}", file=sys.stderr)


def cmd_compare(args: argparse.Namespace) -> int:
    """Train and save every run asked for; EXIT_OK when all completed and were saved."""
    plan = seeded_runs(args)
    runs = plan.runs
    start_tensorflow()
    from trainers.compare import CompareSession
    from trainers.events import tee
    from trainers.summary import group_summaries, write_summary_csv

    make_out_folder(args.out)
    progress = _CompareProgress(args, runs)
    library, recording = open_recording(args.runs_dir, f"compare -> {args.out}")
    from trainers.cli.signals import StopOnSignals, exit_code
    from trainers.control import JobControl

    control = JobControl()
    session = CompareSession(
        runs,
        tee(recording, progress),
        target_loss=args.target_loss,
        engine=args.engine,
        control=control,
    )
    stopping = StopOnSignals(control)
    try:
        with stopping:
            rows = session.run()
    finally:
        if recording is not None:
            for key, recorder in recording.recorders.items():
                if key.member in progress.folders:
                    folder = progress.folders[key.member]
                    recorder.set_model_path(folder.resolve() / "model.keras")
            warn_unrecorded(recording.error)
            library.close()
    if not args.quiet:
        print(session.engine_note)
    groups = group_summaries(rows, plan.groups, args.target_loss) if plan.seeds > 1 else None
    write_summary_csv(rows, args.out / "summary.csv", groups)
    write_job_record(args.out / "job.json", session, runs)
    print(summary_table(rows, args.target_loss))
    if groups:
        print()
        print(group_table(groups, args.target_loss))
    print(f"-> {args.out / 'summary.csv'}")
    completed = all(row.status == "completed" for row in rows)
    return exit_code(stopping, EXIT_OK if completed and not progress.save_errors else EXIT_FAILED)
