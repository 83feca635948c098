"""Row 3, the window stays responsive: lateness of a 10 ms timer on the UI thread while training.

The real MainWindow, offscreen and shown, trains the row-1 workload (digits x10, MLP 64-128-10,
Adam, batch 32, 4 epochs) started with its Train button, twice: the first run of the session
(tracing included) and a second one. Meanwhile a single-shot 10 ms QTimer (Qt.PreciseTimer)
re-arms itself on the UI thread; the lateness of a tick is the time it fired minus the time it
was due (armed + 10 ms). Anything that blocks the UI thread (a long paint, a slow slot, the GIL
held by the training thread) shows up as lateness. The same timer on the idle window, measured
just before, is the machine's own baseline. Figures: p50, p99 and max over both runs' ticks
(the goal), and, to tell a run's set-up from its training, the same over the ticks after each
run's first epoch has ended (model building, tracing and the first steps done).
"""

from __future__ import annotations

import time

import _common as bench

SCRIPT = "bench_responsiveness.py"
INTERVAL_MS = 10
IDLE_SECONDS = 3.0
RUNS = 2


class LatenessProbe:
    """A 10 ms single-shot timer that re-arms itself and records how late each tick was."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._on_tick)
        self.late_ms: list[float] = []
        self.fired: list[float] = []  # perf_counter() of each tick
        self.due = 0.0

    def start(self) -> None:
        self.late_ms = []
        self.fired = []
        self._arm()

    def stop(self) -> list[float]:
        self.timer.stop()
        return self.late_ms

    def _arm(self) -> None:
        self.due = time.perf_counter() + INTERVAL_MS / 1000.0
        self.timer.start(INTERVAL_MS)

    def _on_tick(self) -> None:
        now = time.perf_counter()
        self.late_ms.append(max(0.0, (now - self.due) * 1000.0))
        self.fired.append(now)
        self._arm()


def summary(late: list[float]) -> dict:
    return {
        "ticks": len(late),
        "p50_ms": bench.percentile(late, 50),
        "p99_ms": bench.percentile(late, 99),
        "max_ms": max(late) if late else float("nan"),
    }


def idle_baseline(probe: LatenessProbe) -> list[float]:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(IDLE_SECONDS * 1000), loop.quit)
    probe.start()
    loop.exec()
    return probe.stop()


def run(folder: str) -> dict:
    path = bench.digits_npz(folder)
    bench.log("row 3: opening the window...")
    window = bench.open_window(folder)
    try:
        bench.set_digits_form(window, path)
        probe = LatenessProbe()
        idle = summary(idle_baseline(probe))
        bench.log(
            f"  idle window: p50 {idle['p50_ms']:.1f} ms, p99 {idle['p99_ms']:.1f} ms, "
            f"max {idle['max_ms']:.1f} ms over {idle['ticks']} ticks"
        )
        per_run = []
        everything: list[float] = []
        settled: list[float] = []  # ticks after each run's first epoch: not a goal, a diagnosis
        first_epoch_end = []
        from trainers.events import EpochEnded

        def on_events(events):
            if any(isinstance(e, EpochEnded) and e.epoch == 1 for e in events):
                first_epoch_end.append(time.perf_counter())

        window.worker.sig_events.connect(on_events)
        for index in range(RUNS):
            first_epoch_end.clear()
            probe.start()
            status = bench.train_in_window(window)
            late = probe.stop()
            if first_epoch_end:
                settled += [
                    ms for ms, t in zip(late, probe.fired, strict=True) if t > first_epoch_end[0]
                ]
            if status != "completed":
                raise RuntimeError(f"window run {status}: {window.status_label.text()}")
            figures = summary(late)
            per_run.append(figures)
            everything += late
            bench.log(
                f"  training run {index + 1}: p50 {figures['p50_ms']:.1f} ms, p99 "
                f"{figures['p99_ms']:.1f} ms, max {figures['max_ms']:.1f} ms over "
                f"{figures['ticks']} ticks"
            )
    finally:
        bench.close_window(window)
    total = summary(everything)
    after_first = summary(settled)
    bench.log(
        f"  after each run's first epoch (set-up and tracing done): p99 "
        f"{after_first['p99_ms']:.1f} ms, max {after_first['max_ms']:.1f} ms over "
        f"{after_first['ticks']} ticks"
    )
    met = total["p99_ms"] <= 20.0 and total["max_ms"] <= 100.0
    return bench.make_row(
        3,
        "the window stays responsive",
        f"real MainWindow offscreen, {RUNS} Train runs of the row-1 workload (4 epochs); lateness "
        f"of a re-armed {INTERVAL_MS} ms PreciseTimer on the UI thread",
        f"p99 {total['p99_ms']:.1f} ms, max {total['max_ms']:.1f} ms "
        f"(p50 {total['p50_ms']:.1f} ms, {total['ticks']} ticks; idle p99 "
        f"{idle['p99_ms']:.1f} ms; after each run's first epoch p99 "
        f"{after_first['p99_ms']:.1f} ms, max {after_first['max_ms']:.1f} ms)",
        "p99 <= 20 ms, max <= 100 ms",
        met,
        SCRIPT,
        {"training": total, "per_run": per_run, "idle": idle, "after_first_epoch": after_first},
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
