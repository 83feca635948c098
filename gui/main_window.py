"""The main window: a side panel of choices, live plots, and the one training worker.

The window is up before TensorFlow: the worker imports the engine on its own thread and the
side panel is filled from the engine's catalog when `sig_ready` arrives ("Preparing
TensorFlow..." until then). From then on a form becomes a `RunConfig`, the worker trains it,
and its signals feed the plots, which redraw from a 10 Hz timer.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QFont, QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.forms import ParamForm
from gui.worker import EngineThread, TrainingWorker

# 10 Hz: smooth enough for a curve that grows, and each frame's CPU is taken from training on a
# two-core machine (25 Hz cost the engine a third of its speed: bench/bench_throughput.py).
REDRAW_INTERVAL_MS = 100
STARTUP_FALLBACK_MS = 1000  # a window that is never painted still starts its engine
KIND_TITLES = {
    "generated": "Generated (2-D and 1-D)",
    "scikit-learn": "Real data (scikit-learn)",
    "keras": "Keras datasets (cache)",
}
VARIANTS = (
    ("minibatch", "Mini-batch gradient descent"),
    ("batch", "Batch gradient descent (all samples)"),
    ("stochastic", "Stochastic gradient descent (1 sample)"),
)
SEVERITY_STYLE = {
    "info": "background: rgba(40, 120, 220, 40); border: 1px solid rgba(40, 120, 220, 120);",
    "warning": "background: rgba(230, 160, 20, 60); border: 1px solid rgba(230, 160, 20, 160);",
    "error": "background: rgba(220, 50, 50, 50); border: 1px solid rgba(220, 50, 50, 160);",
}


def _named(widget, object_name: str, accessible: str):
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    return widget


class MainWindow(QMainWindow):
    """Descent's main window. `MainWindow()` needs no arguments."""

    sig_ready = Signal()
    """The engine is loaded and the side panel is filled: training can start."""
    sig_run_finished = Signal(str)
    """A run ended: its status (completed, stopped, diverged, failed)."""

    def __init__(self, settings: QSettings | None = None, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings("Descent", "Descent")
        self.setWindowTitle("Descent")
        self.setMinimumSize(1000, 640)
        self.catalog = None
        self.ready = False
        self.running = False
        self.device = ""
        self.task = "binary"
        self.last_result = None
        self.run_info = None
        self.run_started = 0.0
        self._progress_step: int | None = None  # newest step received, shown by the next frame
        self.file_datasets: list[str] = []
        self._build_ui()
        self._build_menus()
        self._restore_geometry()
        self._set_controls_enabled(False)
        self.show_message("Preparing TensorFlow...", "info")
        self._start_worker()
        self.redraw_timer = QTimer(self)
        self._last_redrawn = -1  # index of the plot the last frame redrew (_on_redraw)
        self.redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self.redraw_timer.timeout.connect(self._on_redraw)
        # The window is painted first; then the plots are built (pyqtgraph takes ~0.5 s to
        # import) and the engine thread starts importing TensorFlow. Started earlier, both
        # delayed the first paint (bench/bench_startup.py). A window never shown (a script, a
        # test) gets the same a moment later.
        self._startup_done = False
        QTimer.singleShot(STARTUP_FALLBACK_MS, self, self._finish_startup)

    # =================================================================================== UI
    def _build_ui(self) -> None:
        splitter = _named(QSplitter(Qt.Orientation.Horizontal), "mainSplitter", "Main splitter")
        self.splitter = splitter
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self._dataset_group())
        side_layout.addWidget(self._model_group())
        side_layout.addWidget(self._loss_group())
        side_layout.addWidget(self._optimizer_group())
        side_layout.addWidget(self._training_group())
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(380)
        self.side_panel = side

        controls = QWidget()
        controls_layout = QVBoxLayout(controls)
        controls_layout.setContentsMargins(0, 0, 0, 0)
        controls_layout.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        self.train_button = _named(QPushButton("Train"), "trainButton", "Train")
        self.train_button.setToolTip("Start training (Ctrl+Return)")
        self.pause_button = _named(QPushButton("Pause"), "pauseButton", "Pause or resume")
        self.pause_button.setCheckable(True)
        self.stop_button = _named(QPushButton("Stop"), "stopButton", "Stop")
        self.stop_button.setToolTip("Stop training (Esc)")
        for b in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        controls_layout.addLayout(buttons)
        self.progress = _named(QProgressBar(), "progressBar", "Training progress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("Not started")
        self.progress.setValue(0)
        controls_layout.addWidget(self.progress)
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.stop_button.clicked.connect(self.stop_training)
        self.pause_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        splitter.addWidget(controls)

        plots = QWidget()
        plots_layout = QVBoxLayout(plots)
        plots_layout.setContentsMargins(4, 0, 0, 0)
        self.message_frame = _named(QFrame(), "messageFrame", "Message")
        message_layout = QHBoxLayout(self.message_frame)
        message_layout.setContentsMargins(8, 4, 4, 4)
        self.message_label = _named(QLabel(), "messageLabel", "Message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = _named(QToolButton(), "messageCloseButton", "Dismiss message")
        close.setText("\u2715")
        close.clicked.connect(self.message_frame.hide)
        message_layout.addWidget(self.message_label, 1)
        message_layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        plots_layout.addWidget(self.message_frame)

        plot_controls = QHBoxLayout()
        self.log_check = _named(QCheckBox("Log scale"), "logScaleCheck", "Logarithmic loss axis")
        self.log_check.toggled.connect(self._on_log_toggled)
        plot_controls.addWidget(self.log_check)
        plot_controls.addSpacing(16)
        plot_controls.addWidget(QLabel("Smoothing"))
        self.smoothing_slider = _named(
            QSlider(Qt.Orientation.Horizontal), "smoothingSlider", "Smoothing of the step loss"
        )
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setValue(90)
        self.smoothing_slider.setMaximumWidth(200)
        self.smoothing_slider.setToolTip("How strongly the bold line averages the step losses")
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        plot_controls.addWidget(self.smoothing_slider)
        plot_controls.addStretch(1)
        self.run_label = _named(QLabel(""), "runLabel", "Run description")
        plot_controls.addWidget(self.run_label)
        plots_layout.addLayout(plot_controls)

        # The plots themselves are made by _build_plots(), after the first paint.
        self.step_plot = self.epoch_plot = self.metric_plot = None
        self.inside_view = self.boundary_plot = None
        self.explanation = _named(QTextBrowser(), "explanationView", "About this optimizer")
        self.explanation.setOpenExternalLinks(False)
        self.training_split = QSplitter(Qt.Orientation.Horizontal)
        self.training_split.addWidget(self.explanation)
        self.view_tabs = _named(QTabWidget(), "viewTabs", "Views")
        self.view_tabs.addTab(self.training_split, "Training")
        self.surface_view = None
        self.compare_view = None
        self.comparing = False
        plots_layout.addWidget(self.view_tabs, 1)
        splitter.addWidget(plots)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 880])
        self.setCentralWidget(splitter)

        self.status_label = _named(QLabel("Starting..."), "statusLabel", "Status")
        self.device_label = _named(QLabel(""), "deviceLabel", "Training device")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.device_label)

        QShortcut(QKeySequence("Ctrl+Return"), self, self.start_training)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.start_training)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop_training)

    def _build_plots(self) -> None:
        """The plot area: step, epoch and metric plots, and the optimizer and boundary views."""
        from gui.inspect_views import DecisionBoundaryPlot, OptimizerInsideView
        from gui.plots import EpochPlot, StepLossPlot

        self.step_plot = StepLossPlot()
        self.epoch_plot = EpochPlot("epochLossPlot", "Loss by epoch", "loss")
        self.metric_plot = EpochPlot("metricPlot", "Accuracy by epoch", "accuracy")
        self.step_plot.set_smoothing(self.smoothing_slider.value() / 100.0)
        self._on_log_toggled(self.log_check.isChecked())
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(self.step_plot)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.epoch_plot)
        bottom.addWidget(self.metric_plot)
        vertical.addWidget(bottom)
        vertical.setSizes([400, 260])
        self.training_split.insertWidget(0, vertical)
        self.training_split.setStretchFactor(0, 1)
        self.training_split.setSizes([900, 300])
        self.inside_view = OptimizerInsideView()
        self.boundary_plot = DecisionBoundaryPlot()
        self.view_tabs.addTab(self.inside_view, "Inside the optimizer")
        self.view_tabs.addTab(self.boundary_plot, "Decision boundary")

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        if not self._startup_done:
            QTimer.singleShot(0, self, self._finish_startup)  # once this paint is on screen

    @Slot()
    def _finish_startup(self) -> None:
        """After the first paint: build the plots, then start the engine thread."""
        if self._startup_done:
            return
        self._startup_done = True
        self._build_plots()
        self.redraw_timer.start()
        self.worker_thread.start()

    def _dataset_group(self) -> QGroupBox:
        group = QGroupBox("Dataset")
        layout = QVBoxLayout(group)
        row = QHBoxLayout()
        self.dataset_combo = _named(QComboBox(), "datasetCombo", "Dataset")
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_changed)
        self.open_button = _named(QPushButton("Open..."), "openFileButton", "Open data file")
        self.open_button.setToolTip("A CSV, an NPZ with x and y, or a folder of class folders")
        open_menu = QMenu(self.open_button)
        open_menu.addAction("CSV or NPZ file...", self._on_open_file)
        open_menu.addAction("Folder of images...", self._on_open_folder)
        self.open_button.setMenu(open_menu)
        row.addWidget(self.dataset_combo, 1)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        target_row = QHBoxLayout()
        self.target_label = QLabel("Target column")
        self.target_combo = _named(QComboBox(), "targetCombo", "Target column")
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        self.target_label.setBuddy(self.target_combo)
        target_row.addWidget(self.target_label)
        target_row.addWidget(self.target_combo, 1)
        layout.addLayout(target_row)
        self.dataset_form = ParamForm()
        self.dataset_form.sig_changed.connect(self._request_dataset_description)
        layout.addWidget(self.dataset_form)
        self.dataset_summary = _named(QLabel(""), "datasetSummary", "Dataset summary")
        self.dataset_summary.setWordWrap(True)
        layout.addWidget(self.dataset_summary)
        self._show_target_row(False)
        return group

    def _model_group(self) -> QGroupBox:
        group = QGroupBox("Model")
        form = QFormLayout(group)
        self.hidden_edit = _named(QLineEdit("16, 16"), "hiddenLayersEdit", "Hidden layers")
        self.hidden_edit.setToolTip("Units of each hidden layer, e.g. 32, 32 (empty: none)")
        form.addRow("Hidden layers", self.hidden_edit)
        self.activation_combo = _named(QComboBox(), "activationCombo", "Activation")
        form.addRow("Activation", self.activation_combo)
        row = QHBoxLayout()
        self.load_model_button = _named(
            QPushButton("Load .keras model..."), "loadModelButton", "Load Keras model"
        )
        self.load_model_button.clicked.connect(self._on_load_model)
        self.clear_model_button = _named(QToolButton(), "clearModelButton", "Use default model")
        self.clear_model_button.setText("\u2715")
        self.clear_model_button.setToolTip("Back to the default model")
        self.clear_model_button.clicked.connect(lambda: self._set_model_path(None))
        row.addWidget(self.load_model_button, 1)
        row.addWidget(self.clear_model_button)
        form.addRow(row)
        self.model_path = None
        self.model_label = _named(QLabel(""), "modelLabel", "Loaded model")
        self.model_label.setWordWrap(True)
        form.addRow(self.model_label)
        self._set_model_path(None)
        return group

    def _loss_group(self) -> QGroupBox:
        group = QGroupBox("Loss")
        layout = QVBoxLayout(group)
        self.loss_combo = _named(QComboBox(), "lossCombo", "Loss")
        self.loss_combo.currentIndexChanged.connect(self._on_loss_changed)
        layout.addWidget(self.loss_combo)
        self.loss_form = ParamForm()
        layout.addWidget(self.loss_form)
        self.loss_equation = _named(QLabel(""), "lossEquation", "Loss formula")
        self.loss_equation.setWordWrap(True)
        self.loss_equation.setFont(self._mono())
        layout.addWidget(self.loss_equation)
        return group

    def _optimizer_group(self) -> QGroupBox:
        group = QGroupBox("Optimizer")
        layout = QVBoxLayout(group)
        self.optimizer_combo = _named(QComboBox(), "optimizerCombo", "Optimizer")
        self.optimizer_combo.currentIndexChanged.connect(self._on_optimizer_changed)
        layout.addWidget(self.optimizer_combo)
        self.optimizer_form = ParamForm()
        self.optimizer_form.sig_changed.connect(self._update_equation)
        layout.addWidget(self.optimizer_form)
        self.equation_label = _named(QLabel(""), "equationLabel", "Update rule")
        self.equation_label.setFont(self._mono())
        self.equation_label.setWordWrap(True)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.equation_label)
        self.optimizer_summary = _named(QLabel(""), "optimizerSummary", "About the optimizer")
        self.optimizer_summary.setWordWrap(True)
        layout.addWidget(self.optimizer_summary)
        return group

    def _training_group(self) -> QGroupBox:
        group = QGroupBox("Training")
        form = QFormLayout(group)
        self.epochs_spin = _named(QSpinBox(), "epochsSpin", "Epochs")
        self.epochs_spin.setRange(1, 100_000)
        self.epochs_spin.setValue(30)
        form.addRow("Epochs", self.epochs_spin)
        self.variant_combo = _named(QComboBox(), "variantCombo", "Gradient descent variant")
        for key, text in VARIANTS:
            self.variant_combo.addItem(text, key)
        self.variant_combo.setToolTip(
            "Batch: one update per epoch over all samples (smooth). Stochastic: one update per "
            "sample (noisy). Mini-batch: in between."
        )
        self.variant_combo.currentIndexChanged.connect(self._on_variant_changed)
        form.addRow("Variant", self.variant_combo)
        self.batch_spin = _named(QSpinBox(), "batchSizeSpin", "Batch size")
        self.batch_spin.setRange(1, 1_000_000)
        self.batch_spin.setValue(32)
        form.addRow("Batch size", self.batch_spin)
        self.schedule_combo = _named(QComboBox(), "scheduleCombo", "Learning-rate schedule")
        form.addRow("LR schedule", self.schedule_combo)
        self.seed_spin = _named(QSpinBox(), "seedSpin", "Seed")
        self.seed_spin.setRange(0, 2**31 - 1)
        form.addRow("Seed", self.seed_spin)
        self.validation_spin = _named(QDoubleSpinBox(), "validationSpin", "Validation fraction")
        self.validation_spin.setRange(0.0, 0.9)
        self.validation_spin.setSingleStep(0.05)
        self.validation_spin.setValue(0.2)
        form.addRow("Validation", self.validation_spin)
        # Enabled in _on_ready once the engine has said whether TensorFlow sees a GPU.
        self.gpus_check = _named(QCheckBox("Use all GPUs"), "allGpusCheck", "Use all GPUs")
        self.gpus_check.setEnabled(False)
        self.gpus_check.setToolTip("Waiting for TensorFlow to list the GPUs...")
        form.addRow("", self.gpus_check)
        return group

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open data file...", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self._on_open_file)
        file_menu.addAction(open_action)
        open_folder = QAction("Open image &folder...", self)
        open_folder.triggered.connect(self._on_open_folder)
        file_menu.addAction(open_folder)
        self.save_action = QAction("&Save run...", self)
        self.save_action.setObjectName("saveRunAction")
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setEnabled(False)
        self.save_action.triggered.connect(self._on_save_run)
        file_menu.addAction(self.save_action)
        from gui.exports import RunExports  # the Export submenu: CSV, PNG/SVG, TOML, TensorBoard

        self.exports = RunExports(self, file_menu)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Descent", self)
        about.triggered.connect(self._on_about)
        help_menu.addAction(about)

    @staticmethod
    def _mono() -> QFont:
        return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    # =============================================================================== worker
    def _start_worker(self) -> None:
        self.worker = TrainingWorker()
        # The worker object stays on the UI thread (it has no slots); its jobs run on the engine
        # thread, and signals emitted there reach the window queued.
        self.worker_thread = EngineThread(self.worker, self)
        self.worker.sig_ready.connect(self._on_ready)
        self.worker.sig_status.connect(self._on_status)
        self.worker.sig_dataset.connect(self._on_dataset_described)
        self.worker.sig_started.connect(self._on_run_started)
        self.worker.sig_steps.connect(self._on_steps)
        self.worker.sig_epoch.connect(self._on_epoch)
        self.worker.sig_optimizer_steps.connect(self._on_optimizer_steps)
        self.worker.sig_boundary.connect(self._on_boundary)
        self.worker.sig_finished.connect(self._on_run_finished)
        self.worker.sig_failed.connect(self._on_run_failed)
        self.worker.sig_saved.connect(self._on_saved)

    @Slot(str)
    def _on_ready(self, device: str) -> None:
        from trainers import catalog
        from trainers.config import ACTIVATIONS, SCHEDULES

        self.catalog = catalog
        self.device = device
        self.device_label.setText(device)
        has_gpu = device.startswith("GPU")  # trainers.session.device_description()
        self.gpus_check.setEnabled(has_gpu)
        self.gpus_check.setToolTip(
            "Train on every GPU at once (tf.distribute.MirroredStrategy): each takes an equal "
            "share of every batch, so use a batch size that divides between them."
            if has_gpu
            else "TensorFlow sees no GPU on this machine, so runs train on the CPU. Install "
            "the GPU build of TensorFlow and its drivers to use GPUs."
        )
        combo = self.dataset_combo
        combo.blockSignals(True)
        for kind, title in KIND_TITLES.items():
            combo.addItem(title)
            header = combo.model().item(combo.count() - 1)
            header.setEnabled(False)
            font = header.font()
            font.setBold(True)
            header.setFont(font)
            for info in catalog.DATASETS:
                if info.kind == kind:
                    combo.addItem(f"   {info.display_name}", ("builtin", info.name))
                    combo.setItemData(
                        combo.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole
                    )
        combo.blockSignals(False)
        self.activation_combo.addItems(list(ACTIVATIONS))
        self.schedule_combo.addItems(list(SCHEDULES))
        self.optimizer_combo.blockSignals(True)
        for info in catalog.OPTIMIZERS:
            self.optimizer_combo.addItem(info.display_name, info.name)
        self.optimizer_combo.blockSignals(False)
        from gui.compare_view import CompareView
        from gui.surface_view import SurfaceView

        self.compare_view = CompareView(self.worker, self.build_config)
        self.compare_view.sig_comparison_started.connect(lambda _: self._set_comparing(True))
        self.compare_view.sig_comparison_finished.connect(lambda _: self._set_comparing(False))
        self.view_tabs.addTab(self.compare_view, "Compare")
        self.surface_view = SurfaceView()
        self.view_tabs.addTab(self.surface_view, "Loss surfaces")
        from gui.runs_view import RunsView

        self.runs_view = RunsView(self.worker, self.settings)  # the run library (trainers.runs)
        self.view_tabs.addTab(self.runs_view, "Runs")
        self.ready = True
        self._restore_choices()
        self._set_controls_enabled(True)
        self.message_frame.hide()
        self._on_status(f"Ready to train on {device}")
        self.sig_ready.emit()

    # ============================================================================== choices
    def _current_dataset(self) -> tuple[str, str] | None:
        return self.dataset_combo.currentData()

    def select_dataset(self, name: str) -> bool:
        """Select a built-in dataset by name or a file already opened; True when found."""
        for i in range(self.dataset_combo.count()):
            data = self.dataset_combo.itemData(i)
            if data and data[1] == name:
                self.dataset_combo.setCurrentIndex(i)
                return True
        return False

    def select_by_data(self, combo: QComboBox, value: str) -> bool:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)
        return index >= 0

    @Slot()
    def _on_dataset_changed(self, *_):
        data = self._current_dataset()
        if not data or self.catalog is None:
            return
        kind, name = data
        if kind == "builtin":
            info = self.catalog.dataset_info(name)
            self.dataset_form.set_params(info.params, info.display_name)
            self.dataset_summary.setText(f"{info.description} · {info.task}")
            self._show_target_row(False)
            self._set_task(info.task)
        else:
            self.dataset_form.set_params((), "")
            self.dataset_summary.setText(f"{Path(name).name}: reading...")
            is_csv = name.lower().endswith(".csv")
            self._show_target_row(is_csv)
            if is_csv:
                self._fill_target_columns(name)
        self._request_dataset_description()

    def _show_target_row(self, visible: bool) -> None:
        self.target_label.setVisible(visible)
        self.target_combo.setVisible(visible)

    def _fill_target_columns(self, path: str) -> None:
        from trainers.datasets import csv_columns
        from trainers.errors import DescentError

        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        try:
            columns = csv_columns(path)
        except DescentError as exc:
            self.show_message(str(exc), "error")
            columns = []
        self.target_combo.addItems(columns)
        if columns:
            self.target_combo.setCurrentIndex(len(columns) - 1)
        self.target_combo.blockSignals(False)

    @Slot()
    def _on_target_changed(self, *_):
        self._request_dataset_description()

    def _dataset_request(self) -> dict | None:
        data = self._current_dataset()
        if not data:
            return None
        request = {
            "dataset": data[1],
            "options": self.dataset_form.values(),
            "seed": self.seed_spin.value(),
            "validation_split": self.validation_spin.value(),
        }
        if data[0] == "file" and self.target_combo.isVisible() and self.target_combo.count():
            request["target"] = self.target_combo.currentText()
        return request

    @Slot()
    def _request_dataset_description(self, *_):
        request = self._dataset_request()
        if request is None or not self.ready:
            return
        self._pending_description = request
        self.worker.request_describe(request)

    @Slot(object)
    def _on_dataset_described(self, description: dict) -> None:
        if description.get("request") != getattr(self, "_pending_description", None):
            return  # an answer to an older request
        if "error" in description:
            self.dataset_summary.setText("Cannot load this dataset: see the message above.")
            self.show_message(description["error"], "error")
            return
        self.dataset_summary.setText(description["summary"])
        self._set_task(description["task"])

    def _set_task(self, task: str) -> None:
        """Show only the losses that fit `task`, keeping the current one when it fits."""
        self.task = task
        current = self.loss_combo.currentData()
        self.loss_combo.blockSignals(True)
        self.loss_combo.clear()
        for info in self.catalog.losses_for(task):
            self.loss_combo.addItem(info.display_name, info.name)
        index = self.loss_combo.findData(current)
        if index < 0:
            index = self.loss_combo.findData(self.catalog.DEFAULT_LOSS[task])
        self.loss_combo.setCurrentIndex(max(index, 0))
        self.loss_combo.blockSignals(False)
        self._on_loss_changed()
        metric = "mean absolute error" if task == "regression" else "accuracy"
        from gui.plots import place_legend

        self.metric_plot.setTitle(f"{metric.capitalize()} by epoch")
        self.metric_plot.set_ylabel(metric)
        # Accuracy climbs to the top of its plot and an error falls to the bottom: keep the
        # legend out of the curves' way.
        place_legend(
            self.metric_plot.legend, "top-right" if task == "regression" else "bottom-right"
        )

    @Slot()
    def _on_loss_changed(self, *_):
        name = self.loss_combo.currentData()
        if not name or self.catalog is None:
            return
        info = self.catalog.loss_info(name)
        self.loss_form.set_params(info.params, info.display_name)
        self.loss_equation.setText(f"{info.equation}\n{info.summary}")
        self._update_explanation()

    @Slot()
    def _on_optimizer_changed(self, *_):
        name = self.optimizer_combo.currentData()
        if not name or self.catalog is None:
            return
        info = self.catalog.optimizer_info(name)
        self.optimizer_form.set_params(info.params, info.display_name)
        remembered = self.settings.value(f"form/hyper/{name}")
        if remembered:
            try:
                self.optimizer_form.set_values(json.loads(remembered))
            except (TypeError, ValueError):
                pass
        self.optimizer_summary.setText(info.summary)
        self._update_equation()
        self._update_explanation()

    def _update_explanation(self) -> None:
        """The student's page for the chosen optimizer and loss, beside the curves."""
        from assets import explanation

        parts = [
            explanation(name)
            for name in (self.optimizer_combo.currentData(), self.loss_combo.currentData())
            if name
        ]
        self.explanation.setMarkdown("\n\n".join(parts))

    @Slot()
    def _update_equation(self, *_):
        name = self.optimizer_combo.currentData()
        if not name or self.catalog is None:
            return
        info = self.catalog.optimizer_info(name)
        text = info.equation
        values = self.optimizer_form.values()
        if "ewma" in values:
            if values["ewma"]:
                note = "Form in use: v is an average of gradients (EQUATIONS.md)."
            else:
                # The heavy-ball form of Keras's and PyTorch's SGD(momentum=...).
                text = text.replace("(1 - beta) * g", "g")
                note = "Form in use: heavy-ball, v <- beta * v + g, as Keras and PyTorch."
            text = f"{text}\n{note}"
        self.equation_label.setText(text)

    @Slot()
    def _on_variant_changed(self, *_):
        self.batch_spin.setEnabled(
            self.variant_combo.currentData() == "minibatch" and not self.running
        )

    def _set_model_path(self, path: str | None) -> None:
        self.model_path = path
        self.clear_model_button.setVisible(path is not None)
        self.hidden_edit.setEnabled(path is None)
        self.activation_combo.setEnabled(path is None)
        self.model_label.setText(
            f"Training {Path(path).name} (loaded in safe mode)" if path else ""
        )
        self.model_label.setVisible(path is not None)

    @Slot()
    def _on_load_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a Keras model", "", "Keras (*.keras)")
        if path:
            self._set_model_path(path)

    @Slot()
    def _on_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a data file", "", "Data (*.csv *.npz);;All files (*)"
        )
        if path:
            self.open_dataset_file(path)

    @Slot()
    def _on_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Open a folder of images (one sub-folder per class)"
        )
        if folder:
            self.open_dataset_file(folder)

    def open_dataset_file(self, path: str) -> None:
        """Add a user file or image folder to the dataset combo and select it."""
        path = str(path)
        if not self.select_dataset(path):
            self.dataset_combo.addItem(f"\U0001f4c4 {Path(path).name}", ("file", path))
            self.dataset_combo.setItemData(
                self.dataset_combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole
            )
            self.dataset_combo.setCurrentIndex(self.dataset_combo.count() - 1)

    # ================================================================================ runs
    def build_config(self):
        """The RunConfig the form describes (not yet validated)."""
        from trainers.config import RunConfig

        data = self._current_dataset()
        variant = self.variant_combo.currentData()
        batch = {"batch": "full", "stochastic": 1}.get(variant, self.batch_spin.value())
        target = None
        if data and data[0] == "file" and self.target_combo.isVisible():
            target = self.target_combo.currentText() or None
        return RunConfig(
            dataset=data[1] if data else "",
            dataset_options=self.dataset_form.values(),
            target=target,
            validation_split=self.validation_spin.value(),
            hidden_layers=self.hidden_edit.text(),
            activation=self.activation_combo.currentText(),
            model_path=self.model_path,
            loss=self.loss_combo.currentData(),
            loss_options=self.loss_form.values(),
            optimizer=self.optimizer_combo.currentData(),
            hyperparameters=self.optimizer_form.values(),
            epochs=self.epochs_spin.value(),
            batch_size=batch,
            schedule=self.schedule_combo.currentText(),
            seed=self.seed_spin.value(),
            distribute="mirrored"
            if self.gpus_check.isEnabled() and self.gpus_check.isChecked()
            else "none",
        )

    @Slot()
    def start_training(self) -> None:
        """Validate the form and hand the run to the worker (one run at a time)."""
        if not self.ready or self.running:
            return
        if self.worker.busy:  # a comparison is still training
            self.show_message("A comparison is still running: stop it or wait for it.", "info")
            return
        from trainers.errors import ConfigError

        try:
            config = self.build_config().validate()
        except ConfigError as exc:
            self.show_message(
                f"{exc}\nCorrect it in the side panel and press Train again.", "error"
            )
            return
        self._save_choices()
        self.step_plot.clear_curves()
        self.epoch_plot.clear_curves()
        self.metric_plot.clear_curves()
        self.inside_view.clear()
        self.message_frame.hide()
        self.last_result = None
        self.run_info = None
        self.save_action.setEnabled(False)
        self._set_running(True)
        self.progress.setRange(0, 0)  # busy until the run says how many steps
        self.progress.setFormat("Preparing the run...")
        self.worker.request_run(config)

    @Slot()
    def stop_training(self) -> None:
        if self.running:
            self.worker.stop()
            self._on_status("Stopping...")

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        if not self.running:
            return
        if paused:
            self.worker.pause()
            self.pause_button.setText("Resume")
            self._on_status("Pausing after the steps in progress...")  # "Paused" when held
        else:
            self.worker.resume()
            self.pause_button.setText("Pause")
            self._on_status("Training...")

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.side_panel.setEnabled(not running)
        self.open_button.setEnabled(not running)
        self.train_button.setEnabled(not running and self.ready)
        self.stop_button.setEnabled(running)
        self.pause_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)
        self._on_variant_changed()

    def _set_comparing(self, comparing: bool) -> None:
        """A comparison holds the worker: the form and Train wait until it ends."""
        self.comparing = comparing
        self.side_panel.setEnabled(not comparing)
        self.train_button.setEnabled(not comparing and self.ready)
        self.open_button.setEnabled(not comparing)

    def _set_controls_enabled(self, enabled: bool) -> None:
        self.side_panel.setEnabled(enabled)
        self.train_button.setEnabled(enabled)
        self.open_button.setEnabled(enabled)

    @Slot(object)
    def _on_run_started(self, info) -> None:
        self.run_info = info
        self.run_started = time.monotonic()
        self._progress_step = None
        self.progress.setRange(0, max(info.total_steps, 1))
        self.progress.setValue(0)
        self.step_plot.follow_run(info.total_steps)
        self.epoch_plot.follow_run(info.config.epochs)
        self.metric_plot.follow_run(info.config.epochs)
        self._update_progress(0, 0)
        config = info.config
        self.run_label.setText(
            f"{self.optimizer_combo.currentText()} · {info.loss} · "
            f"lr {config.learning_rate():g} · batch {info.batch_size}"
        )
        self.metric_plot.set_ylabel(info.metric)
        self._on_epoch(0, info.initial_logs)  # epoch 0: the untrained model
        names = [str(c) for c in np.unique(info.points[1])] if info.points is not None else []
        self.boundary_plot.set_points(info.points, info.grid_axes, names)
        self._on_status(f"Training {info.model_summary} on {info.dataset_summary}")

    @Slot(object, object)
    def _on_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        self.step_plot.append(steps, losses)
        if self.run_info is not None and len(steps):
            # Shown by the next frame: QProgressBar.setValue repaints at once, and points
            # arrive up to 20 times a second.
            self._progress_step = int(steps[-1])

    def _show_progress(self) -> None:
        """Bring the progress bar up to the newest step received (once a frame)."""
        step = self._progress_step
        if self.run_info is None or step is None or step == self.progress.value():
            return
        self._update_progress(step, (step - 1) // self.run_info.steps_per_epoch + 1)

    def _update_progress(self, step: int, epoch: int) -> None:
        info = self.run_info
        self.progress.setValue(step)
        elapsed = time.monotonic() - self.run_started
        left = ""
        if step:
            seconds = elapsed / step * (info.total_steps - step)
            left = (
                f" · {seconds:.0f} s left" if seconds < 120 else f" · {seconds / 60:.0f} min left"
            )
        self.progress.setFormat(
            f"Epoch {max(epoch, 1)}/{info.config.epochs} · step {step}/{info.total_steps}{left}"
        )

    @Slot(object, object, object, object)
    def _on_optimizer_steps(self, steps, norms, rate_steps, rates) -> None:
        self.inside_view.append(steps, norms, rate_steps, rates)

    @Slot(int, object)
    def _on_boundary(self, epoch: int, probabilities) -> None:
        self.boundary_plot.show_probabilities(epoch, probabilities)

    @Slot(int, object)
    def _on_epoch(self, epoch: int, logs: dict) -> None:
        self.epoch_plot.append(epoch, logs.get("loss"), logs.get("val_loss"))
        metric = self.run_info.metric if self.run_info else "accuracy"
        self.metric_plot.append(epoch, logs.get(metric), logs.get(f"val_{metric}"))

    @Slot(object)
    def _on_run_finished(self, result) -> None:
        self.last_result = result
        self._set_running(False)
        self._on_redraw(everything=True)
        self.save_action.setEnabled(True)
        self.progress.setFormat(f"{result.status.capitalize()} · {result.epochs_done} epochs")
        if result.status == "stopped":
            self.show_message(f"{result.message}. The curves so far are kept.", "info")
        final = result.final("val_loss") or result.final("loss")
        final_text = f", final loss {final:.4g}" if final is not None else ""
        self._on_status(f"{result.message}{final_text} ({result.duration_s:.1f} s)")
        self.sig_run_finished.emit(result.status)

    @Slot(str, object)
    def _on_run_failed(self, message: str, result) -> None:
        if self.comparing:
            return  # the compare view shows its own failures
        if result is not None:
            self.last_result = result
            self.save_action.setEnabled(True)
        was_running = self.running
        self._set_running(False)
        self._on_redraw(everything=True)
        severity = "warning" if result is not None and result.status == "diverged" else "error"
        self.show_message(message, severity)
        self._on_status("Run failed" if severity == "error" else "Run diverged")
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self.progress.setFormat(result.status.capitalize() if result is not None else "Not run")
        if was_running:
            self.sig_run_finished.emit(result.status if result is not None else "failed")

    @Slot()
    def _on_save_run(self) -> None:
        if self.last_result is None:
            return
        folder = QFileDialog.getExistingDirectory(self, "Save the run into a folder")
        if folder:
            self.save_run(folder)

    def save_run(self, folder: str) -> None:
        """Save the last run (config, curves, model) into `folder`, on the worker thread."""
        if self.last_result is not None:
            self._on_status(f"Saving to {folder}...")
            self.worker.request_save(self.last_result, str(folder))

    @Slot(str, str)
    def _on_saved(self, folder: str, error: str) -> None:
        if error:
            self.show_message(error, "error")
            self._on_status("Saving failed")
        else:
            self._on_status(f"Saved the run to {folder}")

    # =============================================================================== plots
    @Slot()
    def _on_redraw(self, everything: bool = False) -> None:
        """Redraw the plots that changed: those on screen one per frame, taking turns.

        Repainting a plot whose ranges moved costs 5-25 ms of this thread on two busy cores
        (its axes are laid out again); the epoch plots both change at an epoch's end, and
        drawing them and the step plot in the same frame made the window late by 40-70 ms
        (bench/bench_responsiveness.py). Plots not on screen keep their new points in their
        buffers and draw them once shown: giving them the data every frame cost time that grew
        with the run (a log axis transforms every point again: 8 ms a frame for the hidden
        optimizer view at a million steps). The run's end draws all.
        """
        views = (
            self.step_plot,
            self.epoch_plot,
            self.metric_plot,
            self.inside_view,
            self.boundary_plot,
        )
        self._show_progress()
        if everything:
            for view in views:
                view.refresh()
            return
        count = len(views)
        for offset in range(1, count + 1):
            index = (self._last_redrawn + offset) % count
            if views[index].dirty and views[index].isVisible():
                views[index].refresh()
                self._last_redrawn = index
                return

    @Slot(bool)
    def _on_log_toggled(self, on: bool) -> None:
        if self.step_plot is None:  # not built yet: _build_plots() reads the box
            return
        self.step_plot.setLogMode(y=on)
        self.epoch_plot.setLogMode(y=on)

    @Slot(int)
    def _on_smoothing_changed(self, value: int) -> None:
        if self.step_plot is None:
            return
        self.step_plot.set_smoothing(value / 100.0)

    # ============================================================================ messages
    def show_message(self, text: str, severity: str = "info") -> None:
        """Show `text` above the plots: info, warning or error. The curves stay."""
        self.message_label.setText(text)
        self.message_label.setProperty("severity", severity)
        self.message_frame.setStyleSheet(f"#messageFrame {{ {SEVERITY_STYLE[severity]} }}")
        self.message_frame.show()

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self.status_label.setText(text)

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(self, "About Descent", self.about_text())

    def about_text(self) -> str:
        import sys

        import pyqtgraph

        lines = [
            "<b>Descent</b> 0.1.0: a desktop trainer for Keras that shows how optimizers and "
            "loss functions really behave.",
            f"Python {platform.python_version()} · Qt {pyside_version} (PySide6) · "
            f"pyqtgraph {pyqtgraph.__version__}",
        ]
        if "keras" in sys.modules:
            import keras
            import tensorflow as tf

            lines.append(f"TensorFlow {tf.__version__} · Keras {keras.__version__}")
        if self.device:
            lines.append(f"Training on {self.device}")
        return "<br>".join(lines)

    # ============================================================================ settings
    def _save_choices(self) -> None:
        if not self.ready:
            return
        s = self.settings
        data = self._current_dataset()
        if data and data[0] == "builtin":
            s.setValue("form/dataset", data[1])
            s.setValue(f"form/dataset_options/{data[1]}", json.dumps(self.dataset_form.values()))
        s.setValue("form/optimizer", self.optimizer_combo.currentData())
        s.setValue(
            f"form/hyper/{self.optimizer_combo.currentData()}",
            json.dumps(self.optimizer_form.values()),
        )
        s.setValue("form/loss", self.loss_combo.currentData())
        s.setValue("form/epochs", self.epochs_spin.value())
        s.setValue("form/variant", self.variant_combo.currentData())
        s.setValue("form/batch_size", self.batch_spin.value())
        s.setValue("form/schedule", self.schedule_combo.currentText())
        s.setValue("form/seed", self.seed_spin.value())
        s.setValue("form/validation", self.validation_spin.value())
        s.setValue("form/hidden", self.hidden_edit.text())
        s.setValue("form/activation", self.activation_combo.currentText())
        s.setValue("plots/log", self.log_check.isChecked())
        s.setValue("plots/smoothing", self.smoothing_slider.value())

    def _restore_choices(self) -> None:
        s = self.settings

        def value(key, default, kind):
            raw = s.value(key, default)
            try:
                return kind(raw)
            except (TypeError, ValueError):
                return default

        if not self.select_dataset(value("form/dataset", "moons", str)):
            self.select_dataset("moons")
        data = self._current_dataset()
        if data:
            remembered = s.value(f"form/dataset_options/{data[1]}")
            if remembered:
                try:
                    self.dataset_form.set_values(json.loads(remembered))
                except (TypeError, ValueError):
                    pass
        if not self.select_by_data(self.optimizer_combo, value("form/optimizer", "adam", str)):
            self.select_by_data(self.optimizer_combo, "adam")
        self._on_optimizer_changed()
        self.select_by_data(self.loss_combo, value("form/loss", "", str))
        self.epochs_spin.setValue(value("form/epochs", 30, int))
        self.select_by_data(self.variant_combo, value("form/variant", "minibatch", str))
        self.batch_spin.setValue(value("form/batch_size", 32, int))
        self.schedule_combo.setCurrentText(value("form/schedule", "constant", str))
        self.seed_spin.setValue(value("form/seed", 0, int))
        self.validation_spin.setValue(value("form/validation", 0.2, float))
        self.hidden_edit.setText(value("form/hidden", "16, 16", str))
        self.activation_combo.setCurrentText(value("form/activation", "relu", str))
        self.log_check.setChecked(str(s.value("plots/log", "false")).lower() == "true")
        self.smoothing_slider.setValue(value("plots/smoothing", 90, int))

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.settings.value("window/splitter")
        if state is not None:
            self.splitter.restoreState(state)

    # ============================================================================= closing
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Stop a run in progress and wait for the worker's thread before the window goes."""
        self._save_choices()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.sync()
        self.redraw_timer.stop()
        if self.surface_view is not None:
            self.surface_view.shutdown()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop any run and end the worker's thread; safe to call twice."""
        self._startup_done = True  # a window closed before its first paint starts nothing
        if self.worker_thread.isRunning():
            self.worker.stop()
            self.worker.request_quit()
            self.worker_thread.wait()
