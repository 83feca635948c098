"""The main window: a shell of tabs, menus and lifecycle around the panels that do the work.

The window is up before TensorFlow: the side panel is built from the engine's catalog (which
needs no TensorFlow) at once, the plots after the first paint (pyqtgraph takes half a second to
import), and the worker imports the engine on its own thread ("Preparing TensorFlow..." until
`sig_ready`). From then on the side panel's choices become a `RunConfig`, the worker trains it
as a job, and the job's events (`trainers.events`, in batches through the worker's one
`sig_events`) feed the Training view and the progress bar, which redraw from a 10 Hz timer.
The Compare tab takes the events of its own jobs from the same signal.

`MainWindow(worker=...)` takes any object with the worker's signals and methods instead of
starting the engine thread: a test can then feed recorded events without loading TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
)

from gui import recent
from gui.lecture import LectureMode, shortcuts_html
from gui.recent import RecentMenu
from gui.training import RunControls, SidePanel, TrainingView, ended_text
from gui.training.fill import fill_panel
from gui.widgets import column, named, scrolled
from gui.widgets.banner import MessageBanner
from gui.worker.engine import WORKER
from trainers.config import RunConfig
from trainers.errors import ConfigError
from trainers.events import Advice, Failed, Finished, Started, Status, Steps

# 10 Hz: smooth enough for a curve that grows, and each frame's CPU is taken from training on a
# two-core machine (25 Hz cost the engine a third of its speed: bench/bench_throughput.py).
REDRAW_INTERVAL_MS = 100
STARTUP_FALLBACK_MS = 1000  # a window that is never painted still starts its engine


class MainWindow(QMainWindow):
    """Descent's main window. `MainWindow()` needs no arguments."""

    sig_ready = Signal()
    """The engine is loaded and every tab is built: training can start."""
    sig_run_finished = Signal(str)
    """A run ended: its status (completed, stopped, diverged, failed)."""

    def __init__(self, settings: QSettings | None = None, worker=None, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings("Descent", "Descent")
        self.setWindowTitle("Descent")
        self.setMinimumSize(1000, 640)
        self.ready = False
        self.running = False
        self.comparing = False
        self.device = ""
        self.job: int | None = None  # the job number of the window's own run
        self.last_result = None
        self.compare_view = self.surface_view = self.runs_view = self.benchmark_view = None
        self._build_ui()
        self._build_menus()
        self._restore_geometry()
        self.panel.restore_settings()
        self.training.restore_settings(self.settings)
        self._set_controls_enabled(False)
        self.show_message("Preparing TensorFlow...", "info")
        self._connect_worker(worker)
        self.redraw_timer = QTimer(self)
        self.redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self.redraw_timer.timeout.connect(self._on_redraw)
        # The window is painted first; then the plots are built and the engine thread starts
        # importing TensorFlow. Started earlier, both delayed the first paint
        # (bench/bench_startup.py). A window never shown (a script, a test) gets the same a
        # moment later.
        self._startup_done = False
        QTimer.singleShot(STARTUP_FALLBACK_MS, self, self._finish_startup)

    # =================================================================================== UI
    def _build_ui(self) -> None:
        self.splitter = named(QSplitter(Qt.Orientation.Horizontal), "mainSplitter", "Main splitter")
        self.panel = SidePanel(self.settings)
        self.panel.sig_explanation_changed.connect(self._update_explanation)
        self.panel.sig_task_changed.connect(self._on_task_changed)
        self.panel.sig_message.connect(self.show_message)
        self.controls = RunControls()
        self.controls.sig_train.connect(self.start_training)
        self.controls.sig_stop.connect(self.stop_training)
        self.controls.sig_pause.connect(self._on_pause_toggled)
        self.splitter.addWidget(column((scrolled(self.panel, 380), 1), self.controls))
        self.banner = MessageBanner("messageFrame")
        self.training = TrainingView()
        self.view_tabs = named(QTabWidget(), "viewTabs", "Views")
        self.view_tabs.addTab(self.training, "Training")
        self.splitter.addWidget(column(self.banner, (self.view_tabs, 1), margins=(4, 0, 0, 0)))
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([400, 880])
        self.setCentralWidget(self.splitter)

        self.status_label = named(QLabel("Starting..."), "statusLabel", "Status")
        self.device_label = named(QLabel(""), "deviceLabel", "Training device")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.device_label)

        # Window-wide, so they work with the side panel hidden; Help lists them.
        self._window_action(
            "Train", "trainAction", ("Ctrl+Return", "Ctrl+Enter"), self.start_training
        )
        self._window_action("Stop", "stopAction", ("Esc",), self.stop_training)
        self._window_action(
            "Pause or resume", "pauseAction", ("Ctrl+P",), self.controls.pause_button.click
        )
        self.controls.pause_button.setToolTip("Hold the run, or go on with it (Ctrl+P)")

    def _window_action(self, text: str, name: str, keys: tuple[str, ...], slot) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open data file...", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.panel.choose_data_file)
        file_menu.addAction(open_action)
        open_folder = QAction("Open image &folder...", self)
        open_folder.triggered.connect(self.panel.choose_image_folder)
        file_menu.addAction(open_folder)
        open_config = QAction("Open &configuration...", self)
        open_config.setObjectName("openConfigAction")
        open_config.setShortcut(QKeySequence("Ctrl+Shift+O"))
        open_config.triggered.connect(self._on_open_configuration)
        file_menu.addAction(open_config)
        self.recent_menu = RecentMenu(self, file_menu.addMenu("Open &recent"))
        file_menu.addSeparator()
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
        self.lecture = LectureMode(self, self.menuBar().addMenu("&View"), self.splitter.widget(0))
        help_menu = self.menuBar().addMenu("&Help")
        keys = QAction("&Keyboard shortcuts", self)
        keys.setObjectName("shortcutsAction")
        keys.setShortcut(QKeySequence.StandardKey.HelpContents)
        keys.triggered.connect(self.show_shortcuts)
        help_menu.addAction(keys)
        plugins_action = QAction("&Plugins...", self)
        plugins_action.setObjectName("pluginsAction")
        plugins_action.triggered.connect(self.show_plugins)
        help_menu.addAction(plugins_action)
        about = QAction("&About Descent", self)
        about.triggered.connect(lambda: QMessageBox.about(self, "About Descent", self.about_text()))
        help_menu.addAction(about)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        if not self._startup_done:
            QTimer.singleShot(0, self, self._finish_startup)  # once this paint is on screen

    @Slot()
    def _finish_startup(self) -> None:
        """After the first paint: build the plots and the other tabs, then start the engine."""
        if self._startup_done:
            return
        self._startup_done = True
        self.training.build_plots()
        self.training.set_task(self.panel.task)
        self._update_explanation()
        self.view_tabs.addTab(self.training.inside_view, "Inside the optimizer")
        self.view_tabs.addTab(self.training.boundary_plot, "Decision boundary")
        self.view_tabs.addTab(self.training.sharpness_view, "Sharpness")
        from gui.compare import CompareView
        from gui.runs import RunsView

        self.compare_view = CompareView(self.worker, self.job_config, settings=self.settings)
        self.compare_view.sig_comparison_started.connect(lambda _: self._set_comparing(True))
        self.compare_view.sig_comparison_finished.connect(lambda _: self._set_comparing(False))
        self.view_tabs.addTab(self.compare_view, "Compare")
        from gui.benchmark import BenchmarkView

        self.benchmark_view = BenchmarkView(self.worker, self.job_config)
        self.benchmark_view.sig_benchmark_started.connect(lambda: self._set_comparing(True))
        self.benchmark_view.sig_benchmark_finished.connect(lambda _: self._set_comparing(False))
        self.view_tabs.addTab(self.benchmark_view, "Benchmark")
        from gui.lr_find import RangeTestView

        self.range_view = RangeTestView(self.worker, self.job_config)
        self.range_view.sig_test_started.connect(lambda: self._set_comparing(True))
        self.range_view.sig_test_finished.connect(self._on_range_test_finished)
        self.range_view.sig_use_rate.connect(self.use_learning_rate)
        self.view_tabs.addTab(self.range_view, "Learning rate")
        from gui.landscape import LandscapeView

        self.landscape_view = LandscapeView(self.worker, self.job_config)
        self.landscape_view.sig_landscape_started.connect(lambda: self._set_comparing(True))
        self.landscape_view.sig_landscape_finished.connect(self._on_landscape_finished)
        self.view_tabs.addTab(self.landscape_view, "Landscape")
        # Made when first shown: its path worker loads TensorFlow on a thread of its own.
        self.surface_tab = named(column(), "surfaceTab", "Loss surfaces")
        self.view_tabs.addTab(self.surface_tab, "Loss surfaces")
        self.view_tabs.currentChanged.connect(self._on_tab_changed)
        self.runs_view = RunsView(self.worker, self.settings)  # the run library (trainers.runs)
        self.runs_view.sig_load_settings.connect(self.load_settings)
        self.runs_view.sig_rerun.connect(self.rerun)
        self.view_tabs.addTab(self.runs_view, "Runs")
        self.redraw_timer.start()
        if self.worker_thread is not None:
            self.worker_thread.start()

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        if self.view_tabs.widget(index) is self.surface_tab and self.surface_view is None:
            from gui.surfaces import SurfaceView

            self.surface_view = SurfaceView()
            self.surface_tab.layout().addWidget(self.surface_view)
            self.surface_view.show()  # now, not at the layout's next pass

    # =============================================================================== worker
    def _connect_worker(self, worker) -> None:
        """Use `worker`, or make the window's own `TrainingWorker` and its engine thread."""
        self.worker_thread = None
        if worker is None:
            from gui.worker import EngineThread, TrainingWorker

            worker = TrainingWorker()
            # The worker object stays on the UI thread (it has no slots); its jobs run on the
            # engine thread, and signals emitted there reach the window queued.
            self.worker_thread = EngineThread(worker, self)
        self.worker = worker
        worker.sig_ready.connect(self._on_ready)
        worker.sig_events.connect(self._on_events)
        worker.sig_dataset.connect(self._on_dataset_described)
        worker.sig_saved.connect(self._on_saved)
        self.panel.sig_describe_requested.connect(worker.request_describe)

    @Slot(str)
    def _on_ready(self, device: str) -> None:
        self._finish_startup()  # a worker that is quicker than the first paint
        self.device = device
        self.device_label.setText(device)
        self.panel.set_device(device)
        self.panel.engine_ready = True
        self.ready = True
        self._set_controls_enabled(True)
        self.banner.hide()
        # The banner and the bar speak for the window's own run: a comparison has its own.
        started = self.compare_view.sig_comparison_started
        started.connect(lambda _: self.banner.hide())
        started.connect(lambda _: self.controls.reset("Comparing: see the Compare tab"))
        self.compare_view.sig_comparison_finished.connect(
            lambda _: self.controls.reset("Not started")
        )
        self.panel.request_description()
        self.show_status(f"Ready to train on {device}")
        self._load_plugins()
        self.sig_ready.emit()

    def _load_plugins(self) -> None:
        """The plugin folder's optimizers and losses, offered in the lists (TensorFlow is
        loaded by now); a plugin that failed is named in the banner, Help > Plugins says why."""
        from gui.plugins_dialog import load_folder_plugins

        self.plugins = load_folder_plugins()
        self.panel.refresh_optimizers()
        self.compare_view.choices.refresh_optimizers()
        self.benchmark_view.refresh_optimizers()
        failed = [p.path.name for p in self.plugins if not p.ok]
        if failed:
            self.show_message(
                f"Plugin {', '.join(failed)} could not be loaded and was skipped: "
                "Help > Plugins shows why.",
                "warning",
            )

    def show_plugins(self) -> None:
        """Help > Plugins: the plugins loaded, from where, and each failure's traceback."""
        from gui.plugins_dialog import PluginsDialog

        PluginsDialog(getattr(self, "plugins", []), self).exec()

    @Slot(object)
    def _on_events(self, events: list) -> None:
        """A batch of the engine's events: statuses for the status bar, the window's own run
        for the Training view; the Compare tab takes its jobs' events itself."""
        for event in events:
            if isinstance(event, Status):
                self.show_status(event.text)
            elif event.key.job == self.job and self.job is not None:
                self._on_run_event(event)
            elif isinstance(event, Failed) and event.key == WORKER:
                self.show_message(event.message, "error")  # the engine itself: not loaded

    def _on_run_event(self, event) -> None:
        self.training.handle(event)
        match event:
            case Started(info=info):
                self.controls.started(info)
                self.show_status(f"Training {info.model_summary} on {info.dataset_summary}")
            case Steps(steps=steps) if len(steps):
                self.controls.step_reached(int(steps[-1]))
            case Advice(text=text):  # the rate is too high or too low: said while it trains
                self.banner.show_message(text, "warning", about="advice")
            case Finished(result=result):
                self._on_run_finished(result)
            case Failed(message=message, result=result):
                self._on_run_failed(message, result)

    @Slot(object)
    def _on_dataset_described(self, description: dict) -> None:
        if self.panel.show_description(description):
            # The data loads now: a message about the data or a run it stopped is no longer true.
            self.banner.withdraw("dataset")
            request = description["request"]
            self.training.show_dataset(
                request["dataset"], description["task"], description["input_shape"]
            )
            return
        if "error" in description and description.get("request") == self.panel.dataset_request():
            self.banner.show_message(description["error"], "error", about="dataset")

    # ================================================================================ runs
    def build_config(self) -> RunConfig:
        """The RunConfig the side panel describes (not yet validated)."""
        return self.panel.build_config()

    def job_config(self) -> RunConfig:
        """The side panel's RunConfig as the tabs that train runs of their own take it
        (Compare, Benchmark, the range test, the landscape): without the sharpness tracking,
        which only the window's own run shows (and which a fused comparison refuses)."""
        import dataclasses

        return dataclasses.replace(self.panel.build_config(), sharpness_every=0)

    def _on_range_test_finished(self, test) -> None:
        self._set_comparing(False)
        self.show_status("Range test done" if test is not None else "Range test did not run")

    def _on_landscape_finished(self, landscape) -> None:
        self._set_comparing(False)
        done = landscape is not None and landscape.status == "completed"
        self.show_status("Landscape done" if done else "Landscape not finished")

    @Slot(float)
    def use_learning_rate(self, rate: float) -> None:
        """Put `rate` into the side panel's learning rate (the range test's suggestion)."""
        self.panel.optimizer_form.set_values({"learning_rate": rate})
        self.show_status(f"Learning rate set to {rate:.3g}")

    def select_dataset(self, name: str) -> bool:
        """Select a built-in dataset by name or a file already opened; True when found."""
        return self.panel.select_dataset(name)

    def open_dataset_file(self, path: str) -> None:
        """Add a user file or image folder to the datasets and select it."""
        self.panel.open_dataset_file(path)

    @Slot()
    def start_training(self) -> None:
        """Validate the form and hand the run to the worker (one run at a time)."""
        if not self.ready or self.running:
            return
        if self.worker.busy:  # a comparison is still training
            self.show_message("A comparison is still running: stop it or wait for it.", "info")
            return
        try:
            config = self.build_config().validate()
        except ConfigError as exc:
            self.show_message(
                f"{exc}\nCorrect it in the side panel and press Train again.", "error"
            )
            return
        self._save_choices()
        self.training.clear()
        self.banner.hide()
        self.last_result = None
        self.save_action.setEnabled(False)
        job = self.worker.request_run(config)
        if job is None:
            self.show_message("The worker is busy: wait for the job in progress to end.", "info")
            return
        self.job = job
        self._set_running(True)
        self.controls.preparing()

    @Slot()
    def stop_training(self) -> None:
        if self.running:
            self.worker.stop()
            self.show_status("Stopping...")

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        if not self.running:
            return
        if paused:
            self.worker.pause()
            self.show_status("Pausing after the steps in progress...")  # "Paused" when held
        else:
            self.worker.resume()
            self.show_status("Training...")

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.panel.setEnabled(not running)
        self.controls.set_running(running, self.ready)

    def _set_comparing(self, comparing: bool) -> None:
        """A comparison holds the worker: the form and Train wait until it ends."""
        self.comparing = comparing
        self.panel.setEnabled(not comparing)
        self.controls.train_button.setEnabled(not comparing and self.ready)

    def _set_controls_enabled(self, enabled: bool) -> None:
        self.panel.open_button.setEnabled(enabled)
        self.controls.train_button.setEnabled(enabled)

    def _on_run_finished(self, result) -> None:
        self.last_result = result
        self._set_running(False)
        self._on_redraw(everything=True)
        self.save_action.setEnabled(True)
        self.controls.ended(f"{result.status.capitalize()} · {result.epochs_done} epochs")
        if result.status == "stopped":
            self.show_message(f"{result.message}. The curves so far are kept.", "info")
        self.show_status(ended_text(result))
        self.sig_run_finished.emit(result.status)

    def _on_run_failed(self, message: str, result) -> None:
        if result is not None:
            self.last_result = result
            self.save_action.setEnabled(True)
        was_running = self.running
        self._set_running(False)
        self._on_redraw(everything=True)
        severity = "warning" if result is not None and result.status == "diverged" else "error"
        from gui.plugins_dialog import broken_run_message

        message = broken_run_message(message, result)  # a plugin's bug: its traceback kept
        # A run that could not start (its data, most often) is withdrawn as the data's message.
        self.banner.show_message(message, severity, about="dataset" if result is None else "")
        self.show_status("Run failed" if severity == "error" else "Run diverged")
        self.controls.ended(result.status.capitalize() if result is not None else "Not run")
        if was_running:
            self.sig_run_finished.emit(result.status if result is not None else "failed")

    @Slot()
    def _on_save_run(self) -> None:
        """Ask for the run's folder: an existing one, or a new name, made when saving."""
        if self.last_result is None:
            return
        config = self.last_result.config
        recent.ask(
            self,
            self.settings,
            "run",
            "Save the run as a folder (type a new name to make one)",
            self.save_run,
            save_name=f"{Path(config.dataset).stem}-{config.optimizer}",
        )

    def save_run(self, folder: str) -> None:
        """Save the last run (config, curves, model) into `folder`, on the worker thread."""
        if self.last_result is not None:
            self.show_status(f"Saving to {folder}...")
            self.worker.request_save(self.last_result, str(folder))

    @Slot(str, str)
    def _on_saved(self, folder: str, error: str) -> None:
        if error:
            self.show_message(error, "error")
            self.show_status("Saving failed")
        else:
            self.show_status(f"Saved the run to {folder}")

    # ======================================================================= configurations
    @Slot()
    def _on_open_configuration(self) -> None:
        recent.ask(
            self,
            self.settings,
            "config",
            "Open a run configuration",
            self.open_configuration,
            pattern="Run configurations (*.toml *.json);;All files (*)",
        )

    def open_configuration(self, path: str) -> bool:
        """Read a run.toml (or .json) into the side panel; False (and why, in the banner) when
        it cannot be read."""
        try:
            config = RunConfig.from_file(path)
        except ConfigError as exc:
            self.show_message(str(exc), "error")
            return False
        recent.remember(self.settings, "config", path)
        return self.load_settings(config, f"the settings of {Path(path).name}")

    def load_settings(self, config: RunConfig, what: str = "the run's settings") -> bool:
        """Put `config` into the side panel (Train then runs it); False, and why, if it does
        not fit."""
        if self.running or self.comparing:
            self.show_message("A run is training: stop it or wait, then load the settings.", "info")
            return False
        try:
            notes = fill_panel(self.panel, config)
        except ConfigError as exc:
            self.show_message(f"Cannot load {what}: {exc}", "error")
            return False
        self.view_tabs.setCurrentWidget(self.training)
        if notes:
            self.show_message(f"Loaded {what}; not in the form: " + "; ".join(notes) + ".", "info")
        else:
            self.banner.hide()
            self.show_status(f"Loaded {what}: press Train to run them.")
        return True

    @Slot(object)
    def rerun(self, config: RunConfig) -> None:
        """Load `config` into the side panel and train it."""
        if self.load_settings(config):
            self.start_training()

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts: every shortcut of the window, read from its actions."""
        box = QMessageBox(
            QMessageBox.Icon.NoIcon, "Keyboard shortcuts", shortcuts_html(self), parent=self
        )
        box.setObjectName("shortcutsDialog")
        box.open()

    # ======================================================================== what is shown
    @Slot()
    def _update_explanation(self) -> None:
        self.training.show_explanation(
            self.panel.optimizer_combo.currentData(), self.panel.loss_combo.currentData()
        )

    @Slot(str)
    def _on_task_changed(self, task: str) -> None:
        if self.training.metric_plot is not None:
            self.training.set_task(task)

    @Slot()
    def _on_redraw(self, everything: bool = False) -> None:
        self.controls.show_progress()
        self.training.redraw(everything)

    def show_message(self, text: str, severity: str = "info") -> None:
        """Show `text` above the plots: info, warning or error. The curves stay."""
        self.banner.show_message(text, severity)

    @Slot(str)
    def show_status(self, text: str) -> None:
        """Say in the status bar what is going on now."""
        self.status_label.setText(text)

    def about_text(self) -> str:
        """What `main.py --version` prints, with pyqtgraph and the training device."""
        import pyqtgraph

        from trainers.cli.commands import version_lines

        name, versions = version_lines()
        lines = [
            f"<b>{name}</b>: a desktop trainer for Keras that shows how optimizers and loss "
            "functions really behave.",
            f"{versions} · Qt {qVersion()} · pyqtgraph {pyqtgraph.__version__}",
        ]
        if self.device:
            lines.append(f"Training on {self.device}")
        return "<br>".join(lines)

    # ============================================================================ settings
    def _save_choices(self) -> None:
        self.panel.save_settings()
        self.training.save_settings(self.settings)

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
        if self.worker_thread is not None and self.worker_thread.isRunning():
            self.worker.stop()
            self.worker.request_quit()
            self.worker_thread.wait()
