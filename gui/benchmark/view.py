"""The Benchmark tab: a fair comparison of optimizers (`trainers.tuning`'s protocol), live.

The user ticks problems of the suite and optimizers, sets the trials per optimizer, the
search rule, the seeds and the epochs, and presses Run. While the job trains, each tuning
trial that ends becomes a dot of its final validation loss against its learning rate on the
current problem's plot (the shape of the valley is the tuneability); then, as the reruns over
the seeds train, each optimizer's median over the seeds so far and their range, by epoch. At
the end the table holds the report's rows and the figure box shows each of the report's
figures, drawn by the same code as the saved report (`gui.report_figures`); Save report
writes the folder that `main.py benchmark --out` writes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets import guard_inputs, named
from trainers import catalog, tuning
from trainers.events import EpochEnded, Failed, Finished, JobFinished, Started

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
COLUMNS = (
    ("problem", "Problem"),
    ("optimizer", "Optimizer"),
    ("setting", "Best setting"),
    ("performance", "Median val. loss (95% CI)"),
    ("speed", "Steps to target"),
    ("tuneability", "Trials within 10%"),
    ("noise", "Against the best"),
)


def _checklist(items: list[tuple[str, str]], checked: set[str], name: str) -> QListWidget:
    box = named(QListWidget(), name, name)
    for key, text in items:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if key in checked else Qt.CheckState.Unchecked)
        box.addItem(item)
    box.setMaximumHeight(20 * max(len(items), 3) + 8)
    return box


def _ticked(box: QListWidget) -> list[str]:
    return [
        box.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(box.count())
        if box.item(i).checkState() == Qt.CheckState.Checked
    ]


class BenchmarkView(QWidget):
    """The Benchmark tab over `worker` (a `gui.worker.TrainingWorker`)."""

    sig_benchmark_started = Signal()
    sig_benchmark_finished = Signal(object)  # the BenchmarkResult, or None
    sig_report_saved = Signal(object)  # the paths written, or [] when the save failed

    def __init__(self, worker, base_config=None, parent=None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.base_config = base_config  # the main form's RunConfig, for "its data too"
        self.job: int | None = None
        self.spec = None
        self.result = None
        self.report = None
        self.engine_ready = False
        self._dots: dict[str, object] = {}  # optimizer -> its scatter item on the live plot
        self._points: dict[str, list[tuple[float, float]]] = {}
        self._problem = ""
        self._writer = None  # the FigureWriter of a save in progress
        self._phase = "tune"
        self._bands: dict[str, object] = {}  # optimizer -> its seeds' range, in the seed phase
        self._seed_curves: dict[tuple[str, int], list[float]] = {}
        self._members: dict[int, tuple[str, int]] = {}  # member -> (optimizer, seed)
        self._build()
        worker.sig_events.connect(self._on_events)
        worker.sig_benchmark.connect(self._on_benchmark)
        worker.sig_ready.connect(self._on_ready)

    def refresh_optimizers(self) -> None:
        """Offer the optimizers registered since the list was built (plugins), unticked."""
        known = {self.optimizers_list.item(i).data(Qt.ItemDataRole.UserRole)
                 for i in range(self.optimizers_list.count())}  # fmt: skip
        for info in catalog.comparable_optimizers():
            if info.name not in known:
                item = QListWidgetItem(info.display_name)
                item.setData(Qt.ItemDataRole.UserRole, info.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.optimizers_list.addItem(item)

    # ============================================================================== layout
    def _build(self) -> None:
        import pyqtgraph as pg

        from gui.plots.theme import add_legend, dress

        choices = QGroupBox("Benchmark")
        strip = QHBoxLayout(choices)  # one strip above the plots: they keep the width
        form = QFormLayout()
        self.problems_list = _checklist(
            [(p.name, f"{p.name} (target {p.target:g})") for p in tuning.SUITE.values()],
            set(tuning.SUITE),
            "Problems",
        )
        self.optimizers_list = _checklist(
            [(o.name, o.display_name) for o in catalog.comparable_optimizers()],
            set(DEFAULT_OPTIMIZERS),
            "Optimizers",
        )
        self.trials_spin = named(QSpinBox(), "trialsSpin", "Trials per optimizer")
        self.trials_spin.setRange(1, 64)
        self.trials_spin.setValue(8)
        self.rule_combo = named(QComboBox(), "ruleCombo", "Search rule")
        for rule, text in (("grid", "Grid (log-spaced)"), ("random", "Quasi-random (Halton)")):
            self.rule_combo.addItem(text, rule)
        self.seeds_spin = named(QSpinBox(), "benchSeedsSpin", "Seeds for the best")
        self.seeds_spin.setRange(1, 20)
        self.seeds_spin.setValue(3)
        self.epochs_spin = named(QSpinBox(), "benchEpochsSpin", "Epochs")
        self.epochs_spin.setRange(1, 500)
        self.epochs_spin.setValue(20)
        self.seconds_spin = named(QDoubleSpinBox(), "benchSecondsSpin", "Time budget per trial")
        self.seconds_spin.setRange(0.0, 3600.0)
        self.seconds_spin.setDecimals(1)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.setSpecialValueText("none")  # 0: the epochs alone decide
        self.seconds_spin.setToolTip(
            "Each trial also ends at the first epoch end past this many seconds of its own "
            "training. With a budget every trial trains alone, on its own clock."
        )
        self.criterion_combo = named(QComboBox(), "criterionCombo", "Best trial by")
        for criterion in tuning.CRITERIA:
            self.criterion_combo.addItem(criterion.replace("_", " "), criterion)
        self.own_check = named(
            QCheckBox("Main form's data too"),
            "benchOwnData",
            "Benchmark the main form's data and model too",
            tip="Adds a problem made of the side panel's dataset, model and loss (your own file, "
            "if one is open), with no target loss",
        )
        self.own_check.setEnabled(self.base_config is not None)
        for title, box in (("Problems", self.problems_list), ("Optimizers", self.optimizers_list)):
            column = QVBoxLayout()
            column.addWidget(QLabel(title))
            column.addWidget(box)
            if box is self.problems_list:
                column.addWidget(self.own_check)
            column.addStretch(1)  # at the top, beside the form's first rows
            strip.addLayout(column, 1)
        strip.addLayout(form, 1)
        form.addRow("Trials per optimizer", self.trials_spin)
        form.addRow("Search", self.rule_combo)
        form.addRow("Seeds for the best", self.seeds_spin)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Time budget", self.seconds_spin)
        form.addRow("Best trial by", self.criterion_combo)
        self.run_button = named(QPushButton("Run benchmark"), "runBenchmark", "Run benchmark")
        self.stop_button = named(QPushButton("Stop"), "stopBenchmark", "Stop the benchmark")
        self.save_button = named(QPushButton("Save report..."), "saveReport", "Save report")
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self._on_save_clicked)
        buttons = QHBoxLayout()
        for button in (self.run_button, self.stop_button, self.save_button):
            buttons.addWidget(button)
        form.addRow(buttons)
        self.optimizers_list.setMaximumHeight(20 * 5 + 8)  # scrolls: 10 optimizers, 5 shown
        self.problems_list.setMaximumHeight(20 * 5 + 8)
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.save_button.setEnabled(False)

        self.status_label = named(
            QLabel("Tick problems and optimizers, then Run."), "benchStatus", "Benchmark status"
        )
        self.status_label.setWordWrap(True)
        self.live_plot = dress(
            pg.PlotWidget(),
            "tuningPlot",
            "",
            "learning rate",
            "final validation loss",
            accessible="Tuning trials",
            strong_title=True,
        )
        self.live_plot.setLogMode(x=True, y=True)
        add_legend(self.live_plot)
        self.figure_combo = named(QComboBox(), "figureCombo", "Report figure")
        self.figure_combo.currentIndexChanged.connect(self._show_figure)
        self.figure_holder = QVBoxLayout()
        self.table = named(QTableWidget(0, len(COLUMNS)), "benchTable", "Benchmark results")
        self.table.setHorizontalHeaderLabels([title for _, title in COLUMNS])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)

        right = QVBoxLayout(self)
        right.addWidget(choices)
        right.addWidget(self.status_label)
        right.addWidget(self.figure_combo)
        right.addWidget(self.live_plot, 3)
        right.addLayout(self.figure_holder, 3)
        right.addWidget(self.table, 2)
        self.figure_combo.hide()
        self._figure_widget = None
        guard_inputs(self)

    # ============================================================================= control
    @Slot(str)
    def _on_ready(self, _device: str) -> None:
        self.engine_ready = True
        self.run_button.setEnabled(True)

    def planned_spec(self):
        """The BenchmarkSpec the tab's choices make (a ConfigError says what is missing)."""
        from trainers.benchmark import BenchmarkSpec

        problems = tuning.problems(_ticked(self.problems_list))
        if self.own_check.isChecked() and self.base_config is not None:
            problems.append(self.own_problem())
        seconds = self.seconds_spin.value()
        return BenchmarkSpec(
            problems=problems,
            optimizers=_ticked(self.optimizers_list),
            trials=self.trials_spin.value(),
            rule=self.rule_combo.currentData(),
            seeds=self.seeds_spin.value(),
            epochs=self.epochs_spin.value(),
            seconds=seconds if seconds > 0 else None,
            criterion=self.criterion_combo.currentData(),
        ).validate()

    def own_problem(self) -> tuning.Problem:
        """The main form's dataset, model and loss as a problem (its optimizer is tuned here)."""
        config = self.base_config()
        config.hyperparameters = {}
        config = config.validate()
        name = Path(config.dataset).stem or config.dataset
        if name in tuning.SUITE:
            name = f"{name} (main form)"  # the suite's own has the suite's model and target
        return tuning.Problem(name, config, None)

    @Slot()
    def start(self) -> bool:
        from trainers.errors import DescentError

        if not self.engine_ready:
            self.status_label.setText("The engine is still loading.")
            return False
        try:
            spec = self.planned_spec()
        except DescentError as exc:
            missing = not _ticked(self.optimizers_list) or not (
                _ticked(self.problems_list) or self.own_check.isChecked()
            )
            hint = " Tick at least one of each, then Run." if missing else ""
            self.status_label.setText(f"{exc}{hint}")
            return False
        job = self.worker.request_benchmark(spec)
        if job is None:
            self.status_label.setText("A run is in progress: stop it or let it end, then Run.")
            return False
        self.job, self.spec, self.result, self.report = job, spec, None, None
        self._clear_live("")
        self.table.setRowCount(0)
        self.figure_combo.blockSignals(True)
        self.figure_combo.clear()
        self.figure_combo.blockSignals(False)
        self.figure_combo.hide()
        self._drop_figure()
        self.live_plot.show()
        count = sum(len(spec.settings(o)) for o in spec.optimizers) * len(spec.problems)
        self.status_label.setText(
            f"Tuning: {count} trials on {len(spec.problems)} problems, then the best of each "
            f"optimizer over {spec.seeds} seeds..."
        )
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.save_button.setEnabled(False)
        self.sig_benchmark_started.emit()
        return True

    @Slot()
    def stop(self) -> None:
        if self.job is not None:
            self.worker.stop()
            self.stop_button.setEnabled(False)
            self.status_label.setText("Stopping after the steps in progress...")

    # ============================================================================== events
    def _clear_live(self, problem: str, phase: str = "tune") -> None:
        """Empty the live plot for `problem`'s tuning trials (dots against the learning rate)
        or its reruns over the seeds (`phase` "seed": loss by epoch, median and range)."""
        from gui.plots.theme import set_title

        self._problem, self._phase = problem, phase
        for item in [*self._dots.values(), *(i for b in self._bands.values() for i in b)]:
            self.live_plot.removeItem(item)
        self._dots, self._points, self._bands, self._seed_curves = {}, {}, {}, {}
        self.live_plot.getPlotItem().legend.clear()
        seeds = phase == "seed"
        self.live_plot.setLogMode(x=not seeds, y=True)
        self.live_plot.setLabel("bottom", "epoch" if seeds else "learning rate")
        self.live_plot.setLabel("left", "validation loss" if seeds else "final validation loss")
        if not problem:
            title = ""
        elif seeds:
            title = f"{problem}: the best of each over the seeds, median and range so far"
        else:
            title = f"{problem}: final loss of each tuning trial"
        set_title(self.live_plot, title)

    def _problem_of(self, config) -> str:
        same = ("dataset", "hidden_layers", "architecture", "model_path", "loss", "batch_size")
        for problem in self.spec.problems:
            if all(getattr(problem.config, k) == getattr(config, k) for k in same):
                return problem.name
        return str(config.dataset)

    @Slot(object)
    def _on_events(self, events: list) -> None:
        for event in events:
            if self.job is None or event.key.job != self.job:
                continue
            match event:
                case Started(info=info) if info is not None:
                    config = info.config
                    phase = "tune" if config.seed == self.spec.seed else "seed"
                    problem = self._problem_of(config)
                    if (problem, phase) != (self._problem, self._phase):
                        self._clear_live(problem, phase)
                        what = "tuning" if phase == "tune" else "the best of each over the seeds"
                        self.status_label.setText(f"{problem}: {what}...")
                    self._members[event.key.member] = (config.optimizer, config.seed)
                case EpochEnded(logs=logs) if self._phase == "seed":
                    self._add_epoch(event.key.member, logs)
                case Finished(result=result) | Failed(result=result) if result is not None:
                    self._add_trial(result)
                case JobFinished():
                    pass

    def _add_epoch(self, member: int, logs: dict) -> None:
        """A rerun's epoch ended: its optimizer's median over the seeds so far, and their
        range, epoch by epoch (the report's figure gives the bootstrap interval)."""
        import pyqtgraph as pg

        from gui.plots.theme import run_style

        if member not in self._members:
            return
        optimizer, seed = self._members[member]
        value = logs.get("val_loss", logs.get("loss"))
        if value is None:
            return
        self._seed_curves.setdefault((optimizer, seed), []).append(float(value))
        curves = [c for (o, _), c in self._seed_curves.items() if o == optimizer]
        length = max(len(c) for c in curves)
        matrix = np.full((len(curves), length), np.nan)
        for row, curve in enumerate(curves):
            matrix[row, : len(curve)] = curve
        matrix = np.where(np.isfinite(matrix) & (matrix > 0), matrix, np.nan)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an epoch where every seed diverged
            median = np.nanmedian(matrix, axis=0)
            low, high = np.nanmin(matrix, axis=0), np.nanmax(matrix, axis=0)
        epochs = np.arange(1, length + 1, dtype=np.float64)
        if optimizer not in self._dots:
            index = (
                self.spec.optimizers.index(optimizer) if optimizer in self.spec.optimizers else 0
            )
            color, style = run_style(index)
            edge, shade = pg.mkColor(color), pg.mkColor(color)
            edge.setAlpha(120)
            shade.setAlpha(60)
            edges = []
            for _ in range(2):  # on the plot (and its log scale) before the shade is made
                item = pg.PlotDataItem([], [], pen=pg.mkPen(edge, width=1), connect="finite")
                item.setZValue(-1)
                self.live_plot.addItem(item)
                edges.append(item)
            fill = pg.FillBetweenItem(*edges, brush=pg.mkBrush(shade))
            fill.setZValue(-1)
            self.live_plot.addItem(fill)
            self._bands[optimizer] = (*edges, fill)
            self._dots[optimizer] = pg.PlotDataItem(
                [], [], pen=pg.mkPen(color, width=2.5, style=style), connect="finite",
                name=catalog.optimizer_info(optimizer).display_name,
            )  # fmt: skip
            self.live_plot.addItem(self._dots[optimizer])
        self._dots[optimizer].setData(epochs, median)
        low_item, high_item, _fill = self._bands[optimizer]
        low_item.setData(epochs, low)
        high_item.setData(epochs, high)

    def _add_trial(self, result) -> None:
        """A tuning trial ended: its dot (final validation loss, else training loss)."""
        config = result.config
        if self._phase != "tune" or config.seed != self.spec.seed:
            return  # a rerun over the seeds: its epochs are drawn as they end
        if self._problem_of(config) != self._problem:
            return  # another problem's
        losses = result.history.get("val_loss") or result.history.get("loss") or []
        value = float(losses[-1]) if losses else math.nan
        rate = config.hyperparameters.get("learning_rate")
        if rate is None or not math.isfinite(value) or value <= 0:
            return  # a diverged trial has no place on a log axis; the report counts it
        import pyqtgraph as pg

        from gui.plots.theme import dots, run_style

        name = config.optimizer
        self._points.setdefault(name, []).append((float(rate), value))
        points = sorted(self._points[name])
        if name not in self._dots:
            index = self.spec.optimizers.index(name) if name in self.spec.optimizers else 0
            color, style = run_style(index)
            item = pg.PlotDataItem(
                [], [], pen=pg.mkPen(color, width=1.5, style=style), **dots(color, 8),
                name=catalog.optimizer_info(name).display_name,
            )  # fmt: skip
            self.live_plot.addItem(item)
            self._dots[name] = item
        self._dots[name].setData(np.array([p[0] for p in points]), np.array([p[1] for p in points]))

    @Slot(int, object)
    def _on_benchmark(self, job: int, built) -> None:
        """The job ended: `built` is its report (made on the engine thread), or None."""
        if job != self.job:
            return
        self.job = None
        result = None if built is None else built.result
        self.result = result
        self.run_button.setEnabled(self.engine_ready)
        self.stop_button.setEnabled(False)
        if result is None:
            self.status_label.setText("The benchmark could not start: see the status bar.")
            self.sig_benchmark_finished.emit(None)
            return
        self.report = built
        self._fill_table(self.report.table)
        self.figure_combo.blockSignals(True)
        self.figure_combo.clear()
        for figure in self.report.figures:
            self.figure_combo.addItem(figure.title, figure.name)
        self.figure_combo.blockSignals(False)
        self.figure_combo.show()
        self.live_plot.hide()
        self._show_figure(0)
        done = sum(t.status == "completed" for t in result.trials)
        self.status_label.setText(
            f"Done: {done} of {len(result.trials)} trainings completed. Pick a figure above; "
            f"Save report writes the tables, the figures and an HTML page."
        )
        self.save_button.setEnabled(True)
        self.sig_benchmark_finished.emit(result)

    def _fill_table(self, rows: list[dict]) -> None:
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, (key, _) in enumerate(COLUMNS):
                item = QTableWidgetItem(str(row[key]))
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def _drop_figure(self) -> None:
        if self._figure_widget is not None:
            self.figure_holder.removeWidget(self._figure_widget)
            self._figure_widget.deleteLater()
            self._figure_widget = None

    @Slot(int)
    def _show_figure(self, index: int) -> None:
        """Show the report's figure `index`, drawn as the saved report draws it."""
        from gui.report_figures import figure_widget

        if self.report is None or not 0 <= index < len(self.report.figures):
            return
        self._drop_figure()
        widget = figure_widget(self.report.figures[index])
        widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
        widget.setObjectName("reportFigure")
        widget.getPlotItem().setTitle(None)  # the box above names it; a long title widens it
        self.figure_holder.addWidget(widget)
        self._figure_widget = widget
        widget.show()

    # ================================================================================ save
    @Slot()
    def _on_save_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save the benchmark report in")
        if folder:
            self.save_report(folder)

    def save_report(self, folder) -> bool:
        """Start writing the report into `folder` (as `main.py benchmark --out`): the figures
        one per turn of the event loop, then the tables and the page. `sig_report_saved`
        gives the paths written (empty if it failed; the status line says why). False if
        there is no report or a save is in progress."""
        from pathlib import Path

        from gui.report_figures import FigureWriter

        if self.report is None or self._writer is not None:
            return False
        folder = Path(folder)
        self._writer = FigureWriter(self.report.figures, folder / "plots", self)
        self._writer.sig_progress.connect(
            lambda done, total: self.status_label.setText(f"Drawing figure {done} of {total}...")
        )
        self._writer.sig_done.connect(lambda drawn: self._write_report(folder, drawn))
        self.save_button.setEnabled(False)
        self.status_label.setText("Drawing the report's figures...")
        self._writer.start()
        return True

    def _write_report(self, folder, drawn) -> None:
        from trainers import report
        from trainers.errors import DescentError

        self._writer.deleteLater()
        self._writer = None
        self.save_button.setEnabled(self.report is not None)
        try:
            if isinstance(drawn, Exception):
                raise drawn
            paths = report.write(self.report, folder, drawn)
        except DescentError as exc:
            self.status_label.setText(str(exc))
            self.sig_report_saved.emit([])
            return
        self.status_label.setText(f"Report saved: {paths['html']}")
        self.sig_report_saved.emit(list(paths.values()))
