"""Plots by epoch: training and validation values of the loss or the task's metric."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg

from gui.plots.curves import CurveBuffer
from gui.plots.theme import COLORS, add_legend, dots, dress

EPOCH_REDRAW_INTERVAL_S = 0.5
SYMBOL_OUTLINE = (200, 200, 200)  # pyqtgraph's default symbol pen, as these dots always had


class EpochPlot(pg.PlotWidget):
    """Training and validation values of one quantity (loss or metric) by epoch.

    Drawing a new epoch costs ~6 ms of the UI thread (its value axis moves); when epochs take
    less than `EPOCH_REDRAW_INTERVAL_S`, the plot says it is `dirty` at most that often, and
    the window's frames draw several epochs at once. `refresh()` itself always draws.
    """

    def __init__(self, object_name: str, title: str, ylabel: str, parent=None) -> None:
        super().__init__(parent)
        dress(self, object_name, title, "epoch", ylabel)
        self.legend = add_legend(self)
        self.train, self.val = (
            self.plot(
                [],
                [],
                pen=pg.mkPen(COLORS[key], width=2),
                **dots(COLORS[key], 5, symbol, outline=SYMBOL_OUTLINE),
                name=name,
            )
            for key, symbol, name in (("train", "o", "training"), ("val", "s", "validation"))
        )
        self.train_buf = CurveBuffer(64)
        self.val_buf = CurveBuffer(64)
        self._dirty = False
        self._drawn_at = 0.0

    def set_ylabel(self, text: str) -> None:
        self.setLabel("left", text)

    def clear_curves(self) -> None:
        self.train_buf.clear()
        self.val_buf.clear()
        self._dirty = True
        self.enableAutoRange()

    def follow_run(self, epochs: int, validation: bool = True) -> None:
        """Show all the run's epochs (0 to `epochs`) from its start, the value axis fitted to
        the points: an epoch's point then moves one axis, not both (a range change repaints
        the axis' labels and grid lines). The legend names a validation curve only for a
        run that has one."""
        self.enableAutoRange(y=True)
        self.setXRange(0, max(epochs, 1), padding=0.04)  # and x is no longer fitted
        self.legend.removeItem(self.val)
        if validation:
            self.legend.addItem(self.val, "validation")

    def append(self, epoch: int, train: float | None, val: float | None) -> None:
        x = np.array([epoch], dtype=np.float64)
        if train is not None:
            self.train_buf.append(x, np.array([train]))
        if val is not None:
            self.val_buf.append(x, np.array([val]))
        self._dirty = True

    @property
    def dirty(self) -> bool:
        """Whether `refresh()` has something new to draw, and the last drawing is
        `EPOCH_REDRAW_INTERVAL_S` old."""
        return self._dirty and time.monotonic() - self._drawn_at >= EPOCH_REDRAW_INTERVAL_S

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self._drawn_at = time.monotonic()
        self.train.setData(self.train_buf.xs, self.train_buf.ys, connect="finite")
        self.val.setData(self.val_buf.xs, self.val_buf.ys, connect="finite")
