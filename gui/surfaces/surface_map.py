"""The contour map of a test surface, with its minima, the start point and the paths on it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor

from gui.plots import retitle, themed
from gui.surfaces.drawing import CONTOUR_PEN, GRID, contour_lines, display_values, path_on_map
from gui.widgets import named


class MapPath(pg.PlotDataItem):
    """An optimizer's path on the map, drawn only where it lies on the map (`path_on_map`):
    a path that leaves it ends at its edge, where a cross (`exit_mark`) marks where it went
    away. `bounds` ((x0, x1), (y0, y1)) is the map's range; None draws everything."""

    def __init__(self, color: QColor, exit_mark: pg.ScatterPlotItem) -> None:
        super().__init__([], [], pen=pg.mkPen(color, width=2.5))
        self.exit_mark = exit_mark
        self.bounds = None

    def setData(self, *args, **kwargs) -> None:  # noqa: N802 (pyqtgraph override)
        bounds = self.__dict__.get("bounds")  # pyqtgraph sets the first data while it is made
        if bounds is None or len(args) != 2:
            super().setData(*args, **kwargs)
            return
        xs, ys, left_at = path_on_map(args[0], args[1], bounds)
        self.exit_mark.setData(*(([left_at[0]], [left_at[1]]) if left_at else ([], [])))
        super().setData(xs, ys, connect="finite", **kwargs)


class SurfaceMap(pg.PlotWidget):
    """log(f - f_min) (or asinh(f)) as a colour map under its contour lines, the known minima
    as stars, and the start point as a white dot; `add_path` adds one optimizer's path."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        named(self, "surfaceContourPlot", "Surface contour map; click to start")
        themed(self)
        self.showGrid(x=False, y=False)  # grid lines would cross the contours
        self.setLabel("bottom", "x (weight 1)")
        self.setLabel("left", "y (weight 2)")
        self.setMenuEnabled(False)
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.image.setZValue(-10)
        self.addItem(self.image)
        self.contour_lines = pg.PlotDataItem([], [], pen=CONTOUR_PEN)
        self.contour_lines.setZValue(-5)
        self.addItem(self.contour_lines)
        self.minima_marker = pg.ScatterPlotItem(
            symbol="star", size=18, pen=pg.mkPen("k", width=1.5), brush=pg.mkBrush("w")
        )
        self.minima_marker.setZValue(5)
        self.addItem(self.minima_marker)
        self.start_marker = pg.ScatterPlotItem(
            symbol="o", size=13, pen=pg.mkPen("k", width=2), brush=pg.mkBrush(255, 255, 255)
        )
        self.start_marker.setZValue(6)
        self.addItem(self.start_marker)
        self.paths: list[MapPath] = []

    def add_path(self, color: QColor) -> tuple[MapPath, pg.ScatterPlotItem]:
        """A path in `color` (empty for now) and the dot at its head, both on the map."""
        exit_mark = pg.ScatterPlotItem(
            [], [], symbol="x", size=18, pen=pg.mkPen("k", width=1), brush=pg.mkBrush(color)
        )
        curve = MapPath(color, exit_mark)
        curve.setZValue(3)
        head = pg.ScatterPlotItem(
            [], [], symbol="o", size=10, pen=pg.mkPen("k", width=1.5), brush=pg.mkBrush(color)
        )
        head.setZValue(4)
        exit_mark.setZValue(4)
        for item in (curve, head, exit_mark):
            self.addItem(item)
        self.paths.append(curve)
        return curve, head

    def show_surface(self, surface, start: tuple[float, float]) -> None:
        """Draw `surface` (a `trainers.surfaces.Surface`) over its whole range, start at `start`."""
        xs, ys, values = surface.grid(GRID)
        shown = display_values(values, surface.f_min)
        low, high = np.percentile(shown, [0.5, 99.5])
        self.image.setImage(shown, levels=(low, high), autoLevels=False)
        x0, x1 = surface.x_range
        y0, y1 = surface.y_range
        for path in self.paths:
            path.bounds = ((x0, x1), (y0, y1))
        # Pixel centres on the grid points, so the map and the contour lines agree.
        dx, dy = (x1 - x0) / (GRID - 1), (y1 - y0) / (GRID - 1)
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        self.contour_lines.setData(*contour_lines(xs, ys, shown, low, high), connect="pairs")
        minima = np.array(surface.minima, dtype=float).reshape(-1, 2)
        self.minima_marker.setData(minima[:, 0], minima[:, 1])
        self.show_start(*start)
        retitle(self, f"{surface.display_name}: click to start there")
        self.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def show_start(self, x: float, y: float) -> None:
        """Move the start point's dot to (x, y)."""
        self.start_marker.setData([x], [y])
