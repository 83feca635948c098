"""Row 7, 8 seeds trained together: moons 2-16-16-1, Adam, batch 32, 20 epochs, fused vs one
after another, on training time (set-up and tracing excluded; see bench/_fused.py)."""

from __future__ import annotations

import _common as bench
import _fused

SCRIPT = "bench_fused_seeds.py"
GOAL = 5.0


def run(folder) -> dict:
    from trainers.config import RunConfig

    base = RunConfig(dataset="moons", hidden_layers=(16, 16), batch_size=32, epochs=20)
    figures = _fused.compare(_fused.configs(base, ["adam"], None, 8), rounds=2)
    return bench.make_row(
        7,
        "8 seeds in one step",
        "moons 2-16-16-1, Adam, batch 32, 20 epochs, 8 seeds; training time of epochs 3-20",
        f"{figures['ratio']:.2f}x faster fused ({figures['fused_s']:.2f} s vs "
        f"{figures['sequential_s']:.2f} s)",
        f">= {GOAL:.0f}x",
        figures["ratio"] >= GOAL,
        SCRIPT,
        figures,
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
