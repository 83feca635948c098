"""A benchmark report's figures (`trainers.report.Figure`), drawn with the window's plotting.

`figure_widget` makes one pyqtgraph plot of a Figure: each series in its optimizer's colour
and line style (`gui.plots.theme.run_style`, as in the Compare tab), its band as a shade
between two faint edges, dots for trials. `draw_figures` writes each as PNG and SVG through
`gui.exports` (offscreen, no display needed), for `main.py benchmark`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from gui.exports import (
    BACKGROUND,
    ensure_application,
    paper_legend,
    paper_style,
    png_bytes,
    svg_bytes,
)
from trainers.errors import TrainingError

SIZE = (1000, 620)
BAND_ALPHA = 60


def figure_widget(figure):
    """A hidden pyqtgraph widget showing `figure`; its items keep each series' numbers."""
    import pyqtgraph as pg

    from gui.plots.theme import dots, run_style

    widget = pg.PlotWidget()
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    widget.setBackground(BACKGROUND)
    widget.resize(*SIZE)
    widget.setMinimumSize(200, 150)  # in the window's layout it takes the room there is
    plot = widget.getPlotItem()
    paper_style(plot, figure.title, figure.xlabel, figure.ylabel)
    paper_legend(plot)
    # Log scales first: an item added after takes them at once, and a shade made from its
    # edges once they are on the plot follows their drawn (logged) values.
    plot.setLogMode(x=figure.log_x, y=figure.log_y)
    for series in figure.series:
        color, style = run_style(series.index)
        xs = np.asarray(series.xs, dtype=np.float64)
        if series.low is not None and series.high is not None:
            shade = QColor(color)
            shade.setAlpha(BAND_ALPHA)
            edge = QColor(color)
            edge.setAlpha(BAND_ALPHA * 2)
            low = pg.PlotDataItem(xs, np.asarray(series.low), pen=pg.mkPen(edge, width=1))
            high = pg.PlotDataItem(xs, np.asarray(series.high), pen=pg.mkPen(edge, width=1))
            for item in (low, high):
                item.setZValue(-2)
                plot.addItem(item)
            fill = pg.FillBetweenItem(low, high, brush=pg.mkBrush(shade))
            fill.setZValue(-2)
            plot.addItem(fill)
        options = {"pen": pg.mkPen(color, width=2.5, style=style), "name": series.label}
        if series.dots:
            options.update(dots(color, 8))
        plot.plot(xs, np.asarray(series.ys, dtype=np.float64), connect="finite", **options)
    if figure.y_range is not None:
        plot.setYRange(*figure.y_range, padding=0.02)
    return widget


def draw_figure(figure, folder: Path) -> tuple[Path, Path]:
    """Draw one figure into `folder` as <name>.png and <name>.svg; returns the two paths.
    A file that cannot be written raises TrainingError naming it."""
    ensure_application()
    folder = Path(folder)
    widget = figure_widget(figure)
    try:
        widget.show()  # lays the plot out at its size; WA_DontShowOnScreen keeps it hidden
        QApplication.processEvents()
        svg = svg_bytes(widget, figure.title)
        png = png_bytes(svg, (widget.width(), widget.height()))
    finally:
        widget.close()
        widget.deleteLater()
    paths = (folder / f"{figure.name}.png", folder / f"{figure.name}.svg")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths[0].write_bytes(png)
        paths[1].write_bytes(svg)
    except OSError as exc:
        raise TrainingError(
            f"Cannot write the figure {paths[0]}: {exc.strerror or exc}. Choose a folder "
            f"you can write to."
        ) from None
    return paths


def draw_figures(figures: list, folder: Path) -> dict[str, tuple[Path, Path]]:
    """Draw every figure into `folder` (`draw_figure`): {name: (png, svg)}."""
    return {figure.name: draw_figure(figure, folder) for figure in figures}


class FigureWriter(QObject):
    """Draws figures into a folder one per turn of the event loop, so the window stays
    responsive while a report of a dozen figures (a third of a second each) is written.
    `sig_progress(done, total)` after each; `sig_done(written)` at the end, `written` the
    {name: (png, svg)} of `draw_figures`, or the TrainingError that stopped it."""

    sig_progress = Signal(int, int)
    sig_done = Signal(object)

    def __init__(self, figures: list, folder: Path, parent=None) -> None:
        super().__init__(parent)
        self.figures, self.folder = list(figures), Path(folder)
        self.written: dict[str, tuple[Path, Path]] = {}

    def start(self) -> None:
        QTimer.singleShot(0, self._next)

    def _next(self) -> None:
        if len(self.written) == len(self.figures):
            self.sig_done.emit(self.written)
            return
        figure = self.figures[len(self.written)]
        try:
            self.written[figure.name] = draw_figure(figure, self.folder)
        except TrainingError as exc:
            self.sig_done.emit(exc)
            return
        self.sig_progress.emit(len(self.written), len(self.figures))
        QTimer.singleShot(0, self._next)
