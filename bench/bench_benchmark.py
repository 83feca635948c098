"""Row 11, a fair benchmark in minutes: `main.py benchmark`'s protocol on 3 problems of the
suite (moons, spirals, digits), 4 optimizers x 8 learning rates (grid), the best of each over
3 seeds, 20 epochs: 3 x (32 + 12) = 132 trainings, timed from start to the last member's end
(set-up, tracing and both phases included; the report's figures are not drawn here). Then the
same job from the window's Benchmark tab, with row 3's 10 ms timer measuring how late the UI
thread answers throughout."""

from __future__ import annotations

import time

import _common as bench
from bench_responsiveness import LatenessProbe, summary

SCRIPT = "bench_benchmark.py"
GOAL_S = 180.0
PROBLEMS = ["moons", "spirals", "digits"]
OPTIMIZERS = ["sgd", "momentum", "rmsprop", "adam"]


def headless() -> tuple[float, object]:
    from trainers import tuning
    from trainers.benchmark import BenchmarkSession, BenchmarkSpec

    spec = BenchmarkSpec(
        problems=tuning.problems(PROBLEMS), optimizers=OPTIMIZERS, trials=8, seeds=3, epochs=20
    )
    started = time.perf_counter()
    result = BenchmarkSession(spec).run()
    return time.perf_counter() - started, result


def in_window(folder) -> tuple[float, dict]:
    from PySide6.QtCore import Qt

    window = bench.open_window(folder)
    try:
        view = window.benchmark_view
        window.view_tabs.setCurrentWidget(view)
        for box, keys in ((view.problems_list, PROBLEMS), (view.optimizers_list, OPTIMIZERS)):
            for i in range(box.count()):
                item = box.item(i)
                on = item.data(Qt.ItemDataRole.UserRole) in keys
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        view.epochs_spin.setValue(20)
        probe = LatenessProbe()
        probe.start()
        started = time.perf_counter()
        (result,) = bench.wait_for(view.sig_benchmark_finished, 900, view.start)
        wall = time.perf_counter() - started
        late = probe.stop()
        if result is None:
            raise RuntimeError("the window's benchmark did not start")
    finally:
        bench.close_window(window)
    return wall, summary(late)


def run(folder) -> dict:
    wall, result = headless()
    bad = [t.label for t in result.trials if t.status not in ("completed", "diverged")]
    if bad:
        raise RuntimeError(f"benchmark members not completed: {bad[:3]}")
    members = len(result.trials)
    for note in result.engine_notes:
        bench.log(f"  {note[:160]}")
    bench.log(f"  headless: {members} trainings in {wall:.1f} s")
    window_wall, late = in_window(folder)
    bench.log(
        f"  window: {window_wall:.1f} s; UI lateness p50 {late['p50_ms']:.1f} ms, p99 "
        f"{late['p99_ms']:.1f} ms, max {late['max_ms']:.1f} ms over {late['ticks']} ticks"
    )
    return bench.make_row(
        11,
        "a fair benchmark in minutes",
        f"{'/'.join(PROBLEMS)}; SGD/Momentum/RMSprop/Adam x 8 learning rates (grid), the best "
        "of each over 3 seeds (one after another, each on its own clock), 20 epochs; wall time "
        "from start to the last member's end, headless; then from the window's Benchmark tab",
        f"{wall:.0f} s for {members} trainings headless; {window_wall:.0f} s from the window, "
        f"UI lateness p99 {late['p99_ms']:.1f} ms, max {late['max_ms']:.0f} ms",
        f"<= {GOAL_S:.0f} s",
        wall <= GOAL_S,
        SCRIPT,
        {
            "wall_s": wall,
            "members": members,
            "engine_notes": result.engine_notes,
            "window_wall_s": window_wall,
            "window_lateness": late,
        },
        notes=[
            f"from the window, the slowest tick was {late['max_ms']:.0f} ms late (p99 "
            f"{late['p99_ms']:.1f} ms); 2026-12-03: one such tick of 725-840 ms in each of "
            "three runs, a full garbage collection on the UI thread (gui/worker/collector.py). "
            "It freed 247k objects in 782 ms: the traced graphs and variables of the parts done "
            "so far, kept until the generation-2 threshold (freed on another thread it would "
            "still hold the GIL). Since the second session of 2026-12-03 a benchmark drops "
            "each run's model once trained and the window collects after each run or fused "
            "group (`CompareSession(keep_models=False, on_trained=...)`): 26-70 ms per rerun, "
            "~220 ms per fused tuning group of 32 (75k objects), max 300 ms from 800 (3 "
            "problems). Since 2026-12-03's third session a fused group's traced functions are "
            "freed a piece at a time, the engine waiting for each collection "
            "(`FusedGroup.release`): 4.6k, 25k and 39k objects, the window's collections "
            "at most 100-135 ms. What is left: those pieces, and a generation-1 collection "
            "of ~0.2 s at the job's start while the engine thread holds the GIL"
        ],
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
