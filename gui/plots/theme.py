"""How every plot of the window looks: colours from the application palette, legends that stay
readable over the curves, and titles in the text colour."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsItem

RAW_ALPHA = 70
# Tableau 10 without its grey: distinct hues that read on light and dark plot backgrounds, one
# per run where several are overlaid (Compare, Runs).
PALETTE = (
    QColor(31, 119, 180),
    QColor(255, 127, 14),
    QColor(44, 160, 44),
    QColor(214, 39, 40),
    QColor(148, 103, 189),
    QColor(23, 190, 207),
    QColor(227, 119, 194),
    QColor(140, 86, 75),
    QColor(188, 189, 34),
)
# After the palette runs out, the colours come back dashed, then dotted.
DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)
COLORS = {
    "train": QColor(31, 119, 180),
    "val": QColor(255, 127, 14),
    "smooth": QColor(31, 119, 180),
}


def add_legend(plot: pg.PlotWidget, corner: str = "top-right") -> pg.LegendItem:
    """A legend with a background, so it stays readable over the curves."""
    palette = QApplication.palette()
    brush = QColor(palette.color(QPalette.ColorRole.Base))
    brush.setAlpha(210)
    legend = plot.addLegend(brush=brush, labelTextColor=palette.color(QPalette.ColorRole.Text))
    place_legend(legend, corner)
    return legend


def place_legend(legend: pg.LegendItem, corner: str) -> None:
    """Anchor the legend in a corner of the plot: "top-right" or "bottom-right"."""
    y = 0 if corner.startswith("top") else 1
    legend.anchor(itemPos=(1, y), parentPos=(1, y), offset=(-10, 10 if y == 0 else -40))


def themed(plot: pg.PlotWidget) -> None:
    """Colour a plot from the application palette, so it reads in light and dark themes."""
    palette = QApplication.palette()
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    text = palette.color(QPalette.ColorRole.Text)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(text)
        axis.setTextPen(text)
        axis.enableAutoSIPrefix(False)  # "loss (x0.001)" reads worse than 0.25
        # Major and minor ticks, no third level: a third level of labels and grid lines made
        # every repaint after a range change a third slower.
        axis.setStyle(maxTickLevel=1)
        # The axis draws its labels and its grid lines across the whole plot, so every new
        # point of a curve repainted them. Kept as a pixmap, they are drawn again only when
        # the axis changes (a new range, a resize): a frame then costs the curve alone.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.showGrid(x=True, y=True, alpha=0.2)


def set_title(plot: pg.PlotWidget, text: str) -> None:
    """A plot title in the palette's text colour (pyqtgraph's default grey reads faintly)."""
    plot.setTitle(text, color=QApplication.palette().color(QPalette.ColorRole.Text), size="11pt")


def run_style(index: int) -> tuple[QColor, Qt.PenStyle]:
    """The colour and line style of the `index`-th of several overlaid runs."""
    return PALETTE[index % len(PALETTE)], DASHES[(index // len(PALETTE)) % len(DASHES)]


def dress(
    plot: pg.PlotWidget,
    object_name: str,
    title: str,
    xlabel: str,
    ylabel: str,
    *,
    accessible: str = "",
    strong_title: bool = False,
) -> pg.PlotWidget:
    """Name, theme, title and label `plot`; returns it. `strong_title` writes the title in the
    palette's text colour (`set_title`), for plots overlaying several runs."""
    plot.setObjectName(object_name)
    plot.setAccessibleName(accessible or title)
    themed(plot)
    if strong_title:
        set_title(plot, title)
    else:
        plot.setTitle(title)
    plot.setLabel("bottom", xlabel)
    plot.setLabel("left", ylabel)
    return plot
