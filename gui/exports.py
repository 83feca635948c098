"""Pictures of a run's curves (PNG and SVG), and the window's File > Export menu.

`write_plot_images` draws the last run as one figure, the loss of every update above the loss
and the metric by epoch, and writes it as PNG and SVG. The window's "Export plots" and
`main.py train --plots` both call it, so the two give the same picture; the CLI needs no
display, as it draws on Qt's offscreen platform. `RunExports` adds the export actions to the
window's File menu; each action has a method taking a path, which tests call directly.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import QApplication, QMenu

from gui import recent
from trainers.errors import DescentError, TrainingError
from trainers.exports import export_curves, write_config_toml

# pyqtgraph (and gui.plots, which imports it) load when a figure is first drawn, not with the
# window's menu: the window is painted before pyqtgraph's half-second import.

FIGURE_SIZE = (1200, 900)
PNG_SCALE = 2
"""The PNG has twice the figure's pixels: sharp on a slide or in a report."""
BACKGROUND = QColor("white")
FOREGROUND = QColor(30, 30, 30)
"""Exported figures are dark on white whatever the window's theme: they end up on paper."""


def ensure_application() -> QApplication:
    """The running QApplication, or a new one on the offscreen platform (for the CLI).

    Offscreen is forced when Descent makes the application itself: a command line run over
    ssh may carry a QT_QPA_PLATFORM whose display is not there, and Qt would abort on it.
    """
    app = QApplication.instance()
    if app is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QApplication(["descent"])
    return app


def paper_style(plot, title: str, xlabel: str, ylabel: str) -> None:
    """Title, axis labels and grid of an exported plot: dark on white (also the benchmark
    report's figures, `gui.report_figures`)."""
    plot.setTitle(title, color=FOREGROUND)
    for name, text in (("bottom", xlabel), ("left", ylabel)):
        axis = plot.getAxis(name)
        axis.setPen(FOREGROUND)
        axis.setTextPen(FOREGROUND)
        axis.enableAutoSIPrefix(False)
        plot.setLabel(name, text, color=FOREGROUND)
    plot.showGrid(x=True, y=True, alpha=0.2)


def paper_legend(plot, corner: str = "top-right") -> None:
    """An exported plot's legend, in `corner` ("top-right" or "top-left"), on a nearly
    opaque white."""
    brush = QColor(BACKGROUND)
    brush.setAlpha(210)
    legend = plot.addLegend(brush=brush, labelTextColor=FOREGROUND)
    if corner == "top-left":
        legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(10, 10))
    else:
        legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-10, 10))


def curves_figure(result, *, smoothing: float = 0.9, log_loss: bool = False):
    """One run's curves in one picture (a pyqtgraph GraphicsLayoutWidget), as in the window.

    Top: the loss of every update (faint) and its moving average (bold), with the window's
    smoothing. Below: the loss and the metric by epoch, training and validation, epoch 0
    being the untrained model. Never shown on screen: it exists to be rendered to a file.
    """
    import pyqtgraph as pg

    from gui.plots import COLORS, RAW_ALPHA, CurveBuffer, dots, ema, visible_points

    figure = pg.GraphicsLayoutWidget()
    figure.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    figure.setBackground(BACKGROUND)
    figure.resize(*FIGURE_SIZE)
    info = result.info
    metric = info.metric if info is not None else "accuracy"
    label = info.config.optimizer if info is not None else result.config.optimizer
    loss_name = info.loss if info is not None else (result.config.loss or "loss")

    step_plot = figure.addPlot(row=0, col=0, colspan=2)
    paper_style(step_plot, f"Loss of each update ({label}, {loss_name})", "step", "loss")
    paper_legend(step_plot)
    steps = CurveBuffer(max(len(result.step_numbers), 1))
    steps.append(result.step_numbers.astype(np.float64), result.step_losses)
    smoothed = CurveBuffer(max(steps.n, 1))
    if steps.n:
        smoothed.append(steps.xs, ema(steps.ys, max(1.0 - smoothing, 0.001), None)[0])
    # As in the window: per pixel column, the points that draw its band from the lowest to the
    # highest loss in it, which keeps the SVG of a long run small.
    pixels = FIGURE_SIZE[0] * PNG_SCALE
    raw_color = QColor(COLORS["train"])
    raw_color.setAlpha(RAW_ALPHA)
    step_plot.plot(
        *visible_points(steps, None, pixels, log_loss),
        pen=pg.mkPen(raw_color, width=1),
        name="step loss",
        connect="finite",
    )
    step_plot.plot(
        *visible_points(smoothed, None, pixels, log_loss),
        pen=pg.mkPen(COLORS["smooth"], width=2),
        name="smoothed",
        connect="finite",
    )
    step_plot.setLogMode(y=log_loss)

    epoch_plot = figure.addPlot(row=1, col=0)
    metric_plot = figure.addPlot(row=1, col=1)
    for plot, key, title in (
        (epoch_plot, "loss", "Loss by epoch"),
        (metric_plot, metric, f"{metric.capitalize()} by epoch"),
    ):
        paper_style(plot, title, "epoch", key)
        paper_legend(plot)
        for prefix, name, symbol in (("", "training", "o"), ("val_", "validation", "s")):
            epochs, values = epoch_values(result, prefix + key)
            if not len(epochs):
                continue
            color = COLORS["val" if prefix else "train"]
            plot.plot(
                epochs,
                values,
                pen=pg.mkPen(color, width=2),
                **dots(color, 6, symbol, outline=color),
                name=name,
                connect="finite",
            )
    epoch_plot.setLogMode(y=log_loss)
    return figure


def epoch_values(result, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Epochs 0..n and the values of `key` (epoch 0 from the untrained model), as plotted."""
    epochs, values = [], []
    initial = result.info.initial_logs if result.info is not None else {}
    if key in initial:
        epochs.append(0)
        values.append(initial[key])
    for i, value in enumerate(result.history.get(key, [])):
        epochs.append(i + 1)
        values.append(value)
    return np.array(epochs, dtype=np.float64), np.array(values, dtype=np.float64)


def _render(scene, painter: QPainter, target: QRectF) -> None:
    """Paint the scene as pyqtgraph's exporters do: in export mode, items draw every point and
    their symbols as shapes rather than cached pixmaps."""
    items = [item for item in scene.items() if hasattr(item, "setExportMode")]
    options = {
        "antialias": True,
        "background": BACKGROUND,
        "painter": painter,
        "resolutionScale": 1.0,
    }
    try:
        for item in items:
            item.setExportMode(True, options)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        scene.render(painter, target, scene.sceneRect())
    finally:
        for item in items:
            item.setExportMode(False)


def png_bytes(svg: bytes, size: tuple[int, int], scale: int = PNG_SCALE) -> bytes:
    """The SVG drawing rasterized at `scale` times `size`: every line and letter scales alike.

    pyqtgraph's ImageExporter, asked for twice the pixels, left the legends at their screen
    size and the curves one pixel thin; drawing the vector picture larger has neither fault.
    """
    from PySide6.QtGui import QImage
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size[0] * scale, size[1] * scale, QImage.Format.Format_ARGB32)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        QSvgRenderer(QByteArray(svg)).render(painter)
    finally:
        painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def svg_bytes(figure, title: str = "Descent curves") -> bytes:
    """The figure as SVG, drawn by Qt's SVG generator.

    Not pyqtgraph's SVGExporter: with Qt 6.11 it fails on every closed path ("Z", which Qt's
    generator now writes), pyqtgraph issue #3485. The generator's resolution is the screen's,
    as pyqtgraph's exporter sets it, or the axes would be drawn at 72/96 of their size.
    """
    from PySide6.QtSvg import QSvgGenerator

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    width, height = figure.width(), figure.height()
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRectF(0, 0, width, height))
    generator.setResolution(int(QGuiApplication.primaryScreen().logicalDotsPerInchX()))
    generator.setTitle(title)
    generator.setDescription("Drawn by Descent with Qt and pyqtgraph")
    painter = QPainter(generator)
    try:
        painter.fillRect(QRectF(0, 0, width, height), BACKGROUND)
        _render(figure.scene(), painter, QRectF(0, 0, width, height))
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def write_plot_images(
    result, stem: str | Path, *, smoothing: float = 0.9, log_loss: bool = False
) -> list[Path]:
    """Draw `result`'s curves and write `stem`.png and `stem`.svg; returns the two paths.

    A failure to write raises TrainingError naming the file, as a failed save does.
    """

    ensure_application()
    stem = Path(stem)
    if stem.suffix.lower() in (".png", ".svg"):
        stem = stem.with_suffix("")
    figure = curves_figure(result, smoothing=smoothing, log_loss=log_loss)
    try:
        figure.show()  # lays the plots out at their size; WA_DontShowOnScreen keeps it hidden
        QApplication.processEvents()
        svg = svg_bytes(figure)
        pictures = {".png": png_bytes(svg, (figure.width(), figure.height())), ".svg": svg}
    finally:
        figure.close()
        figure.deleteLater()
    written = []
    for suffix, data in pictures.items():
        path = stem.with_suffix(suffix)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise TrainingError(
                f"Cannot write the plot {path}: {exc.strerror or exc}. Choose a folder you "
                f"can write to."
            ) from None
        written.append(path)
    return written


class RunExports(QObject):
    """The window's File > Export menu: the last run's curves, plots and settings, and
    TensorBoard logs for the next runs.

    The curves, the plots and the TOML are written here on the UI thread: they are plain
    files and pictures of widgets. TensorBoard logs are written by the engine thread as a run
    trains (the worker passes the folder to the session), each run in its own sub-folder, so
    TensorBoard shows them side by side.
    """

    def __init__(self, window, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.tensorboard_dir: str | None = None
        self.menu = menu.addMenu("&Export")
        self.menu.setObjectName("exportMenu")
        self.curves_action = self._action("Export curves (CSV)...", "exportCurvesAction")
        self.curves_action.triggered.connect(self._on_export_curves)
        self.plots_action = self._action("Export plots (PNG/SVG)...", "exportPlotsAction")
        self.plots_action.triggered.connect(self._on_export_plots)
        self.config_action = self._action("Export configuration (TOML)...", "exportConfigAction")
        self.config_action.triggered.connect(self._on_export_config)
        self.script_action = self._action(
            "Export as a Keras script (run.py)...", "exportScriptAction"
        )
        self.script_action.triggered.connect(self._on_export_script)
        self.menu.addSeparator()
        self.tensorboard_action = self._action("Write TensorBoard logs...", "tensorboardAction")
        self.tensorboard_action.setCheckable(True)
        self.tensorboard_action.toggled.connect(self._on_tensorboard_toggled)
        self.menu.aboutToShow.connect(self._update_enabled)
        # Remembered between launches; handed to the worker once the window has made it.
        remembered = str(window.settings.value("exports/tensorboard_dir", "") or "")
        QTimer.singleShot(0, self, lambda: self.set_tensorboard_dir(remembered or None))

    def _action(self, text: str, name: str) -> QAction:
        action = QAction(text, self.menu)
        action.setObjectName(name)
        self.menu.addAction(action)
        return action

    def _update_enabled(self) -> None:
        has_run = self.window.last_result is not None and self.window.last_result.info is not None
        for action in (self.curves_action, self.plots_action, self.config_action):
            action.setEnabled(has_run)
        result = self.window.last_result
        self.script_action.setEnabled(
            has_run and result.model is not None and bool(result.initial_weights)
        )

    def _last_run(self):
        result = self.window.last_result
        if result is None or result.info is None:
            self.window.show_message("No run to export yet: train one first.", "info")
            return None
        return result

    def _done(self, paths: list[Path]) -> None:
        self.window.show_status("Exported " + ", ".join(str(p) for p in paths))

    def _failed(self, exc: Exception) -> None:
        self.window.show_message(str(exc), "error")
        self.window.show_status("Export failed")

    # ------------------------------------------------------------ exports, given a path
    def _export(self, write) -> list[Path]:
        """`write(result)` of the last run: the paths it wrote, after saying so (none, and a
        message, when there is no run or it fails)."""
        result = self._last_run()
        if result is None:
            return []
        try:
            paths = write(result)
        except DescentError as exc:
            self._failed(exc)
            return []
        self._done(paths)
        return paths

    def export_curves(self, folder: str | Path) -> list[Path]:
        """Write the last run's history.csv and steps.csv into `folder`."""
        return self._export(lambda result: export_curves(result, folder))

    def export_plots(self, path: str | Path) -> list[Path]:
        """Write the last run's curves as `path` .png and .svg, smoothed and scaled as shown."""
        view = self.window.training
        return self._export(
            lambda result: write_plot_images(
                result, path, smoothing=view.smoothing, log_loss=view.log_scale
            )
        )

    def export_config(self, path: str | Path) -> list[Path]:
        """Write the last run's settings as TOML, which `main.py train --config` reruns."""
        return self._export(lambda result: [write_config_toml(result.config, path)])

    def export_script(self, folder: str | Path) -> list[Path]:
        """Write the last run as run.py and run_data.npz into `folder`: a plain Keras script
        that trains it again (`trainers.script`)."""
        from trainers.script import write_script

        def write(result):
            if result.model is None or not result.initial_weights:
                raise TrainingError("This run kept no model to rebuild a script from.")
            return write_script(result, folder)

        return self._export(write)

    def set_tensorboard_dir(self, folder: str | None) -> None:
        """Write TensorBoard logs of the next runs under `folder` (None: stop writing them)."""
        self.tensorboard_dir = folder or None
        worker = getattr(self.window, "worker", None)
        if worker is not None:
            worker.set_tensorboard_dir(self.tensorboard_dir)
        self.window.settings.setValue("exports/tensorboard_dir", self.tensorboard_dir or "")
        self.tensorboard_action.blockSignals(True)
        self.tensorboard_action.setChecked(self.tensorboard_dir is not None)
        self.tensorboard_action.blockSignals(False)
        tip = f"Logs go to {self.tensorboard_dir}" if self.tensorboard_dir else "Off"
        self.tensorboard_action.setToolTip(tip)
        self.tensorboard_action.setStatusTip(tip)

    # ------------------------------------------------------------------------- dialogs
    def _ask(self, export, title: str, name: str = "", pattern: str = "") -> None:
        """Ask where (a folder, or a file `name` of `pattern`), then `export(path)` there."""
        if self._last_run() is None:
            return
        options = {"save_name": name, "pattern": pattern} if name else {"folder": True}
        recent.ask(self.window, self.window.settings, "exports", title, export, **options)

    def _on_export_curves(self) -> None:
        self._ask(self.export_curves, "Export the curves (CSV)")

    def _on_export_plots(self) -> None:
        self._ask(
            self.export_plots,
            "Export the plots (PNG and SVG)",
            "curves.png",
            "Images (*.png *.svg)",
        )

    def _on_export_config(self) -> None:
        self._ask(
            self.export_config, "Export the configuration (TOML)", "run.toml", "TOML (*.toml)"
        )

    def _on_export_script(self) -> None:
        self._ask(self.export_script, "Export the run as a Keras script (a folder for run.py)")

    def _on_tensorboard_toggled(self, on: bool) -> None:
        if not on:
            self.set_tensorboard_dir(None)
            return
        dialog = recent.ask(
            self.window,
            self.window.settings,
            "tensorboard",
            "Folder for TensorBoard logs",
            self.set_tensorboard_dir,
            folder=True,
        )
        dialog.rejected.connect(lambda: self.set_tensorboard_dir(None))
