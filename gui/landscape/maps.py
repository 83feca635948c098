"""The Landscape tab's two maps: the slice around a run's final weights, and the runs' paths on
their shared plane, each a `trainers.landscape.LossMap` drawn as a colour image (log10 of the
loss) under its contour lines, with its colour bar (`gui.report_figures.add_loss_map`)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.plots.theme import dress, retitle, run_style
from gui.report_figures import add_loss_map

MARK_PEN = pg.mkPen("k", width=1.5)
# Each path is drawn over a dark edge, so that every palette colour reads on every colour of
# the map, from its dark valleys to its bright ridges.
EDGE_PEN = pg.mkPen(pg.mkColor(20, 20, 20), width=4.5)
BAR_MIN_WIDTH = 330
"""A map's colour bar shows only in a plot at least this wide: in a narrower one it would
squeeze the map and lose its numbers."""
BAR_CELL = (2, 5)
"""The cell of the plot's layout where pyqtgraph puts a vertical colour bar (right of the right
axis: `ColorBarItem.setImageItem(..., insert_in=plot)`)."""


class LossMapPlot(pg.PlotWidget):
    """A plot that shows one loss map at a time (`show_map`) under whatever is drawn on it."""

    def __init__(self, object_name: str, accessible: str, xlabel: str, ylabel: str) -> None:
        super().__init__()
        dress(self, object_name, "", xlabel, ylabel, accessible=accessible, strong_title=True)
        self.showGrid(x=False, y=False)  # grid lines would cross the contours
        self.setMenuEnabled(False)
        self.image: pg.ImageItem | None = None
        self.contours: pg.PlotDataItem | None = None
        self.bar: pg.ColorBarItem | None = None
        self.loss_map = None

    def show_map(self, loss_map, title: str, xlabel: str, ylabel: str) -> None:
        """Draw `loss_map` (a `trainers.landscape.LossMap`) under `title` and the axis names."""
        self.clear_map()
        self.loss_map = loss_map
        self.image, self.contours, self.bar = add_loss_map(
            self.getPlotItem(), loss_map.xs, loss_map.ys, loss_map.values
        )
        self.setLabel("bottom", xlabel)
        self.setLabel("left", ylabel)
        retitle(self, title)
        self.resizeEvent(None)  # the bar in or out, then the plot fitted to the widget again

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        # First the bar (the plot is never narrower than its parts), then the plot to the
        # widget's size. pyqtgraph calls this with None too, while the widget is made.
        if self.__dict__.get("loss_map") is not None:
            self._fit_colour_bars()
        super().resizeEvent(event)

    def _fit_colour_bars(self) -> None:
        """The colour bar in the plot's layout where there is room for it, out of it (not
        merely hidden: a hidden item keeps its room) where there is not."""
        if self.bar is None:
            return
        layout = self.getPlotItem().layout
        placed = self.bar in self.colour_bars()
        if self.width() >= BAR_MIN_WIDTH and not placed:
            layout.addItem(self.bar, *BAR_CELL)
            self.bar.show()
        elif self.width() < BAR_MIN_WIDTH and placed:
            layout.removeItem(self.bar)
            self.bar.hide()

    def colour_bars(self) -> list[pg.ColorBarItem]:
        """The colour bars `add_loss_map` put beside the plot (one while a map is shown)."""
        layout = self.getPlotItem().layout
        items = (layout.itemAt(i) for i in range(layout.count()))
        return [item for item in items if isinstance(item, pg.ColorBarItem)]

    def clear_map(self) -> None:
        for item in (self.image, self.contours):
            if item is not None:
                self.removeItem(item)
        if self.bar is not None:  # it sits in the plot's layout (when there is room), not its view
            if self.bar in self.colour_bars():
                self.getPlotItem().layout.removeItem(self.bar)
            if self.bar.scene() is not None:
                self.bar.scene().removeItem(self.bar)
        self.image = self.contours = self.bar = self.loss_map = None


class SliceMap(LossMapPlot):
    """The slice around a run's final weights, its centre (the weights themselves) a star."""

    def __init__(self) -> None:
        super().__init__(
            "landscapeSlicePlot",
            "Loss slice around the final weights",
            "a (direction 1)",
            "b (direction 2)",
        )
        self.centre = pg.ScatterPlotItem(
            [], [], symbol="star", size=18, pen=MARK_PEN, brush=pg.mkBrush("w")
        )
        self.centre.setZValue(5)
        self.addItem(self.centre)

    def show_slice(self, loss_map, around: str) -> None:
        """The slice `loss_map` around the final weights of the run labelled `around`."""
        self.show_map(loss_map, f"Slice around {around}", "a (direction 1)", "b (direction 2)")
        self.centre.setData([0.0], [0.0])

    def clear_map(self) -> None:
        super().clear_map()
        self.centre.setData([], [])
        retitle(self, "")


class PathsMap(LossMapPlot):
    """Each run's path on the shared plane, in its run's colour with a dot at its head, from
    the runs' common start (a white dot); the loss on the plane under them once computed."""

    def __init__(self) -> None:
        super().__init__(
            "landscapePathsPlot",
            "Optimizer paths on the shared plane",
            "component 1",
            "component 2",
        )
        self.start = pg.ScatterPlotItem(
            [], [], symbol="o", size=13, pen=pg.mkPen("k", width=2), brush=pg.mkBrush("w")
        )
        self.start.setZValue(6)
        self.addItem(self.start)
        self.labels: list[str] = []
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.edges: dict[str, pg.PlotDataItem] = {}
        self.heads: dict[str, pg.ScatterPlotItem] = {}

    def set_runs(self, labels: list[str]) -> None:
        """Forget the paths drawn and the map; the runs to come are `labels`, in their colours
        (`run_style(index)`, as in the Compare tab)."""
        self.clear_map()
        for items in (self.curves, self.edges, self.heads):
            for item in items.values():
                self.removeItem(item)
            items.clear()
        self.start.setData([], [])
        self.labels = list(labels)
        for index, label in enumerate(self.labels):
            color, style = run_style(index)
            edge = pg.PlotDataItem([], [], pen=EDGE_PEN)
            curve = pg.PlotDataItem([], [], pen=pg.mkPen(color, width=2.5, style=style), name=label)
            head = pg.ScatterPlotItem([], [], size=10, pen=MARK_PEN, brush=pg.mkBrush(color))
            for item, z in ((edge, 2), (curve, 3), (head, 4)):
                item.setZValue(z)
                self.addItem(item)
            self.edges[label], self.curves[label], self.heads[label] = edge, curve, head
        self.setLabel("bottom", "component 1")
        self.setLabel("left", "component 2")
        retitle(self, "Paths so far")
        self.enableAutoRange()

    def show_paths(self, paths: dict) -> None:
        """Move each run's path to its (n, 2) coordinates in `paths` (label -> array)."""
        start = None
        for label, coords in paths.items():
            if label not in self.curves:
                continue
            coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
            xs, ys = coords[:, 0], coords[:, 1]
            self.curves[label].setData(xs, ys)
            self.edges[label].setData(xs, ys)
            self.heads[label].setData(xs[-1:], ys[-1:])
            if start is None and len(coords):
                start = coords[0]
        if start is not None:
            self.start.setData([start[0]], [start[1]])

    def show_plane(self, loss_map, explained: tuple[float, float]) -> None:
        """The loss on the final plane under the paths; `explained`: each axis's share of
        the snapshots' variance, shown in its name."""
        first, second = (f"{100 * share:.0f}%" for share in explained)
        self.show_map(
            loss_map,
            "Paths on one plane",
            f"component 1 ({first})",
            f"component 2 ({second})",
        )
