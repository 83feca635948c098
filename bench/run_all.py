"""Run every benchmark, print one table, and write it with the machine to docs/performance.md.

Each row's script runs in a fresh process (`bench/bench_*.py --json FILE`), so one row's
TensorFlow and Qt state never colours another's. A row that fails is reported as such and the
others still run. `make bench` runs this offscreen; the whole run takes 3-9 minutes.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import _common as bench

SCRIPTS = (
    (1, "training throughput", "bench_throughput.py"),
    (2, "our optimizers vs Keras's", "bench_optimizers.py"),
    (3, "the window stays responsive", "bench_responsiveness.py"),
    (4, "start-up", "bench_startup.py"),
    (5, "long curves", "bench_long_curves.py"),
    (6, "memory", "bench_memory.py"),
    (7, "8 seeds in one step", "bench_fused_seeds.py"),
    (8, "32 members in one step", "bench_fused_optimizers.py"),
    (9, "105 members vs one run", "bench_fused_grid.py"),
    (10, "the window while 32 runs train together", "bench_fused_window.py"),
    (11, "a fair benchmark in minutes", "bench_benchmark.py"),
    (12, "the range test's rate against a grid search", "bench_lr_find.py"),
    (13, "the cost of tracking sharpness", "bench_sharpness.py"),
    (14, "a 41x41 loss map", "bench_landscape.py"),
)
REPORT = bench.ROOT / "docs" / "performance.md"
ROW_TIMEOUT_S = 420
NOISE = ("cudart_stub", "absl::InitializeLog", "cuInit", "cpu_feature_guard", "AVX2 FMA")

# Why a row missed, and the change that would win it: found by profiling (cProfile, py-spy,
# timers) and by prototypes measured in scratch copies on these machines (2026-11-25,
# 2026-12-01), each against the current code in the same run. Printed into the report only for
# the rows that missed.
ANALYSIS = {
    1: (
        "Done (issue 6, 2026-11-25 and 2026-12-01). First pass: a sampled effective-rate "
        "median, a step plot with fixed step axis and a loss axis refitted once a second, 10 Hz "
        "frames with one plot per frame (c/b 0.45-0.60 -> 0.87 on an AMD EPYC). Second pass, "
        "on the 2-core Xeon this table comes from, where c/b was 0.56-0.62 at first: (1) the "
        "optimizer probe's effective rate read once per chunk by a compiled function, not by "
        "~20 operations inside every step; (2) update sizes summed by our optimizers as they "
        "step (one l2_loss per variable) instead of comparing all weights with a copy, and "
        "step losses taken from Keras's own loss tracker, in one ring buffer returned with the "
        "logs (b+/b 0.76 -> 0.93-0.99); (3) tf.data autotuning off: destroying each epoch's "
        "iterator waited for its thread, 300 ms in one window run out of five (c was bimodal, "
        "44k or 60k samples/s); (4) steps_per_execution recalibrated on measured step times, "
        "24 -> 60 here, ~100 -> ~42 events a second; (5) epoch plots with the whole run's epoch "
        "axis and drawn at most every 0.5 s, axes cached as pixmaps, the progress bar moved "
        "once a frame, hidden views not fed every frame. c/b 0.62 -> 0.88-0.90 over four runs "
        "of this row. What is left: the probe, 1-7% (b+/b), and the window's UI thread, ~8% "
        "(c/b+): ~200 ms of its CPU per 2-s run, of which the step plot's frames (~3.4 ms each "
        "at 10 Hz) and the epoch plots (~6 ms a drawing) during training. Tried and not kept: "
        "TF_ENABLE_ONEDNN_OPTS=0 (small MLPs +20% for b and c alike, but a small CNN on 28x28 "
        "images 1.9x slower), TensorFlow on one thread (+22% on this MLP, process-wide, takes "
        "larger models' parallelism), XLA (slower). Next: draw the step plot's frames at 5 Hz "
        "while epochs are shorter than a second, or skip a frame when nothing new is visible at "
        "the plot's resolution. 2026-12-03: this table now comes from a 2-core AMD EPYC with "
        "half the Xeon's samples/s; there the code of commit 74e3f3e, which gave c/b 0.97 on the "
        "Xeon, gives c/b 0.85 (0.80), as today's code does (0.82-0.85): the drop is the "
        "machine's, not a change of Descent's."
    ),
    2: (
        "Differences of a few percent are within this machine's noise (repeats of one pair range "
        "0.95-1.07). At 60 steps per call our Adam was 1.07-1.11 of Keras's until its update "
        "took fewer operations per weight tensor (bias corrections as scalars); rerun the row "
        "alone before acting on a miss."
    ),
    3: (
        "Done (issue 6): full garbage collections moved off the engine thread and TensorFlow's "
        "objects frozen out of them (stalls of 200-340 ms gone); the epoch and metric plots no "
        "longer repaint in the same frame as the step plot; axes cached as pixmaps; epoch "
        "plots drawn at most every 0.5 s; and (2026-12-01) the Runs tab, hidden, no longer "
        "reloaded at every run's start and end: its queries and table rebuild on the UI thread, "
        "while the engine thread built and traced the model, made the ticks of each run's "
        "first second 30-85 ms late (p99 24-26 -> 15-19 ms, max 60-85 -> 25-33 ms in paired "
        "runs). After each run's first epoch the window is on time (p99 10-13 ms, max 12-15 "
        "ms, the row's last figures); the late ticks left are in each run's set-up, where the "
        "engine thread holds the GIL in TensorFlow's tracing (py-spy: most in "
        "`tf_stack.extract_stack`, the stack trace it records for every traced operation). "
        "Tried: `sys.setswitchinterval(0.001)` (p99 -4 ms, max up to 100 ms: not kept); only "
        "generation-0 collections during runs (p99 -1 to -3 ms: within noise, not kept). A miss "
        "here is a run where one or two set-up ticks pass 20 ms; rerun the row alone first."
    ),
    4: (
        "About 1.1 s pass before `show()`: Python + PySide6 0.2 s, numpy 0.14 s, pyqtgraph "
        "0.45-0.5 s (its Qt shim copies every PySide6 attribute), MainWindow() 0.2 s. Then the "
        "engine thread, started in MainWindow.__init__, imports TensorFlow while the first paint "
        "waits for the GIL (+0.1-0.6 s). Proposed, gui/main_window.py: start the engine thread "
        "after the first paint (from the first paint event, then a 0 ms timer): measured first "
        "paint 1.73 -> 1.11 s, ready unchanged (8.0 s). To get under 1 s, also create the plot "
        "tabs, and import pyqtgraph, after the first paint (the side panel alone paints first)."
    ),
    5: (
        "Each frame hands pyqtgraph all 1,000,000 points: setData scans them for bounds "
        "(`_getArrayBounds`), peak downsampling reduces all of them, and CurveBuffer's doubling "
        "copies now and then. Done, gui/plots/curves.py `visible_points`: per pixel column of "
        "the view, the first, lowest, highest and last point in it (the band a raw line would "
        "draw there), found with reduceat over the visible slice; zoomed in, the raw points."
    ),
    6: (
        "The engine leaks ~6-8 MB a run, headless too, and so does a plain Keras "
        "build/compile/fit loop with clear_session(): Keras's TF optimizer sums gradients "
        "through `replica_context.all_reduce`, a `tf.custom_gradient` that registers a gradient "
        "function under a new name in TensorFlow's global gradient registry at every trace and "
        "never removes it; its closure keeps the traced train step's FuncGraph alive. Proposed, "
        "trainers/session.py around `_train`: note the registry's names before the run and "
        "delete the new `CustomGradient-*` entries after it (private TF API; only gradients "
        "through a finished run's graphs would need them). Measured: headless 8.1 -> -1.4 "
        "MB/run; this row with the real window +243 -> +2.8 MB."
    ),
    8: (
        "Issue 15 (2026-12-02/03). Fused side by side, each member's own step, gave 2.6x; "
        "stacking the members of one network, rule and loss (trainers/stacked.py: weights "
        "with a member axis, batched matmuls) gave 6.9x-8.2x over four runs, as 4 stacks of 8, "
        "each with its own forward and backward pass. Now one stack holds all 32 (same network "
        "and loss): one forward and backward pass over the rules' variables joined on the "
        "member axis, each optimizer updating its own slice: 8.36x and 8.38x in the two runs "
        "before this one (row 9, 105 members of 7 rules, 6.8x -> 3.9x one run's time)."
    ),
    10: (
        "Issue 15 (2026-12-03). First measured at p99 113 ms: the Compare tab redrew every "
        "group's step, epoch and time curves, and their bands, at every 10 Hz frame. Now "
        "(gui/compare/races.py `redraw`): a frame draws one plot in turn, the epoch and time "
        "plots at most every 0.5 s and only where an epoch ended, a frame stops after 4 ms, "
        "and while training the axes span the plan; a group's table row is made once per "
        "frame (32 seeds ending together made 64 group summaries on one tick: 89 ms). p99 "
        "113 -> 24-31 ms. Since one stack trains all 32 (row 8) the job takes 13-15 s, not "
        "20, so its 6 s of set-up weigh more. A sampler of the UI thread's stack during the "
        "late ticks (2026-12-03) shows two kinds. Set-up (building 32 models 1.9 s, the "
        "starting losses 0.7 s, tracing the step 2.4 s, of which the four rules' updates, "
        "traced twice for the all-alive branch, 1.1 s; timing 0.8 s): ~10 ticks 20-70 ms "
        "late with the UI thread waiting for the GIL (setswitchinterval 1 ms: p99 -2 ms). "
        "Training: ~25 ticks 20-40 ms late, each mostly a plot's paint (4-6 ms alone on an "
        "idle core, 2.5 px lines; 1 px lines paint in 1 ms) slowed by the engine's threads "
        "on the other core, plus GIL waits. Then (2026-12-03, second session; met, p99 "
        "12.7-18.7 ms over 8 runs with the final settings): the engine thread, and "
        "TensorFlow's pools it starts, run "
        "10 steps of niceness below the GUI thread; the window sets the GIL switch interval to "
        "0.2 ms (1 ms: p99 18-21 ms; 0.2 ms: 15-18 ms; the set-up's tracing ticks over 20 ms "
        "went from 5-8 to 1-2); the epoch and time plots fit their axes at most once a second "
        "rather than at each paint, the time axis spans the projected seconds; the seeds' "
        "hidden curves are kept off the plots; live dots get one pen and brush (pyqtgraph "
        "rendered each symbol again, and kept it, at every update). If this row misses "
        "again: bench/ has no stack sampler; py-spy 0.4.3 (`record --idle -f speedscope`, "
        "1 kHz) showed where the late ticks were."
    ),
    13: (
        "Measured 2026-12-03 (each measurement timed): on the digits "
        "run of 450 steps (2.4 s) the tracked run measures 4 times; the first costs ~250 ms "
        "(tracing the Hessian-vector product, and 13 power iterations from a random start), "
        "the next 13-23 ms each (3 iterations from the last eigenvector). So the overhead is "
        "a fixed ~0.3 s per run, 12-15% of this short run alone, plus ~4% per measurement "
        "every 100 steps; on the 300-step full-batch run it is 7%. Tracing the product during "
        "set-up, where the train function is traced, would not shorten the wall time measured "
        "here; a lighter first estimate (fewer iterations, refined by the warm starts after) "
        "would cut its ~65 ms"
    ),
}


def versions() -> dict[str, str]:
    found = {"Python": platform.python_version()}
    for label, dist in (
        ("TensorFlow", "tensorflow"),
        ("Keras", "keras"),
        ("PySide6", "PySide6-Essentials"),
        ("pyqtgraph", "pyqtgraph"),
        ("NumPy", "numpy"),
        ("scikit-learn", "scikit-learn"),
    ):
        try:
            found[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[label] = "not installed"
    return found


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_row(number: int, what: str, script: str, folder: str) -> dict:
    """Run one benchmark script in its own process; its row, or a failed row."""
    out = Path(folder) / f"row{number}.json"
    log = Path(folder) / f"row{number}.stderr"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.perf_counter()
    print(f"\n=== row {number}: {what} ({script})", flush=True)
    with open(log, "w", encoding="utf-8") as errors:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / script), "--json", str(out)],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            cwd=bench.ROOT,
            env=env,
        )
        watchdog = threading.Timer(ROW_TIMEOUT_S, process.kill)
        watchdog.start()
        for line in process.stdout:
            if not any(noise in line for noise in NOISE):
                print("  " + line.rstrip(), flush=True)
        code = process.wait()
        watchdog.cancel()
    if code == 0 and out.exists():
        return json.loads(out.read_text(encoding="utf-8"))
    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
    print("\n".join("  ! " + line for line in tail), flush=True)
    return {
        "row": number,
        "what": what,
        "workload": "",
        "figure": f"FAILED ({code}): {tail[-1] if tail else 'no output'}",
        "goal": "",
        "met": False,
        "command": bench.command_for(script),
        "figures": {},
        "notes": [],
        "seconds": round(time.perf_counter() - started, 1),
        "failed": True,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| # | what | workload | measured | goal | met? | command |",
        "|---|------|----------|----------|------|------|---------|",
    ]
    for row in rows:
        cells = [
            str(row["row"]),
            row["what"],
            row["workload"],
            row["figure"],
            row["goal"],
            "yes" if row["met"] else "**no**",
            f"`{row['command']}`",
        ]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)


def report(rows: list[dict], machine: dict[str, str], seconds: float) -> str:
    parts = [
        "# Performance",
        "",
        "Written by `bench/run_all.py` (`make bench`); do not edit by hand. Each goal is a ratio "
        "or a bound measured in the same run; the machine is shared, so figures move by 10-30% "
        "between runs while the variants of a row, measured alternately, move together.",
        "",
        "## Machine",
        "",
    ]
    parts += [f"- {key}: {value}" for key, value in machine.items()]
    parts += ["", "## Results", "", table(rows), ""]
    notes = [(row["row"], note) for row in rows for note in row.get("notes", [])]
    if notes:
        parts += ["Notes:", ""] + [f"- row {n}: {note}" for n, note in notes] + [""]
    missed = [row for row in rows if not row["met"] and row["row"] in ANALYSIS]
    if missed:
        parts += ["## Missed goals: why, and the change that would win each", ""]
        for row in missed:
            parts += [f"**Row {row['row']}, {row['what']}.** {ANALYSIS[row['row']]}", ""]
    parts += [f"Whole run: {seconds / 60:.1f} min.", ""]
    return "\n".join(parts)


def main() -> int:
    started = time.perf_counter()
    machine = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "CPU": cpu_model(),
        "cores (nproc)": str(os.cpu_count()),
        "load average at start (1/5/15 min)": bench.load_average(),
        "platform": platform.platform(),
    }
    machine["GPU"] = (
        "none (no nvidia-smi): nothing here, rows 7-10 included, was measured on a GPU"
        if shutil.which("nvidia-smi") is None
        else "present (see nvidia-smi)"
    )
    machine.update(versions())
    rows = []
    with tempfile.TemporaryDirectory(prefix="descent-bench-all-") as folder:
        for number, what, script in SCRIPTS:
            rows.append(run_row(number, what, script, folder))
    machine["load average at end (1/5/15 min)"] = bench.load_average()
    seconds = time.perf_counter() - started
    print("\n" + table(rows) + "\n")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report(rows, machine, seconds), encoding="utf-8")
    met = sum(row["met"] for row in rows)
    print(f"{met} of {len(rows)} goals met in {seconds / 60:.1f} min; wrote {REPORT}")
    return 1 if any(row.get("failed") for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
