"""Rows 7-9 (issue 15): members trained together in one compiled step against the same members
trained one after another, on training time only.

Training time is what `RunResult.epoch_times` counts (set-up, tracing and pauses left out,
`trainers.session`), taken between the end of the first `SKIP` epochs and the last, so the
first epochs' one-off costs (first calls, caches) fall out as a difference of two epoch
counts. Fused: the group's time (every member reports the same clock). Sequential: the sum of
the members' own times, each trained alone by `TrainingSession` as `--sequential` does.
"""

from __future__ import annotations

import dataclasses
import time

import _common as bench

SKIP = 2  # epochs left out at the start of every run


def configs(base, optimizers, rates, seeds):
    """Every optimizer x learning rate x seed, all on one data seed (the base's)."""
    from trainers.catalog import optimizer_info

    found = []
    for name in optimizers:
        for rate in rates or [None]:
            for seed in range(seeds):
                hp = {} if rate is None else {"learning_rate": rate}
                found.append(
                    dataclasses.replace(
                        base, optimizer=name, hyperparameters=hp, seed=seed, data_seed=0
                    )
                )
        optimizer_info(name)  # a typo fails here, not after minutes of training
    return found


def timed(result) -> float:
    return result.epoch_times[-1] - result.epoch_times[SKIP - 1]


def fused_seconds(members) -> tuple[float, float, str]:
    """(training seconds, wall seconds with set-up, engine note) of `members` as one job."""
    from trainers.compare import CompareSession

    runs = [(f"m{i}", config) for i, config in enumerate(members)]
    session = CompareSession(runs, engine="fused")
    started = time.perf_counter()
    session.run()
    wall = time.perf_counter() - started
    results = [result for _, result in session.results]
    bad = [r.status for r in results if r.status != "completed"]
    if bad or session.engine_used != "fused":
        raise RuntimeError(f"fused job: {session.engine_note}; statuses {bad}")
    return max(timed(r) for r in results), wall, session.engine_note


def sequential_seconds(members) -> tuple[float, float]:
    from trainers.session import TrainingSession

    total, started = 0.0, time.perf_counter()
    for config in members:
        result = TrainingSession(config).run()
        if result.status != "completed":
            raise RuntimeError(f"sequential run {result.status}: {result.message}")
        total += timed(result)
    return total, time.perf_counter() - started


def compare(members, rounds: int = 1) -> dict:
    """Fused and sequential, alternating, `rounds` times; medians and the median ratio."""
    fused, sequential, ratios, walls = [], [], [], []
    note = ""
    for _ in range(rounds):
        f, wall_f, note = fused_seconds(members)
        s, wall_s = sequential_seconds(members)
        fused.append(f)
        sequential.append(s)
        ratios.append(s / f)
        walls.append((wall_f, wall_s))
        bench.log(
            f"  {len(members)} members: fused {f:.2f} s ({wall_f:.1f} s with set-up), "
            f"sequential {s:.2f} s ({wall_s:.1f} s): {s / f:.2f}x"
        )
    return {
        "members": len(members),
        "fused_s": bench.median(fused),
        "sequential_s": bench.median(sequential),
        "ratio": bench.median(ratios),
        "fused_wall_s": bench.median([w[0] for w in walls]),
        "sequential_wall_s": bench.median([w[1] for w in walls]),
        "engine_note": note,
    }
