"""Optimizer paths on 2-D test surfaces: pick a surface, click a start, watch each path grow.

The contour map shows log(f - f_min) (the saddle, which has no minimum, shows asinh(f)) with
contour lines, the known minima and the start point. Each ticked optimizer runs from that start
with its own learning rate; the paths are computed whole by `trainers.surfaces.PathComputer`
(the optimizer classes of `trainers.optimizers` acting on a 2-element Keras variable) and then
animated by a QTimer, the loss of each path growing beside the map.

Computing off the UI thread: four optimizers x 500 steps take ~1.05 s the first time (tracing
each optimizer's path function, measured on 2 shared cores) and ~0.15 s when re-run from a new
start or rate. Both are over the ~100 ms a click may freeze the window, so a `_PathWorker`
computes on its own plain Python thread (not a QThread with queued slots, which crashed
TensorFlow's graph building in `gui.worker`), keeps its `PathComputer` there (Keras state is per
thread) and hands results back through a queued signal. Only the newest request counts: older
results are dropped.

Importing this module does not import TensorFlow; building a `SurfaceView` does (the engine),
so the main window should build it once the training worker reports the engine ready.
"""

from __future__ import annotations

import math
import queue
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.forms import ScientificSpinBox
from gui.plots import themed

PATH_STEPS = 500
TICK_MS = 40  # 25 frames a second
SPEEDS = (1, 2, 3, 5, 8, 12, 20, 30, 50)  # steps per frame, one per slider position
DEFAULT_SPEED_INDEX = 3
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
RECOMPUTE_DELAY_MS = 300  # wait for a spin box to settle before computing again
GRID = 200
CONTOUR_LEVELS = 14
# Opaque: translucent segments would overlap at their joints and read as dotted lines.
CONTOUR_PEN = pg.mkPen(QColor(225, 235, 235), width=0.6)
LOSS_FLOOR = 1e-12  # log-scale plots need f - f_min > 0
# Distinct colours that read on the surface's colour map and on light or dark plot backgrounds.
COLORS = {
    "sgd": QColor(228, 26, 28),
    "momentum": QColor(255, 127, 0),
    "nesterov": QColor(250, 200, 20),
    "adagrad": QColor(0, 190, 230),
    "adadelta": QColor(120, 220, 40),
    "rmsprop": QColor(60, 110, 255),
    "adam": QColor(235, 60, 235),
}
COLUMN_NAME, COLUMN_RATE, COLUMN_RESULT = range(3)


class _PathWorker(QObject):
    """Computes paths on its own thread; reports each finished request by `sig_done`."""

    sig_done = Signal(int, object)
    """A request finished: its id, and a dict optimizer -> `PathResult` or error message."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def request(self, request_id: int, surface, start, steps: int, configs: dict) -> None:
        """Queue the paths of `configs` (optimizer -> hyperparameters) from `start`."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._serve, name="surfacePaths", daemon=True)
            self._thread.start()
        self._jobs.put((request_id, surface, start, steps, dict(configs)))

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread after the request in progress; wait up to `timeout` seconds."""
        thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._jobs.put(None)
            thread.join(timeout)

    def _serve(self) -> None:
        from trainers.surfaces import PathComputer

        computer = PathComputer()
        while (job := self._jobs.get()) is not None:
            try:  # only the newest request matters: skip the ones it replaced
                while True:
                    newer = self._jobs.get_nowait()
                    if newer is None:
                        return
                    job = newer
            except queue.Empty:
                pass
            request_id, surface, start, steps, configs = job
            results = {}
            for name, hyperparameters in configs.items():
                try:
                    results[name] = computer.path(surface, name, start, steps, **hyperparameters)
                except ValueError as exc:
                    results[name] = str(exc)
                except Exception as exc:  # never let one bad path end the thread
                    traceback.print_exc()
                    results[name] = f"{type(exc).__name__}: {exc}"
            try:
                self.sig_done.emit(request_id, results)
            except RuntimeError:  # the view, and this object with it, is gone
                return


class SurfaceView(QWidget):
    """A 2-D test surface, the optimizers' paths across it, and the loss along each path."""

    sig_start_changed = Signal(float, float)
    """The start point of the paths moved to (x, y)."""
    sig_paths_ready = Signal()
    """New paths for the current surface, start, optimizers and rates are in place."""
    sig_step_changed = Signal(int)
    """The animation now shows this step (0 is the start)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        from trainers import catalog, surfaces  # the engine: imports TensorFlow

        self._surfaces = surfaces
        self._infos = {info.name: info for info in catalog.OPTIMIZERS}
        self.setObjectName("surfaceView")
        self.setAccessibleName("Optimizer paths on 2-D surfaces")

        self._surface = surfaces.SURFACES[0]
        self._start: tuple[float, float] = self._surface.start
        self._paths: dict = {}  # optimizer -> PathResult, for the current request
        self._errors: dict[str, str] = {}
        self._step = 0
        self._request_id = 0
        self._pending = False
        self._play_when_ready = False
        self._requested_once = False
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._heads: dict[str, pg.ScatterPlotItem] = {}
        self._loss_curves: dict[str, pg.PlotDataItem] = {}

        self._worker = _PathWorker(self)
        self._worker.sig_done.connect(self._on_paths_computed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._worker.stop)

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)
        self._recompute_timer = QTimer(self)
        self._recompute_timer.setSingleShot(True)
        self._recompute_timer.setInterval(RECOMPUTE_DELAY_MS)
        self._recompute_timer.timeout.connect(self._on_recompute_due)

        self._build()
        self._show_surface()

    # ------------------------------------------------------------------------------- building
    def _build(self) -> None:
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)

        self.surface_combo = QComboBox()
        _name(self.surface_combo, "surfaceCombo", "Test surface")
        for surface in self._surfaces.SURFACES:
            self.surface_combo.addItem(surface.display_name, surface.name)
        self.surface_combo.currentIndexChanged.connect(self._on_surface_chosen)
        side_layout.addWidget(QLabel("Surface"))
        side_layout.addWidget(self.surface_combo)

        self.formula_label = QLabel()
        _name(self.formula_label, "surfaceFormula", "Surface formula")
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lesson_label = QLabel()
        _name(self.lesson_label, "surfaceLesson", "What this surface teaches")
        self.lesson_label.setWordWrap(True)
        side_layout.addWidget(self.formula_label)
        side_layout.addWidget(self.lesson_label)

        self.optimizer_list = QTreeWidget()
        _name(self.optimizer_list, "surfaceOptimizerList", "Optimizers and learning rates")
        self.optimizer_list.setColumnCount(3)
        self.optimizer_list.setHeaderLabels(["Optimizer", "η (learning rate)", "Path"])
        self.optimizer_list.setRootIsDecorated(False)
        self.optimizer_list.setUniformRowHeights(True)
        header = self.optimizer_list.header()
        header.setSectionResizeMode(COLUMN_NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMN_RATE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMN_RESULT, QHeaderView.ResizeMode.Stretch)
        self._items: dict[str, QTreeWidgetItem] = {}
        self.rate_spins: dict[str, ScientificSpinBox] = {}
        for name, info in self._infos.items():
            item = QTreeWidgetItem([info.display_name, "", ""])
            item.setData(COLUMN_NAME, Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = name in DEFAULT_OPTIMIZERS
            item.setCheckState(
                COLUMN_NAME, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
            )
            item.setIcon(COLUMN_NAME, _swatch(COLORS.get(name, QColor("gray"))))
            item.setToolTip(COLUMN_NAME, f"{info.summary}\n\n{info.equation}")
            self.optimizer_list.addTopLevelItem(item)
            spin = ScientificSpinBox()
            _name(spin, f"surfaceRate_{name}", f"Learning rate for {info.display_name}")
            spin.setRange(1e-6, 100.0)
            spin.setToolTip(info.param("learning_rate").help)
            spin.setEnabled(checked)
            spin.valueChanged.connect(self._on_rate_changed)
            self.optimizer_list.setItemWidget(item, COLUMN_RATE, spin)
            self._items[name] = item
            self.rate_spins[name] = spin
        self.optimizer_list.itemChanged.connect(self._on_item_changed)
        self.optimizer_list.setMinimumWidth(380)
        side_layout.addWidget(self.optimizer_list, 1)

        self.note_label = QLabel()
        _name(self.note_label, "surfaceNote", "Path notes")
        self.note_label.setWordWrap(True)
        side_layout.addWidget(self.note_label)

        controls = QGridLayout()
        self.play_button = QPushButton("Play")
        _name(self.play_button, "surfacePlayButton", "Play or pause the paths")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.step_button = QPushButton("Step")
        _name(self.step_button, "surfaceStepButton", "Advance every path by one step")
        self.step_button.clicked.connect(self._on_step_clicked)
        self.reset_button = QPushButton("Reset")
        _name(self.reset_button, "surfaceResetButton", "Back to the start point")
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        _name(self.speed_slider, "surfaceSpeedSlider", "Animation speed")
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setValue(DEFAULT_SPEED_INDEX)
        self.speed_slider.setPageStep(1)
        self.speed_slider.valueChanged.connect(self._on_speed_changed)
        self.speed_label = QLabel()
        self.step_label = QLabel()
        _name(self.step_label, "surfaceStepLabel", "Step shown")
        controls.addWidget(self.play_button, 0, 0)
        controls.addWidget(self.step_button, 0, 1)
        controls.addWidget(self.reset_button, 0, 2)
        controls.addWidget(QLabel("Speed"), 1, 0)
        controls.addWidget(self.speed_slider, 1, 1, 1, 2)
        controls.addWidget(self.speed_label, 2, 0)
        controls.addWidget(self.step_label, 2, 1, 1, 2)
        side_layout.addLayout(controls)
        self._on_speed_changed(self.speed_slider.value())

        self.contour_plot = pg.PlotWidget()
        _name(self.contour_plot, "surfaceContourPlot", "Surface contour map; click to start")
        themed(self.contour_plot)
        self.contour_plot.showGrid(x=False, y=False)  # grid lines would cross the contours
        self.contour_plot.setLabel("bottom", "x (weight 1)")
        self.contour_plot.setLabel("left", "y (weight 2)")
        self.contour_plot.setMenuEnabled(False)
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.image.setZValue(-10)
        self.contour_plot.addItem(self.image)
        self.contour_lines = pg.PlotDataItem([], [], pen=CONTOUR_PEN)
        self.contour_lines.setZValue(-5)
        self.contour_plot.addItem(self.contour_lines)
        self.minima_marker = pg.ScatterPlotItem(
            symbol="star", size=18, pen=pg.mkPen("k", width=1.5), brush=pg.mkBrush("w")
        )
        self.minima_marker.setZValue(5)
        self.contour_plot.addItem(self.minima_marker)
        self.start_marker = pg.ScatterPlotItem(
            symbol="o", size=13, pen=pg.mkPen("k", width=2), brush=pg.mkBrush(255, 255, 255)
        )
        self.start_marker.setZValue(6)
        self.contour_plot.addItem(self.start_marker)
        self.contour_plot.scene().sigMouseClicked.connect(self._on_plot_clicked)

        self.loss_plot = pg.PlotWidget()
        _name(self.loss_plot, "surfacePathLossPlot", "Loss along each path")
        themed(self.loss_plot)
        self.loss_plot.setLabel("bottom", "step")
        text = QApplication.palette().color(QPalette.ColorRole.Text)
        self.loss_legend = self.loss_plot.addLegend(offset=(-10, 10), labelTextColor=text)

        for name in self._infos:
            color = COLORS.get(name, QColor("gray"))
            curve = pg.PlotDataItem([], [], pen=pg.mkPen(color, width=2.5))
            curve.setZValue(3)
            head = pg.ScatterPlotItem(
                [], [], symbol="o", size=10, pen=pg.mkPen("k", width=1.5), brush=pg.mkBrush(color)
            )
            head.setZValue(4)
            self.contour_plot.addItem(curve)
            self.contour_plot.addItem(head)
            loss = pg.PlotDataItem([], [], pen=pg.mkPen(color, width=2))
            self.loss_plot.addItem(loss)
            self._curves[name], self._heads[name], self._loss_curves[name] = curve, head, loss

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(side)
        splitter.addWidget(self.contour_plot)
        splitter.addWidget(self.loss_plot)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([390, 600, 400])
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)
        self.contour_plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --------------------------------------------------------------------------------- public
    @property
    def surface(self):
        """The `trainers.surfaces.Surface` shown."""
        return self._surface

    @property
    def start(self) -> tuple[float, float]:
        """The start point of the paths."""
        return self._start

    @property
    def paths(self) -> dict:
        """Optimizer name -> `PathResult` of the paths on show (empty before any)."""
        return dict(self._paths)

    @property
    def current_step(self) -> int:
        """The step the animation shows (0 is the start)."""
        return self._step

    @property
    def is_playing(self) -> bool:
        return self.play_button.isChecked()

    @property
    def is_computing(self) -> bool:
        """True while the newest request for paths has not come back."""
        return self._pending

    def set_surface(self, name: str) -> None:
        """Show surface `name`; the start moves to its suggested start and paths are cleared."""
        index = self.surface_combo.findData(name)
        if index < 0:
            raise ValueError(f"Unknown surface {name!r}.")
        self.surface_combo.setCurrentIndex(index)

    def set_start(self, x: float, y: float, play: bool = False) -> None:
        """Start the paths at (x, y) and compute them; `play` animates them once ready."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        self._start = (float(x), float(y))
        self.start_marker.setData([self._start[0]], [self._start[1]])
        self.sig_start_changed.emit(*self._start)
        self._request_paths(play=play)

    def checked_optimizers(self) -> list[str]:
        """The names of the ticked optimizers, in list order."""
        return [
            name
            for name, item in self._items.items()
            if item.checkState(COLUMN_NAME) == Qt.CheckState.Checked
        ]

    def set_optimizers(self, names: Iterable[str]) -> None:
        """Tick exactly the optimizers in `names`."""
        wanted = set(names)
        for name, item in self._items.items():
            state = Qt.CheckState.Checked if name in wanted else Qt.CheckState.Unchecked
            item.setCheckState(COLUMN_NAME, state)

    def learning_rate(self, name: str) -> float:
        return self.rate_spins[name].value()

    def set_learning_rate(self, name: str, value: float) -> None:
        """Set optimizer `name`'s learning rate (paths already shown are computed again)."""
        self.rate_spins[name].setValue(float(value))

    def play(self) -> None:
        self.play_button.setChecked(True)

    def pause(self) -> None:
        self.play_button.setChecked(False)

    def step(self, count: int = 1) -> None:
        """Show `count` more steps of every path (none past the longest path)."""
        self._show_step(self._step + max(int(count), 0))

    def reset(self) -> None:
        """Pause and go back to the start point."""
        self.pause()
        self._show_step(0)

    def set_speed(self, index: int) -> None:
        """Slider position `index` (0 slowest) of the steps shown per frame."""
        self.speed_slider.setValue(index)

    def shutdown(self) -> None:
        """Stop the animation and the computing thread (the window calls it on close)."""
        self._timer.stop()
        self._recompute_timer.stop()
        self._worker.stop()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.shutdown()
        super().closeEvent(event)

    # ----------------------------------------------------------------------------------- slots
    def _on_surface_chosen(self, index: int) -> None:
        name = self.surface_combo.itemData(index)
        self._surface = self._surfaces.get_surface(name)
        self._start = self._surface.start
        self._show_surface()

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != COLUMN_NAME:
            return
        name = item.data(COLUMN_NAME, Qt.ItemDataRole.UserRole)
        checked = item.checkState(COLUMN_NAME) == Qt.CheckState.Checked
        self.rate_spins[name].setEnabled(checked)
        self._settings_changed()

    def _on_rate_changed(self, _value: float) -> None:
        self._settings_changed()

    def _on_recompute_due(self) -> None:
        self._request_paths(play=self.is_playing)

    def _on_plot_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        box = self.contour_plot.getPlotItem().getViewBox()
        if not box.sceneBoundingRect().contains(event.scenePos()):
            return
        point = box.mapSceneToView(event.scenePos())
        self.set_start(point.x(), point.y(), play=True)

    def _on_play_toggled(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if not playing:
            self._timer.stop()
            self._play_when_ready = False
            return
        if self._pending:
            self._play_when_ready = True
        elif not self._paths:
            self._request_paths(play=True)
        else:
            if self._step >= self._longest():
                self._show_step(0)  # at the end: play again from the start
            self._timer.start()

    def _on_step_clicked(self) -> None:
        self.pause()
        if not self._paths and not self._pending:
            self._request_paths(play=False)
            return
        self.step(1)

    def _on_reset_clicked(self) -> None:
        self.reset()

    def _on_speed_changed(self, index: int) -> None:
        per_frame = SPEEDS[index]
        self.speed_label.setText(f"{per_frame * 1000 // TICK_MS} steps/s")

    def _on_tick(self) -> None:
        self._show_step(self._step + SPEEDS[self.speed_slider.value()])
        if self._step >= self._longest():
            self.pause()

    def _on_paths_computed(self, request_id: int, results: dict) -> None:
        if request_id != self._request_id:
            return  # a newer request is on its way
        self._pending = False
        self._paths = {k: v for k, v in results.items() if not isinstance(v, str)}
        self._errors = {k: v for k, v in results.items() if isinstance(v, str)}
        self._update_loss_axis()
        self._update_legend_and_notes()
        self._show_step(0)
        self.sig_paths_ready.emit()
        if self._play_when_ready and self._paths:
            self._play_when_ready = False
            self.play_button.setChecked(True)
            self._timer.start()
        elif self._play_when_ready:
            self._play_when_ready = False
            self.pause()

    # -------------------------------------------------------------------------------- helpers
    def _settings_changed(self) -> None:
        for name, item in self._items.items():
            if name not in self.checked_optimizers():
                item.setText(COLUMN_RESULT, "")
        if self._requested_once:
            self._recompute_timer.start()

    def _configs(self) -> dict:
        return {
            name: {"learning_rate": self.rate_spins[name].value()}
            for name in self.checked_optimizers()
        }

    def _request_paths(self, play: bool) -> None:
        self._recompute_timer.stop()
        self._request_id += 1
        if not self.checked_optimizers():
            self._pending = False
            self._paths, self._errors = {}, {}
            self.pause()
            self._update_legend_and_notes()
            self._show_step(0)
            self.note_label.setText("Tick at least one optimizer to see its path.")
            return
        self._requested_once = True
        self._pending = True
        self._play_when_ready = play
        self._timer.stop()
        self.note_label.setText("Computing paths…")
        self._worker.request(
            self._request_id, self._surface, self._start, PATH_STEPS, self._configs()
        )

    def _show_surface(self) -> None:
        """Draw the current surface, forget the paths, and fill in its suggested rates."""
        surface = self._surface
        self._timer.stop()
        self._recompute_timer.stop()
        self.pause()
        self._request_id += 1  # results still on their way are for the old surface
        self._pending = False
        self._requested_once = False
        self._paths, self._errors = {}, {}
        self.formula_label.setText(surface.formula)
        self.lesson_label.setText(surface.lesson)
        for name, spin in self.rate_spins.items():
            spin.blockSignals(True)
            spin.setValue(surface.learning_rate(name))
            spin.blockSignals(False)
            self._items[name].setText(COLUMN_RESULT, "")

        xs, ys, values = surface.grid(GRID)
        shown = _display_values(values, surface.f_min)
        low, high = np.percentile(shown, [0.5, 99.5])
        self.image.setImage(shown, levels=(low, high), autoLevels=False)
        x0, x1 = surface.x_range
        y0, y1 = surface.y_range
        # Pixel centres on the grid points, so the map and the contour lines agree.
        dx, dy = (x1 - x0) / (GRID - 1), (y1 - y0) / (GRID - 1)
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        levels = np.linspace(low, high, CONTOUR_LEVELS + 2)[1:-1]
        pieces = [contour_segments(xs, ys, shown, level) for level in levels]
        self.contour_lines.setData(
            np.concatenate([p[0] for p in pieces]),
            np.concatenate([p[1] for p in pieces]),
            connect="pairs",
        )
        minima = np.array(surface.minima, dtype=float).reshape(-1, 2)
        self.minima_marker.setData(minima[:, 0], minima[:, 1])
        self.start_marker.setData([self._start[0]], [self._start[1]])
        self.contour_plot.setTitle(f"{surface.display_name}: click to start there")
        self.contour_plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._update_loss_axis()
        self._update_legend_and_notes()
        self._show_step(0)

    def _update_loss_axis(self) -> None:
        f_min = self._surface.f_min
        self.loss_plot.setLogMode(x=False, y=f_min is not None)
        if f_min is None:
            self.loss_plot.setLabel("left", "f(x, y)")
            self.loss_plot.setTitle("Loss along each path")
            _, _, values = self._surface.grid(60)
            self.loss_plot.enableAutoRange(axis="x")
            self.loss_plot.setYRange(float(values.min()), float(values.max()), padding=0.05)
        else:
            self.loss_plot.setLabel("left", "f − f_min (log scale)")
            self.loss_plot.setTitle("Loss along each path")
            self.loss_plot.enableAutoRange()

    def _update_legend_and_notes(self) -> None:
        self.loss_legend.clear()
        notes = []
        for name in self._infos:
            item = self._items[name]
            path = self._paths.get(name)
            display = self._infos[name].display_name
            if name in self._errors:
                item.setText(COLUMN_RESULT, "error")
                item.setToolTip(COLUMN_RESULT, self._errors[name])
                notes.append(f"{display}: {self._errors[name]}")
                continue
            if path is None:
                continue
            rate = path.hyperparameters["learning_rate"]
            label = f"{display}, η={rate:g}"
            if path.diverged:
                label += f" (diverged at step {path.diverged_at})"
                if self._surface.f_min is None:  # downhill for ever: no rate avoids it
                    advice = "this surface has no minimum to stop in."
                else:
                    advice = "try a smaller η."
                notes.append(f"{display} diverged at step {path.diverged_at}: {advice}")
            item.setToolTip(COLUMN_RESULT, "")
            self.loss_legend.addItem(self._loss_curves[name], label)
        if self._pending:
            return
        if not self._paths and not self._errors:
            self.note_label.setText("Click the map to start the paths there, or press Play.")
        else:
            self.note_label.setText("\n".join(notes))

    def _longest(self) -> int:
        return max((path.steps for path in self._paths.values()), default=0)

    def _show_step(self, step: int) -> None:
        step = max(0, min(step, self._longest()))
        self._step = step
        f_min = self._surface.f_min
        for name, curve in self._curves.items():
            path = self._paths.get(name)
            if path is None:
                curve.setData([], [])
                self._heads[name].setData([], [])
                self._loss_curves[name].setData([], [])
                continue
            shown = path.positions[: step + 1]
            self._items[name].setText(COLUMN_RESULT, _result_text(path, step))
            curve.setData(shown[:, 0], shown[:, 1])
            self._heads[name].setData([shown[-1, 0]], [shown[-1, 1]])
            losses = path.losses[: step + 1]
            if f_min is not None:
                losses = np.maximum(losses - f_min, LOSS_FLOOR)
            self._loss_curves[name].setData(np.arange(len(losses)), losses)
        self.step_label.setText(f"step {step} / {self._longest() or PATH_STEPS}")
        self.sig_step_changed.emit(step)


def contour_segments(
    xs: np.ndarray, ys: np.ndarray, values: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The contour line `values == level` as segments, by marching squares (vectorized).

    `values[i, j]` is the function at `(xs[i], ys[j])`. Returns `(x, y)` in which points `2k` and
    `2k + 1` are the ends of segment `k` (pyqtgraph's `connect="pairs"`). Each grid cell that the
    line crosses gives one segment, or two where it is crossed on all four edges.
    """
    v = np.asarray(values, dtype=np.float64) - level
    v00, v10, v01, v11 = v[:-1, :-1], v[1:, :-1], v[:-1, 1:], v[1:, 1:]
    x0, x1 = xs[:-1, None], xs[1:, None]  # each cell's corners, broadcast over the cells
    y0, y1 = ys[None, :-1], ys[None, 1:]

    def crossing(va, vb):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (va > 0) != (vb > 0), va / (va - vb)

    # The four edges of each cell, in the order bottom, right, top, left.
    edges = []
    valid, t = crossing(v00, v10)
    edges.append((valid, x0 + t * (x1 - x0), y0))
    valid, t = crossing(v10, v11)
    edges.append((valid, x1, y0 + t * (y1 - y0)))
    valid, t = crossing(v01, v11)
    edges.append((valid, x0 + t * (x1 - x0), y1))
    valid, t = crossing(v00, v01)
    edges.append((valid, x0, y0 + t * (y1 - y0)))
    valid = np.stack([e[0].ravel() for e in edges], axis=1)
    px = np.stack([np.broadcast_to(e[1], v00.shape).ravel() for e in edges], axis=1)
    py = np.stack([np.broadcast_to(e[2], v00.shape).ravel() for e in edges], axis=1)
    count = valid.sum(axis=1)
    # Crossed edges first, in edge order: a cell crossed four times pairs bottom with right and
    # top with left, one consistent choice for the ambiguous case.
    order = np.argsort(~valid, axis=1, kind="stable")
    px = np.take_along_axis(px, order, axis=1)
    py = np.take_along_axis(py, order, axis=1)
    first = count >= 2
    second = count == 4
    ends_x = [px[first, 0], px[first, 1], px[second, 2], px[second, 3]]
    ends_y = [py[first, 0], py[first, 1], py[second, 2], py[second, 3]]
    out_x = np.empty(2 * (first.sum() + second.sum()))
    out_y = np.empty_like(out_x)
    n = first.sum()
    out_x[0 : 2 * n : 2], out_x[1 : 2 * n : 2] = ends_x[0], ends_x[1]
    out_y[0 : 2 * n : 2], out_y[1 : 2 * n : 2] = ends_y[0], ends_y[1]
    out_x[2 * n :: 2], out_x[2 * n + 1 :: 2] = ends_x[2], ends_x[3]
    out_y[2 * n :: 2], out_y[2 * n + 1 :: 2] = ends_y[2], ends_y[3]
    return out_x, out_y


def _result_text(path, step: int) -> str:
    """The list's word on a path at `step`: its loss there, or where it diverged."""
    if path.diverged and step >= path.steps:
        return f"diverged at step {path.diverged_at}"
    return f"f = {path.losses[min(step, path.steps)]:.4g}"


def _display_values(values: np.ndarray, f_min: float | None) -> np.ndarray:
    """What the colour map shows: log10(f - f_min + small), or asinh(f) without a minimum."""
    if f_min is None:
        return np.arcsinh(values)
    above = np.maximum(values - f_min, 0.0)
    # The offset keeps the floor of a valley from being one flat colour of -inf.
    offset = max(1e-3 * float(np.median(above)), 1e-6)
    return np.log10(above + offset)


def _name(widget: QWidget, object_name: str, accessible: str) -> None:
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)


def _swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(color)
    return QIcon(pixmap)


def save_screenshot(
    path: str | Path,
    surface: str = "rosenbrock",
    optimizers: Iterable[str] = DEFAULT_OPTIMIZERS,
    steps: int = 300,
    size: tuple[int, int] = (1400, 760),
    timeout_s: float = 60.0,
) -> Path:
    """Render `surface` with `optimizers`' paths after `steps` animated steps into PNG `path`."""
    from PySide6.QtCore import QEventLoop

    app = QApplication.instance() or QApplication([])
    view = SurfaceView()
    try:
        view.resize(*size)
        view.set_surface(surface)
        view.set_optimizers(optimizers)
        view.show()
        loop = QEventLoop()
        view.sig_paths_ready.connect(loop.quit)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        view.set_start(*view.surface.start)
        loop.exec()
        if not view.paths:
            raise RuntimeError("the paths were not computed in time")
        for _ in range(steps):  # one frame per step, as the Step button would
            view.step(1)
        app.processEvents()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not view.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        return path
    finally:
        view.close()
        view.deleteLater()
