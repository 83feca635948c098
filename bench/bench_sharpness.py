"""Row 13, the cost of tracking the sharpness: the same run with `sharpness_every` on and off,
alternated, 2 rounds, wall time of `TrainingSession.run()` (set-up included in both; the
tracked run also traces its Hessian-vector product). Two workloads: the edge-of-stability
demo (sine, 16-16 relu, full-batch gradient descent at 0.3, 300 epochs, measured every 25
steps) and a mini-batch one (digits 64, Adam, batch 32, 10 epochs, every 100 steps)."""

from __future__ import annotations

import statistics
import time

import _common as bench

SCRIPT = "bench_sharpness.py"
GOAL = 1.15
ROUNDS = 2


def workloads() -> dict:
    from trainers.config import RunConfig

    return {
        "sine GD": (
            RunConfig(
                "sine",
                optimizer="sgd",
                hyperparameters={"learning_rate": 0.3},
                batch_size="full",
                epochs=300,
            ),
            25,
        ),
        "digits Adam": (
            RunConfig("digits", optimizer="adam", hidden_layers=(64,), batch_size=32, epochs=10),
            100,
        ),
    }


def timed(config) -> float:
    from trainers.session import TrainingSession

    started = time.perf_counter()
    result = TrainingSession(config).run()
    if result.status != "completed":
        raise RuntimeError(f"{config.dataset}: {result.status} {result.message}")
    return time.perf_counter() - started


def run(folder) -> dict:
    import dataclasses

    ratios, figures = {}, {}
    for name, (config, every) in workloads().items():
        tracked = dataclasses.replace(config, sharpness_every=every)
        off, on = [], []
        timed(config)  # warm-up: the first run in a process pays TensorFlow's own start
        for _ in range(ROUNDS):
            off.append(timed(config))
            on.append(timed(tracked))
        ratios[name] = statistics.median(on) / statistics.median(off)
        figures[name] = {"off_s": off, "on_s": on, "every": every}
        bench.log(
            f"  {name}: off {statistics.median(off):.2f} s, on {statistics.median(on):.2f} s "
            f"(every {every} steps): {ratios[name]:.3f}x"
        )
    worst = max(ratios.values())
    return bench.make_row(
        13,
        "the cost of tracking sharpness",
        "sine 16-16 full-batch GD at 0.3, 300 epochs, every 25 steps; digits 64 Adam batch 32, "
        "10 epochs, every 100 steps; the same run on and off, alternated, 2 rounds, medians",
        ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()),
        f"<= {GOAL:.2f}x each",
        worst <= GOAL,
        SCRIPT,
        {"ratios": ratios, **figures},
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
