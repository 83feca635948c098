"""A benchmark report's figures (`trainers.report.Figure`), drawn with the window's plotting.

`figure_widget` makes one pyqtgraph plot of a Figure: each series in its optimizer's colour
and line style (`gui.plots.theme.run_style`, as in the Compare tab), its band as a shade
between two faint edges, dots for trials. `draw_figures` writes each as PNG and SVG through
`gui.exports` (offscreen, no display needed), for `main.py benchmark`.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from gui.exports import (
    BACKGROUND,
    FOREGROUND,
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
    paper_legend(plot, figure.legend)
    # Log scales first: an item added after takes them at once, and a shade made from its
    # edges once they are on the plot follows their drawn (logged) values.
    plot.setLogMode(x=figure.log_x, y=figure.log_y)
    if figure.loss_map is not None:
        add_loss_map(plot, *figure.loss_map, text=FOREGROUND)
    for series in figure.series:
        color, style = run_style(series.index)
        if series.dashed:
            style = Qt.PenStyle.DashLine
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


def map_image(values) -> np.ndarray:
    """What a loss map shows in colour: log10 of the loss (floored at 1e-12; a point where
    it is not finite shows the largest value drawn)."""
    shown = np.log10(np.maximum(np.asarray(values, dtype=np.float64), 1e-12))
    finite = np.isfinite(shown)
    top = shown[finite].max() if finite.any() else 0.0
    return np.where(finite, shown, top)


def dress_colour_bar(bar, color: QColor | None = None) -> None:
    """The bar's numbers and name in `color` (default: the palette's text colour), the name
    beside the numbers (pyqtgraph writes it on the bar's other side, over the colours)."""
    from PySide6.QtGui import QPalette

    text = color or QApplication.palette().color(QPalette.ColorRole.Text)
    name = bar.getAxis("left").labelText
    bar.getAxis("left").showLabel(False)
    bar.getAxis("left").setWidth(8)  # a gap between the map and its bar
    bar.axis.setWidth(None)  # as wide as its numbers and its name
    bar.axis.enableAutoSIPrefix(False)  # 0.3, not 300 (x0.001)
    bar.axis.setLabel(name, color=text.name())
    bar.axis.setTextPen(text)
    bar.axis.setPen(text)


def add_loss_map(plot, xs, ys, values, text: QColor | None = None):
    """log10(loss) on the grid (xs, ys) as a colour image under its contour lines, its
    pixels centred on the grid points, and its colour bar beside the plot (its numbers in
    `text`, default the palette's text colour); returns (image, contours, bar)."""
    import pyqtgraph as pg

    from gui.surfaces.drawing import CONTOUR_PEN, contour_lines

    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    shown = map_image(values)
    low, high = float(shown.min()), float(shown.max())
    image = pg.ImageItem()
    image.setColorMap(pg.colormap.get("viridis"))
    image.setImage(shown, levels=(low, max(high, low + 1e-9)), autoLevels=False)
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    image.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy))
    image.setZValue(-10)
    plot.addItem(image)
    contours = pg.PlotDataItem([], [], pen=CONTOUR_PEN)
    if high > low:
        contours.setData(*contour_lines(xs, ys, shown, low, high), connect="pairs")
    contours.setZValue(-5)
    plot.addItem(contours)
    bar = pg.ColorBarItem(
        values=(low, max(high, low + 1e-9)),
        colorMap=image.getColorMap(),
        label="log10 of the loss",
        interactive=False,
    )
    bar.setImageItem(image, insert_in=plot)
    dress_colour_bar(bar, text)
    plot.setRange(
        xRange=(xs[0] - dx / 2, xs[-1] + dx / 2),
        yRange=(ys[0] - dy / 2, ys[-1] + dy / 2),
        padding=0,
    )
    return image, contours, bar


def draw_figure(figure, folder: Path) -> tuple[Path, Path]:
    """Draw one figure into `folder` as <name>.png and <name>.svg; returns the two paths.
    A file that cannot be written raises TrainingError naming it."""
    return write_figure(figure.name, *figure_svg(figure), folder)


def figure_svg(figure) -> tuple[bytes, tuple[int, int]]:
    """`figure` drawn as SVG by a hidden plot widget (GUI thread): the SVG and its size."""
    ensure_application()
    widget = figure_widget(figure)
    try:
        widget.show()  # lays the plot out at its size; WA_DontShowOnScreen keeps it hidden
        QApplication.processEvents()
        # The scene is what the widget shows: a map's image, placed before the plot had its
        # size, would otherwise have grown the scene's rect and shrunk the picture into it.
        widget.scene().setSceneRect(QRectF(0, 0, widget.width(), widget.height()))
        return svg_bytes(widget, figure.title), (widget.width(), widget.height())
    finally:
        widget.close()
        widget.deleteLater()


def write_figure(name: str, svg: bytes, size: tuple[int, int], folder: Path) -> tuple[Path, Path]:
    """Rasterize `svg` and write <name>.png and <name>.svg into `folder`. No widget is
    involved (QImage, QSvgRenderer), so any thread may call it."""
    png = png_bytes(svg, size)
    folder = Path(folder)
    paths = (folder / f"{name}.png", folder / f"{name}.svg")
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
    """Draws figures into a folder without holding up the window: each figure's SVG is made
    on the GUI thread, one per turn of the event loop (~5 ms each), and rasterized and written
    on a worker thread (~0.1-0.2 s each; encoding the PNG releases the GIL, rendering holds it
    ~20 ms). `sig_progress(done, total)` after each; `sig_done(written)` at the end,
    `written` the {name: (png, svg)} of `draw_figures`, or the TrainingError that stopped it."""

    sig_progress = Signal(int, int)
    sig_done = Signal(object)
    _sig_written = Signal(object)  # from the worker thread: a (name, paths) or an error

    def __init__(self, figures: list, folder: Path, parent=None) -> None:
        super().__init__(parent)
        self.figures, self.folder = list(figures), Path(folder)
        self.written: dict[str, tuple[Path, Path]] = {}
        self._drawn = 0  # figures made into SVG so far
        self._failed = False
        self._pool = concurrent.futures.ThreadPoolExecutor(1, "descent-figures")
        self._sig_written.connect(self._on_written)  # queued: the emitter is the worker

    def start(self) -> None:
        if not self.figures:
            QTimer.singleShot(0, lambda: self.sig_done.emit(self.written))
            return
        QTimer.singleShot(0, self._next)

    def _next(self) -> None:
        if self._failed or self._drawn == len(self.figures):
            return
        figure = self.figures[self._drawn]
        self._drawn += 1
        try:
            svg, size = figure_svg(figure)
        except TrainingError as exc:
            self._fail(exc)
            return
        if self._failed:
            # figure_svg lets the event loop run (to lay the plot out): a write's error can
            # arrive meanwhile, and then the pool is shut and nothing more is written.
            return
        self._pool.submit(self._write, figure.name, svg, size)
        QTimer.singleShot(0, self._next)

    def _write(self, name: str, svg: bytes, size: tuple[int, int]) -> None:
        """On the worker thread."""
        try:
            self._sig_written.emit((name, write_figure(name, svg, size, self.folder)))
        except TrainingError as exc:
            self._sig_written.emit(exc)

    @Slot(object)
    def _on_written(self, outcome) -> None:
        if self._failed:
            return
        if isinstance(outcome, TrainingError):
            self._fail(outcome)
            return
        name, paths = outcome
        self.written[name] = paths
        self.sig_progress.emit(len(self.written), len(self.figures))
        if len(self.written) == len(self.figures):
            self._pool.shutdown(wait=False)
            self.sig_done.emit(self.written)

    def _fail(self, error: TrainingError) -> None:
        self._failed = True
        # At most the figure being written is waited for: none writes after the error.
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.sig_done.emit(error)
