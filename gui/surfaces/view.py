"""The "Loss surfaces" tab: pick a surface, click a start, watch each optimizer's path grow.

The contour map shows log(f - f_min) (the saddle, which has no minimum, shows asinh(f)) with
contour lines, the known minima and the start point. Each ticked optimizer runs from that start
with its own learning rate; a `PathWorker` computes the paths whole, off the UI thread, and a
QTimer then animates them, the loss of each path growing beside the map.

Building a `SurfaceView` imports TensorFlow (the engine), so the main window builds it once the
training worker reports the engine ready.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.plots import legend_only_with_room, retitle, themed
from gui.surfaces.drawing import LOSS_FLOOR, divergence_note, legend_label, path_color, result_text
from gui.surfaces.optimizer_list import COLUMN_NAME, COLUMN_RESULT, PathOptimizerList
from gui.surfaces.path_worker import PathWorker
from gui.surfaces.surface_map import SurfaceMap
from gui.widgets import named
from gui.widgets.forms import camel

PATH_STEPS = 500
TICK_MS = 40  # 25 frames a second
SPEEDS = (1, 2, 3, 5, 8, 12, 20, 30, 50)  # steps per frame, one per slider position
DEFAULT_SPEED_INDEX = 3
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
RECOMPUTE_DELAY_MS = 300  # wait for a spin box to settle before computing again
SHORTCUTS = (
    ("play_button", "Play or pause the paths", "P"),
    ("step_button", "Step every path once", "S"),
    ("reset_button", "Back to the start point", "R"),
)
"""The tab's keys: each clicks its button, while the tab is shown (Help lists them)."""


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
        named(self, "surfaceView", "Optimizer paths on 2-D surfaces")

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

        self._worker = PathWorker(self)
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
        self._add_shortcuts()
        self._show_surface()

    # ------------------------------------------------------------------------------- building
    def _build(self) -> None:
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)

        self.surface_combo = QComboBox()
        named(self.surface_combo, "surfaceCombo", "Test surface")
        for surface in self._surfaces.SURFACES:
            self.surface_combo.addItem(surface.display_name, surface.name)
        self.surface_combo.currentIndexChanged.connect(self._on_surface_chosen)
        side_layout.addWidget(QLabel("Surface"))
        side_layout.addWidget(self.surface_combo)

        self.formula_label = QLabel()
        named(self.formula_label, "surfaceFormula", "Surface formula")
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lesson_label = QLabel()
        named(self.lesson_label, "surfaceLesson", "What this surface teaches")
        self.lesson_label.setWordWrap(True)
        side_layout.addWidget(self.formula_label)
        side_layout.addWidget(self.lesson_label)

        self.optimizer_list = PathOptimizerList(self._infos, DEFAULT_OPTIMIZERS)
        self._items = self.optimizer_list.items
        self.rate_spins = self.optimizer_list.rate_spins
        for spin in self.rate_spins.values():
            spin.valueChanged.connect(self._on_rate_changed)
        self.optimizer_list.itemChanged.connect(self._on_item_changed)
        side_layout.addWidget(self.optimizer_list, 1)

        self.note_label = QLabel()
        named(self.note_label, "surfaceNote", "Path notes")
        self.note_label.setWordWrap(True)
        side_layout.addWidget(self.note_label)

        controls = QGridLayout()
        self.play_button = QPushButton("Play")
        named(self.play_button, "surfacePlayButton", "Play or pause the paths")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.step_button = QPushButton("Step")
        named(self.step_button, "surfaceStepButton", "Advance every path by one step")
        self.step_button.clicked.connect(self._on_step_clicked)
        self.reset_button = QPushButton("Reset")
        named(self.reset_button, "surfaceResetButton", "Back to the start point")
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        named(self.speed_slider, "surfaceSpeedSlider", "Animation speed")
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setValue(DEFAULT_SPEED_INDEX)
        self.speed_slider.setPageStep(1)
        self.speed_slider.valueChanged.connect(self._on_speed_changed)
        self.speed_label = QLabel()
        self.step_label = QLabel()
        named(self.step_label, "surfaceStepLabel", "Step shown")
        controls.addWidget(self.play_button, 0, 0)
        controls.addWidget(self.step_button, 0, 1)
        controls.addWidget(self.reset_button, 0, 2)
        controls.addWidget(QLabel("Speed"), 1, 0)
        controls.addWidget(self.speed_slider, 1, 1, 1, 2)
        controls.addWidget(self.speed_label, 2, 0)
        controls.addWidget(self.step_label, 2, 1, 1, 2)
        side_layout.addLayout(controls)
        self._on_speed_changed(self.speed_slider.value())

        self.contour_plot = SurfaceMap()
        self.image = self.contour_plot.image
        self.contour_lines = self.contour_plot.contour_lines
        self.minima_marker = self.contour_plot.minima_marker
        self.start_marker = self.contour_plot.start_marker
        self.contour_plot.scene().sigMouseClicked.connect(self._on_plot_clicked)

        self.loss_plot = pg.PlotWidget()
        named(self.loss_plot, "surfacePathLossPlot", "Loss along each path")
        themed(self.loss_plot)
        self.loss_plot.setLabel("bottom", "step")
        text = QApplication.palette().color(QPalette.ColorRole.Text)
        self.loss_legend = self.loss_plot.addLegend(offset=(-10, 10), labelTextColor=text)
        # The list of optimizers beside the map names every colour; in a small loss plot (a
        # 1024x700 window) the legend would cover the curves.
        legend_only_with_room(self.loss_plot, self.loss_legend, 420, 240)

        for name in self._infos:
            color = path_color(name)
            curve, head = self.contour_plot.add_path(color)
            loss = pg.PlotDataItem([], [], pen=pg.mkPen(color, width=2))
            self.loss_plot.addItem(loss)
            self._curves[name], self._heads[name], self._loss_curves[name] = curve, head, loss

        # The map above the loss along the paths: side by side, a 1024-pixel window left the
        # map a 150-pixel sliver and the loss plot none.
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.contour_plot)
        plots.addWidget(self.loss_plot)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 1)
        plots.setSizes([600, 220])
        self.contour_plot.setMinimumSize(240, 200)
        self.loss_plot.setMinimumHeight(140)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(side)
        splitter.addWidget(plots)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 800])
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)
        self.contour_plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def _add_shortcuts(self) -> None:
        for button, text, key in SHORTCUTS:
            action = QAction(text, self)
            action.setObjectName(f"{camel(button)}Action")
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(getattr(self, button).click)
            self.addAction(action)  # a window shortcut, live only while this tab is visible
            getattr(self, button).setToolTip(f"{text} ({key})")

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
        self.contour_plot.show_start(*self._start)
        self.sig_start_changed.emit(*self._start)
        self._request_paths(play=play)

    def checked_optimizers(self) -> list[str]:
        """The names of the ticked optimizers, in list order."""
        return self.optimizer_list.checked()

    def set_optimizers(self, names: Iterable[str]) -> None:
        """Tick exactly the optimizers in `names`."""
        self.optimizer_list.set_checked(names)

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

        self.contour_plot.show_surface(surface, self._start)
        self._update_loss_axis()
        self._update_legend_and_notes()
        self._show_step(0)

    def _update_loss_axis(self) -> None:
        f_min = self._surface.f_min
        self.loss_plot.setLogMode(x=False, y=f_min is not None)
        if f_min is None:
            self.loss_plot.setLabel("left", "f(x, y)")
            retitle(self.loss_plot, "Loss along each path")
            _, _, values = self._surface.grid(60)
            self.loss_plot.enableAutoRange(axis="x")
            self.loss_plot.setYRange(float(values.min()), float(values.max()), padding=0.05)
        else:
            self.loss_plot.setLabel("left", "f − f_min (log scale)")
            retitle(self.loss_plot, "Loss along each path")
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
            note = divergence_note(display, path, self._surface.f_min is not None)
            if note is not None:
                notes.append(note)
            item.setToolTip(COLUMN_RESULT, "")
            self.loss_legend.addItem(self._loss_curves[name], legend_label(display, path))
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
            self._items[name].setText(COLUMN_RESULT, result_text(path, step))
            curve.setData(shown[:, 0], shown[:, 1])
            self._heads[name].setData([shown[-1, 0]], [shown[-1, 1]])
            losses = path.losses[: step + 1]
            if f_min is not None:
                losses = np.maximum(losses - f_min, LOSS_FLOOR)
            self._loss_curves[name].setData(np.arange(len(losses)), losses)
        self.step_label.setText(f"step {step} / {self._longest() or PATH_STEPS}")
        self.sig_step_changed.emit(step)
