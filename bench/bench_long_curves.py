"""Row 5, long curves: redraw time of the step plot holding 1,000,000 points.

A `StepLossPlot` (raw and smoothed curves, each drawn from the few points of every pixel
column, as in the window) of 900 x 420 pixels, shown offscreen, is filled with a million steps
of a falling, noisy loss.
Each measured frame appends a chunk of 100 new steps (what the worker sends in ~50 ms of a fast
run), then times `plot.refresh()` + `QApplication.processEvents()`: what the window's redraw
timer does, then the repaint Qt runs for it (the columns of points handed to the curves, the
range update, the paint). An event filter counts the plot's paint events, to show
each timed frame painted once. (`grab()` after `processEvents()` would paint a second time.)
Two views: zoomed out (auto range: the whole run on screen) and zoomed in (the last 2,000 steps).
The first draw of the million points is reported beside them. Figures: median of 25 frames.
"""

from __future__ import annotations

import time

import _common as bench

SCRIPT = "bench_long_curves.py"
POINTS = 1_000_000
CHUNK = 100
FRAMES = 25
ZOOM_STEPS = 2_000
GOAL_MS = 33.0


def fake_losses(start: int, count: int, rng):
    """A falling loss with noise, for steps start+1 .. start+count."""
    import numpy as np

    steps = np.arange(start + 1, start + count + 1, dtype=np.float64)
    losses = 2.3 * np.exp(-steps / 200_000.0) + 0.1 + 0.05 * rng.standard_normal(count)
    return steps, losses


def paint_counter(widget):
    """An event filter on `widget` that counts its paint events in `.paints`."""
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        paints = 0

        def eventFilter(self, watched, event):  # noqa: N802 (Qt override)
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    counter = PaintCounter()
    widget.installEventFilter(counter)
    return counter


def frame_ms(plot, app, start: int, rng) -> float:
    steps, losses = fake_losses(start, CHUNK, rng)
    plot.append(steps, losses)
    began = time.perf_counter()
    plot.refresh()
    app.processEvents()
    return (time.perf_counter() - began) * 1000.0


def run(folder: str) -> dict:
    import numpy as np

    from gui.plots import StepLossPlot

    app = bench.qt_app()
    rng = np.random.default_rng(0)
    plot = StepLossPlot()
    plot.resize(900, 420)
    plot.show()
    app.processEvents()
    counter = paint_counter(plot.viewport())
    steps, losses = fake_losses(0, POINTS, rng)
    plot.append(steps, losses)
    began = time.perf_counter()
    plot.refresh()
    app.processEvents()
    first_ms = (time.perf_counter() - began) * 1000.0
    counter.paints = 0
    n = POINTS
    zoomed_out = []
    for _ in range(FRAMES):
        zoomed_out.append(frame_ms(plot, app, n, rng))
        n += CHUNK
    plot.setXRange(n - ZOOM_STEPS, n, padding=0)
    app.processEvents()
    zoomed_in = []
    for _ in range(FRAMES):
        zoomed_in.append(frame_ms(plot, app, n, rng))
        n += CHUNK
    out_ms, in_ms = bench.median(zoomed_out), bench.median(zoomed_in)
    paints = counter.paints / (2 * FRAMES)
    bench.log(
        f"row 5: {POINTS:,} points: first draw {first_ms:.1f} ms; per frame ({paints:.2f} "
        f"paints/frame): zoomed out median {out_ms:.1f} ms (max {max(zoomed_out):.1f}), "
        f"zoomed in median {in_ms:.1f} ms (max {max(zoomed_in):.1f})"
    )
    plot.close()
    return bench.make_row(
        5,
        "long curves",
        f"StepLossPlot 900x420 with {POINTS:,} points (+{CHUNK} per frame); refresh() + "
        f"processEvents() (one paint); median of {FRAMES} frames; zoomed in = last {ZOOM_STEPS:,}"
        " steps",
        f"zoomed out {out_ms:.1f} ms, zoomed in {in_ms:.1f} ms (first draw {first_ms:.0f} ms)",
        f"<= {GOAL_MS:.0f} ms",
        out_ms <= GOAL_MS and in_ms <= GOAL_MS,
        SCRIPT,
        {
            "zoomed_out_ms": out_ms,
            "zoomed_in_ms": in_ms,
            "zoomed_out_max_ms": max(zoomed_out),
            "zoomed_in_max_ms": max(zoomed_in),
            "first_draw_ms": first_ms,
            "paints_per_frame": paints,
        },
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
