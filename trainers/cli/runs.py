"""`descent runs`: the run library, headless: list (the default), show, rename, tag, delete."""

from __future__ import annotations

import argparse
import json
import sys

from trainers.cli.exits import EXIT_OK
from trainers.cli.output import format_details, format_table, printable
from trainers.cli.train import open_library


def cmd_runs(args: argparse.Namespace, out=None) -> int:
    """The run library: list (default), show, rename, tag or delete."""
    from trainers.runs import record_as_dict

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
                w(json.dumps([record_as_dict(r) for r in records], indent=2) + "\n")
            elif records:
                w(format_table(records) + "\n")
            else:
                w(f"No runs recorded in {library.path} match.\n")
        elif action == "show":
            record = library.get(args.run)
            curves = library.curves(args.run)
            if args.json:
                data = record_as_dict(record)
                data["steps"] = curves.steps.tolist()
                data["step_losses"] = curves.losses.tolist()
                data["epochs"] = curves.epochs.tolist()
                data["history"] = {k: v.tolist() for k, v in curves.history.items()}
                w(json.dumps(data, indent=2) + "\n")
            else:
                w(format_details(record, curves) + "\n")
        elif action == "rename":
            library.rename(args.run, " ".join(args.name))
            w(f"Run {args.run} is now named {printable(repr(library.get(args.run).name))}.\n")
        elif action == "tag":
            change = library.remove_tags if args.remove else library.add_tags
            tags = change(args.run, args.tags)
            w(f"Run {args.run} tags: {printable(', '.join(tags)) or '(none)'}\n")
        elif action == "delete":
            for run_id in args.runs:
                library.get(run_id)  # every id checked before anything is deleted
            for run_id in args.runs:
                library.delete(run_id)
            w(f"Deleted {len(args.runs)} run(s).\n")
    return EXIT_OK
