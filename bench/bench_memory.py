"""Row 6, memory: resident memory growth over 30 consecutive runs in one window session.

The real MainWindow, offscreen and shown, with its worker: 31 tiny runs in a row, each started
with Train (moons, 320 training samples, MLP 16-16 relu, Adam, batch 32, 2 epochs, validation
0.2: the decision-boundary view is on, as for any 2-D dataset). After each run the event loop is
drained and `gc.collect()` runs (so the figure is memory kept, not garbage not yet collected),
then the process's RSS is read from /proc. Growth = RSS after run 31 - RSS after run 1: the
first run pays for one-off allocations (TensorFlow's kernels, graph caches, fonts) and is the
baseline. The slope (MB per run, least squares over runs 2-31) is reported with it.
"""

from __future__ import annotations

import gc

import _common as bench

SCRIPT = "bench_memory.py"
RUNS = 31
GOAL_MB = 50.0


def run(folder: str) -> dict:
    import numpy as np

    bench.log("row 6: opening the window...")
    window = bench.open_window(folder)
    rss: list[float] = []
    try:
        bench.set_form(
            window, "moons", hidden="16, 16", epochs=2, batch=32, validation=0.2, optimizer="adam"
        )
        for index in range(RUNS):
            status = bench.train_in_window(window)
            if status != "completed":
                raise RuntimeError(f"run {index + 1} {status}: {window.status_label.text()}")
            bench.qt_app().processEvents()
            gc.collect()
            rss.append(bench.rss_mb())
            if index in (0, 1) or (index + 1) % 5 == 0:
                bench.log(f"  after run {index + 1:2d}: RSS {rss[-1]:7.1f} MB")
    finally:
        bench.close_window(window)
    growth = rss[-1] - rss[0]
    slope = float(np.polyfit(np.arange(1, RUNS), rss[1:], 1)[0])
    return bench.make_row(
        6,
        "memory",
        f"real MainWindow + worker, {RUNS} Train runs in a row (moons, MLP 16-16, Adam, 2 epochs);"
        " RSS after each run (gc.collect() first)",
        f"+{growth:.1f} MB over runs 2-{RUNS} ({slope:+.2f} MB/run; RSS after run 1 "
        f"{rss[0]:.0f} MB)",
        f"<= {GOAL_MB:.0f} MB",
        growth <= GOAL_MB,
        SCRIPT,
        {"growth_mb": growth, "slope_mb_per_run": slope, "rss_mb": rss},
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
