"""Soak: 100 short runs in one window session leave memory and threads where they were.

Resident memory (from /proc) is read after every run, garbage collected first, so what is
measured is memory kept, not garbage not yet collected. The first runs pay once for what a
session keeps (each optimizer's first trace, TensorFlow's kernels and caches, the allocator's
arenas): about 30-50 MB over the first 15-30 runs here, after which memory stays level. So the
test compares the median of runs 21-30 with the median of runs 91-100; a leak of even 0.3 MB a
run would show as 20 MB between them.
"""

import gc
import os
import statistics
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QLineEdit, QSpinBox

from tests.gui.test_main_window import find, train_and_wait

RUNS = 100
EARLY = slice(20, 30)  # runs 21-30: every optimizer has run at least twice
LATE = slice(90, 100)  # runs 91-100
GROWTH_LIMIT_MB = 20.0
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")
PROC = Path("/proc/self")


def resident_mb() -> float:
    for line in (PROC / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise AssertionError("no VmRSS line in /proc/self/status")


def native_threads() -> int:
    return len(os.listdir(PROC / "task"))


def settle(qtbot) -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(50)
    gc.collect()


@pytest.mark.skipif(not (PROC / "status").exists(), reason="reads memory from /proc (Linux)")
def test_a_hundred_runs_keep_memory_level_and_the_thread_count_unchanged(qtbot, window):
    window.select_dataset("moons")  # 2-D: the decision-region view draws too
    find(window, QLineEdit, "hiddenLayersEdit").setText("8")
    find(window, QSpinBox, "epochsSpin").setValue(1)
    statuses, memory, threads = [], [], []
    for index in range(RUNS):
        window.panel.select_by_data(
            window.panel.optimizer_combo, OPTIMIZERS[index % len(OPTIMIZERS)]
        )
        statuses.append(train_and_wait(qtbot, window))
        settle(qtbot)
        memory.append(resident_mb())
        threads.append(native_threads())
    early, late = statistics.median(memory[EARLY]), statistics.median(memory[LATE])
    print(
        f"\nsoak: {RUNS} runs; MB after runs 1, 10, 20, ..., 100: "
        f"{[round(memory[0])] + [round(m) for m in memory[9::10]]}; median of runs 21-30 "
        f"{early:.1f} MB, of runs 91-100 {late:.1f} MB ({late - early:+.1f} MB); native "
        f"threads after run 1 {threads[0]}, after run 100 {threads[-1]}"
    )
    assert statuses == ["completed"] * RUNS
    assert threads[-1] == threads[0]
    assert late - early <= GROWTH_LIMIT_MB
    assert window.worker_thread.isRunning() and not window.running
