"""Row 8, 4 optimizers x 8 seeds trained together: digits 64-128-10, batch 32, fused vs one
after another, on training time (set-up and tracing excluded; see bench/_fused.py)."""

from __future__ import annotations

import _common as bench
import _fused

SCRIPT = "bench_fused_optimizers.py"
GOAL = 8.0


def run(folder) -> dict:
    from trainers.config import RunConfig

    base = RunConfig(dataset="digits", hidden_layers=(128,), batch_size=32, epochs=6)
    members = _fused.configs(base, ["sgd", "momentum", "rmsprop", "adam"], None, 8)
    figures = _fused.compare(members)
    return bench.make_row(
        8,
        "32 members in one step",
        "digits 64-128-10, batch 32, 6 epochs, SGD/Momentum/RMSprop/Adam x 8 seeds; training "
        "time of epochs 3-6",
        f"{figures['ratio']:.2f}x faster fused ({figures['fused_s']:.2f} s vs "
        f"{figures['sequential_s']:.2f} s)",
        f">= {GOAL:.0f}x",
        figures["ratio"] >= GOAL,
        SCRIPT,
        figures,
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
