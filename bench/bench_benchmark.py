"""Row 11, a fair benchmark in minutes: `main.py benchmark`'s protocol on 3 problems of the
suite (moons, spirals, digits), 4 optimizers x 8 learning rates (grid), the best of each over
3 seeds, 20 epochs: 3 x (32 + 12) = 132 trainings, timed from start to the last member's end
(set-up, tracing and both phases included; the report's figures are not drawn here)."""

from __future__ import annotations

import time

import _common as bench

SCRIPT = "bench_benchmark.py"
GOAL_S = 180.0
PROBLEMS = ["moons", "spirals", "digits"]


def run(folder) -> dict:
    from trainers import tuning
    from trainers.benchmark import BenchmarkSession, BenchmarkSpec

    spec = BenchmarkSpec(
        problems=tuning.problems(PROBLEMS),
        optimizers=["sgd", "momentum", "rmsprop", "adam"],
        trials=8,
        seeds=3,
        epochs=20,
    )
    started = time.perf_counter()
    result = BenchmarkSession(spec).run()
    wall = time.perf_counter() - started
    bad = [t.label for t in result.trials if t.status not in ("completed", "diverged")]
    if bad:
        raise RuntimeError(f"benchmark members not completed: {bad[:3]}")
    members = len(result.trials)
    for note in result.engine_notes:
        bench.log(f"  {note[:160]}")
    bench.log(f"  {members} trainings in {wall:.1f} s")
    return bench.make_row(
        11,
        "a fair benchmark in minutes",
        f"{'/'.join(PROBLEMS)}; SGD/Momentum/RMSprop/Adam x 8 learning rates (grid), the best "
        "of each over 3 seeds, 20 epochs; wall time from start to the last member's end",
        f"{wall:.0f} s for {members} trainings",
        f"<= {GOAL_S:.0f} s",
        wall <= GOAL_S,
        SCRIPT,
        {"wall_s": wall, "members": members, "engine_notes": result.engine_notes},
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
