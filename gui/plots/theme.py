"""How every plot of the window looks: colours from the application palette, legends that stay
readable over the curves, and titles in the text colour.

The look also has a zoom and a high-contrast switch (the window's View menu, `gui.lecture`):
`set_look` changes them, and `redress` brings a plot already made up to date (title, axis
labels, ticks, legend and the width of every curve). A plot dressed here follows the look for
the curves added to it later too: each new curve's width is scaled as it is added."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette
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
    """Anchor the legend in a corner of the plot: "top-right", "bottom-right" or "top-left"."""
    y = 0 if corner.startswith("top") else 1
    x = 0 if corner.endswith("left") else 1
    legend.anchor(
        itemPos=(x, y), parentPos=(x, y), offset=(10 if x == 0 else -10, 10 if y == 0 else -40)
    )


def themed(plot: pg.PlotWidget) -> None:
    """Colour a plot from the application palette, so it reads in light and dark themes."""
    _colour(plot)
    _follow_look(plot)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.enableAutoSIPrefix(False)  # "loss (x0.001)" reads worse than 0.25
        # Major and minor ticks, no third level: a third level of labels and grid lines made
        # every repaint after a range change a third slower.
        axis.setStyle(maxTickLevel=1)
        # The axis draws its labels and its grid lines across the whole plot, so every new
        # point of a curve repainted them. Kept as a pixmap, they are drawn again only when
        # the axis changes (a new range, a resize): a frame then costs the curve alone.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.showGrid(x=True, y=True, alpha=0.2)


def retitle(plot: pg.PlotWidget, text: str) -> None:
    """A new title for `plot` in its look (size and colour kept), its row as tall as the text:
    a bare `setTitle` sets pyqtgraph's 30 px row again, which cuts a zoomed title."""
    plot.setTitle(text)
    fit_title_row(plot)


def set_title(plot: pg.PlotWidget, text: str) -> None:
    """A plot title in the palette's text colour (pyqtgraph's default grey reads faintly)."""
    plot.setProperty(STRONG_TITLE, True)
    plot.setTitle(text, color=_text_colour(), size=f"{TITLE_PT * _look.zoom:.3g}pt")
    fit_title_row(plot)


def fit_title_row(plot: pg.PlotWidget) -> None:
    """Make the title fit: broken onto more lines where it is wider than the plot (pyqtgraph
    would cut it at both ends), and its row as tall as its lines (pyqtgraph fixes the row at
    30 px, which cuts a zoomed title). Call after `plot.setTitle`, which sets the 30 px again;
    the plot calls it itself when resized."""
    item = plot.getPlotItem()
    if not item.titleLabel.isVisible():
        return
    if not getattr(plot, "_descent_title_fitted", False):
        plot._descent_title_fitted = True
        plot.installEventFilter(_TITLE_FITTER)
    label = item.titleLabel
    full = label.text.replace("<br>", " ")
    # The title is centred above the view box, beside the left axis: that is its room.
    # (The view box itself is laid out after the resize this may be called for: not yet.)
    axis = item.getAxis("left")
    room = plot.width() - (axis.width() if axis.isVisible() else 0) - 24
    wrapped = _wrapped(full, _title_font(label), room)
    if wrapped != label.text:
        label.setText(wrapped)
    height = max(30, math.ceil(item.titleLabel.item.boundingRect().height()) + 2)
    item.titleLabel.setMaximumHeight(height)
    item.layout.setRowFixedHeight(0, height)


def _title_font(label) -> QFont:
    font = QFont(QApplication.font())
    size = str(label.opts.get("size") or "")
    if size.endswith("pt"):
        font.setPointSizeF(float(size[:-2]))
    if label.opts.get("bold"):
        font.setBold(True)
    return font


def _wrapped(text: str, font: QFont, width: float) -> str:
    """`text` broken at spaces into lines of at most `width` pixels (a longer word keeps its
    own line), joined with <br>; `text` itself where it fits on one line or has markup."""
    metrics = QFontMetricsF(font)
    if "<" in text or width <= 0 or metrics.horizontalAdvance(text) <= width:
        return text
    lines: list[str] = []
    for word in text.split(" "):
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "<br>".join(lines)


class _TitleFitter(QObject):
    """Refits a plot's title when the plot is resized (see `fit_title_row`)."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize and isinstance(watched, pg.PlotWidget):
            fit_title_row(watched)
        return False


_TITLE_FITTER = _TitleFitter()


class _RoomyLegend(QObject):
    """Shows a plot's legend only while the plot is at least `width` x `height` pixels."""

    def __init__(self, plot: pg.PlotWidget, legend: pg.LegendItem, width: int, height: int):
        super().__init__(plot)
        self.legend, self.width, self.height = legend, width, height
        plot.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize:
            size = event.size()
            self.legend.setVisible(size.width() >= self.width and size.height() >= self.height)
        return False


def legend_only_with_room(
    plot: pg.PlotWidget, legend: pg.LegendItem, width: int, height: int
) -> None:
    """Hide `legend` while `plot` is smaller than `width` x `height`: in a small plot it
    covers the curves. For plots whose colours are named elsewhere too (a list beside it)."""
    _RoomyLegend(plot, legend, width, height)


def dots(color, size: float, symbol: str = "o", outline=None) -> dict:
    """A data item's symbol options, with a brush and an outline pen made once.

    pyqtgraph keys each rendered symbol by the identity of its pen and brush objects; given a
    colour (or None) it makes new ones at every `setData`, renders the symbol again and adds
    it to the item's atlas, which then grows with every update of a live curve (400 images
    after 200 updates), and each update packs them all again.
    """
    return {
        "symbol": symbol,
        "symbolSize": size,
        "symbolBrush": pg.mkBrush(color),
        "symbolPen": pg.mkPen(outline),
    }


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


# ============================================================================= the look
TITLE_PT = 11.0  # pyqtgraph's own title size, the size at zoom 100%
HIGH_CONTRAST_WIDTH = 1.6  # lines are this much thicker in the high-contrast theme
STRONG_TITLE = "descentStrongTitle"  # a plot property: its title is in the text colour


class Look:
    """The zoom and theme every plot follows: `zoom` scales text and lines (1.0 is 100%),
    `base_pt` is the application's font size at 100%, `high_contrast` thickens the lines."""

    def __init__(self) -> None:
        self.zoom = 1.0
        self.base_pt = 0.0  # 0: the application font's size, read when first needed
        self.high_contrast = False

    @property
    def line_scale(self) -> float:
        return self.zoom * (HIGH_CONTRAST_WIDTH if self.high_contrast else 1.0)

    def text_pt(self) -> float:
        if not self.base_pt:
            self.base_pt = QApplication.font().pointSizeF()
        return self.base_pt * self.zoom

    @property
    def is_default(self) -> bool:
        return self.zoom == 1.0 and not self.high_contrast


_look = Look()


def look() -> Look:
    """The look the plots follow now."""
    return _look


def set_look(zoom: float, high_contrast: bool, base_pt: float) -> None:
    """Plots dressed from now on follow `zoom` (1.0 = 100%), `high_contrast` and the
    application font size `base_pt` at 100%; `redress` updates the plots already made."""
    _look.zoom, _look.high_contrast, _look.base_pt = float(zoom), bool(high_contrast), base_pt


def _text_colour() -> QColor:
    return QApplication.palette().color(QPalette.ColorRole.Text)


def _colour(plot: pg.PlotWidget) -> None:
    """Background and axes in the palette's colours."""
    palette = QApplication.palette()
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    text = palette.color(QPalette.ColorRole.Text)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(text)
        axis.setTextPen(text)


class _CurveWidths:
    """Scales the pen of every curve added to a plot to the look's line width.

    pyqtgraph tells a view box's listeners when an item joins it (`itemsChangedListeners`),
    which is how curves added after the zoom changed (a new run in Compare or Runs) get it too.
    Each curve keeps the width it was given, so zooming back restores it exactly.
    """

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.view = plot.getPlotItem().getViewBox()

    def itemsChanged(self) -> None:  # noqa: N802 (pyqtgraph's listener interface)
        if not _look.is_default:
            self.apply()

    def apply(self) -> None:
        scale = _look.line_scale
        for item in self.view.childGroup.childItems():  # the one being added is there already
            if isinstance(item, pg.PlotDataItem | pg.PlotCurveItem):
                _scale_pen(item, scale)


def _scale_pen(item, scale: float) -> None:
    pen = item.opts.get("pen")
    if pen is None:
        return
    pen = pg.mkPen(pen)
    base, applied = getattr(item, "_descent_width", (None, None))
    if base is None or abs(pen.widthF() - applied) > 1e-9:  # new, or given a new pen since
        base = pen.widthF()
    width = (base or 1.0) * scale if scale != 1.0 else base  # 0 is pyqtgraph's 1 px line
    if abs(width - pen.widthF()) > 1e-9:
        pen.setWidthF(width)
        item.setPen(pen)
    item._descent_width = (base, width)


def _follow_look(plot: pg.PlotWidget) -> None:
    """Make `plot` scale the curves added to it, and dress it in the look if not the default."""
    if getattr(plot, "_descent_widths", None) is None:
        plot._descent_widths = _CurveWidths(plot)  # the listener list holds weak references
        plot.getPlotItem().getViewBox().childGroup.itemsChangedListeners.append(
            plot._descent_widths
        )
    if not _look.is_default:
        redress(plot)


def redress(plot: pg.PlotWidget) -> None:
    """Bring `plot` up to the look: colours, title, axis labels, ticks, legend, curve widths."""
    item = plot.getPlotItem()
    _colour(plot)
    text = _text_colour()
    pt = _look.text_pt()
    title = item.titleLabel
    strong = bool(plot.property(STRONG_TITLE)) or _look.high_contrast
    size, colour = f"{TITLE_PT * _look.zoom:.3g}pt", text if strong else None
    if title.isVisible():
        title.setText(title.text, size=size, color=colour)
        fit_title_row(plot)
    else:  # a title set later keeps these
        title.setAttr("size", size)
        title.setAttr("color", colour)
    font = QApplication.font()
    font.setPointSizeF(pt)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTickFont(font)
        style = {k: v for k, v in axis.labelStyle.items() if k != "color"}
        style["font-size"] = f"{pt:.3g}pt"
        style["color"] = text.name()
        axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix, **style)
    legend = item.legend
    if legend is not None:
        brush = QColor(QApplication.palette().color(QPalette.ColorRole.Base))
        brush.setAlpha(210)
        legend.setBrush(brush)
        legend.setLabelTextColor(text)
        legend.setLabelTextSize(f"{pt:.3g}pt")
        for _, label in legend.items:  # pyqtgraph keeps the new style for the next text
            label.setText(label.text)
        legend.updateSize()
    if getattr(plot, "_descent_widths", None) is not None:
        plot._descent_widths.apply()


def redress_all(root) -> int:
    """Redress every plot under the widget `root` (a window); returns how many."""
    plots = root.findChildren(pg.PlotWidget)
    for plot in plots:
        if getattr(plot, "_descent_widths", None) is not None:  # dressed here: follows the look
            redress(plot)
    return len(plots)
