"""The Runs tab's plots: the selected runs' recorded curves, one colour per run.

Above, the step loss of every update (faint) with its moving average, thinned to what the view
shows; below, the epoch losses (validation dashed). Selecting several runs overlays them. The
plots only draw what they are handed: the view reads the records and curves from the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSplitter

from gui.plots import DecimatedCurve, add_legend, dots, dress, ema, run_style, smoothing_alpha

if TYPE_CHECKING:
    from trainers.runs import RunCurves, RunRecord

RAW_ALPHA = 60


class RunCurvesPlots(QSplitter):
    """The step plot above the epoch plot, in a vertical splitter (the view adds its details
    pane below them)."""

    def __init__(self, parent=None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.step_plot = self._plot("runsStepPlot", "Loss of every update", "update (step)")
        self._decimated: list[DecimatedCurve] = []  # the step curves, thinned to the view
        self.step_plot.getViewBox().sigXRangeChanged.connect(self._refresh_step_curves)
        self.epoch_plot = self._plot("runsEpochPlot", "Loss by epoch (validation dashed)", "epoch")
        self.step_legend = add_legend(self.step_plot)
        self.epoch_legend = add_legend(self.epoch_plot)
        self._plotted: dict[int, dict[str, pg.PlotDataItem]] = {}
        self.addWidget(self.step_plot)
        self.addWidget(self.epoch_plot)

    @staticmethod
    def _plot(object_name: str, title: str, xlabel: str) -> pg.PlotWidget:
        return dress(pg.PlotWidget(), object_name, title, xlabel, "loss", strong_title=True)

    def draw(self, runs: Sequence[tuple[RunRecord, RunCurves] | None]) -> None:
        """Draw these runs' curves in place of those shown. The `index`-th entry gets the
        `index`-th run colour; None (a run whose curves could not be read) keeps its colour
        unused, so each run's colour follows its place in the selection."""
        for plot, legend in (
            (self.step_plot, self.step_legend),
            (self.epoch_plot, self.epoch_legend),
        ):
            plot.clear()
            legend.clear()
        self._plotted = {}
        self._decimated = []
        for index, run in enumerate(runs):
            if run is None:
                continue
            record, curves = run
            color, style = run_style(index)
            items = self._draw_steps(record, curves, color, style)
            items.update(self._draw_epochs(record, curves, color, style))
            self._plotted[record.id] = items
        self._refresh_step_curves()

    def _draw_steps(
        self, record: RunRecord, curves: RunCurves, color: QColor, style: Qt.PenStyle
    ) -> dict[str, pg.PlotDataItem]:
        """Every update's loss, faint, under its moving average (which the legend names)."""
        if not len(curves.steps):
            return {}
        faint = QColor(color)
        faint.setAlpha(RAW_ALPHA)
        steps = curves.steps.astype(np.float64)
        alpha = smoothing_alpha(int(record.details.get("steps_per_epoch", 1)))
        smooth, _ = ema(curves.losses, alpha, None)
        items: dict[str, pg.PlotDataItem] = {}
        for key, values, options in (
            ("raw", curves.losses, {"pen": pg.mkPen(faint)}),
            ("step", smooth, {"pen": pg.mkPen(color, width=2.5, style=style), "name": record.name}),
        ):
            curve = DecimatedCurve(self.step_plot.plot([], [], **options), len(steps))
            curve.append(steps, values)
            self._decimated.append(curve)
            items[key] = curve.item
        return items

    def _draw_epochs(
        self, record: RunRecord, curves: RunCurves, color: QColor, style: Qt.PenStyle
    ) -> dict[str, pg.PlotDataItem]:
        """The training loss of each epoch (named in the legend) and the validation's, dashed."""
        epochs = curves.epochs.astype(np.float64)
        items: dict[str, pg.PlotDataItem] = {}
        for key, dashed in (("loss", False), ("val_loss", True)):
            values = curves.history.get(key)
            if values is None or not len(values):
                continue
            pen = pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine if dashed else style)
            items[key] = self.epoch_plot.plot(
                epochs,
                values,
                pen=pen,
                **dots(color, 5),
                name=record.name if key == "loss" else None,
            )
        return items

    @Slot()
    def _refresh_step_curves(self, *_) -> None:
        """Hand the step plot what its view shows (all of it thinned, or the points zoomed in)."""
        view = self.step_plot.getViewBox()
        for curve in self._decimated:
            curve.refresh(view)

    def plotted(self) -> dict[int, dict[str, pg.PlotDataItem]]:
        """The curves drawn for each run: raw and smoothed step loss, epoch losses."""
        return dict(self._plotted)
