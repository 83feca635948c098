"""Row 9, a grid of 105 members: 7 optimizers x 5 learning rates x 3 seeds on moons trained
together, against the time of one single run (training time; see bench/_fused.py)."""

from __future__ import annotations

import _common as bench
import _fused

SCRIPT = "bench_fused_grid.py"
GOAL = 15.0
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"]
RATES = [0.001, 0.003, 0.01, 0.03, 0.1]


def run(folder) -> dict:
    from trainers.config import RunConfig
    from trainers.session import TrainingSession

    base = RunConfig(dataset="moons", hidden_layers=(16, 16), batch_size=32, epochs=10)
    members = _fused.configs(base, OPTIMIZERS, RATES, 3)
    fused, wall, note = _fused.fused_seconds(members)
    single = _fused.timed(TrainingSession(members[-1]).run())
    times = fused / single
    bench.log(
        f"  105 members fused {fused:.2f} s ({wall:.1f} s with set-up); one run {single:.2f} s"
    )
    return bench.make_row(
        9,
        "105 members vs one run",
        "moons 2-16-16-1, batch 32, 10 epochs, 7 optimizers x 5 rates x 3 seeds; training "
        "time of epochs 3-10",
        f"{times:.1f}x one run's time ({fused:.2f} s vs {single:.2f} s; {wall:.0f} s with "
        "set-up and tracing)",
        f"<= {GOAL:.0f}x",
        times <= GOAL,
        SCRIPT,
        {"fused_s": fused, "single_s": single, "times": times, "fused_wall_s": wall, "note": note},
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
