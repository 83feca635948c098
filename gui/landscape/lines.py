"""The Landscape tab's lines: the loss along straight lines through weight space
(`trainers.landscape.Line`), training solid and validation dashed, one colour per line, with
the two ends of each line (t = 0 and t = 1) marked."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from gui.plots.theme import dress, retitle, run_style

TICKS = [(-0.5, "-0.5"), (0.0, "0: start"), (0.5, "0.5"), (1.0, "1: end"), (1.5, "1.5")]
TOP_OVER_INSIDE = 1.5
"""The plot reaches this many times the highest loss between t = 0 and t = 1: past the ends a
line can climb by orders of magnitude, which would flatten the part between them (the plot's
auto-range button shows it all)."""


def y_range(lines: list) -> tuple[float, float]:
    """From the lowest loss on the lines to the highest, or to `TOP_OVER_INSIDE` times the
    highest between their ends if that is lower."""
    values, inside = [], []
    for line in lines:
        ts = np.asarray(line.ts)
        for ys in (line.train, line.val):
            if ys is None:
                continue
            ys = np.asarray(ys, dtype=np.float64)
            values.append(ys[np.isfinite(ys)])
            between = ys[(ts >= 0) & (ts <= 1)]
            inside.append(between[np.isfinite(between)])
    values, inside = np.concatenate(values), np.concatenate(inside)
    if not len(values):
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    if len(inside):
        high = min(high, TOP_OVER_INSIDE * float(inside.max()))
    return low, max(high, low + 1e-9)


class LinePlot(pg.PlotWidget):
    """`show_lines(lines)`: each line's training loss (solid) and validation loss (dashed)
    against t. Its colours are named by the tab's key, not a legend, which would hide the
    curves."""

    def __init__(self) -> None:
        super().__init__()
        dress(
            self,
            "landscapeLinesPlot",
            "",
            "t",
            "loss",
            accessible="Loss along the lines",
            strong_title=True,
        )
        # The ends are named on the axis, where no curve runs over their names.
        self.getAxis("bottom").setTicks([TICKS, [(t / 10, "") for t in range(-5, 16)]])
        text = QApplication.palette().color(QPalette.ColorRole.Text)
        self.ends = []
        for t in (0.0, 1.0):
            end = pg.InfiniteLine(
                pos=t, angle=90, pen=pg.mkPen(text, width=1, style=Qt.PenStyle.DotLine)
            )
            self.addItem(end)
            self.ends.append(end)
        self.curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem | None]] = []

    def clear_lines(self) -> None:
        for train, val in self.curves:
            for item in (train, val):
                if item is not None:
                    self.removeItem(item)
        self.curves = []
        retitle(self, "")

    def show_lines(self, lines: list) -> None:
        """Draw `lines` (`trainers.landscape.Line`s), the i-th in `run_style(i)`: a run's line
        in its run's colour, the line between two runs' ends in the next one."""
        self.clear_lines()
        for index, line in enumerate(lines):
            color, _style = run_style(index)
            ts = np.asarray(line.ts, dtype=np.float64)
            train = pg.PlotDataItem(
                ts, np.asarray(line.train), pen=pg.mkPen(color, width=2.5), name=line.label
            )
            self.addItem(train)
            val = None
            if line.val is not None:
                val = pg.PlotDataItem(
                    ts,
                    np.asarray(line.val),
                    pen=pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine),
                )
                self.addItem(val)
            self.curves.append((train, val))
        retitle(self, "Loss along the lines")
        self.setXRange(float(lines[0].ts[0]), float(lines[0].ts[-1]), padding=0.02)
        self.setYRange(*y_range(lines), padding=0.02)
