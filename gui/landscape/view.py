"""The Landscape tab: the loss of the side panel's network along lines and planes through its
weight space, and the paths of several optimizers on one shared plane.

The user names the optimizers and presses Compute. Each trains the side panel's run from the
same initial weights, one after another; their paths are drawn on the shared plane of the
weight snapshots so far as they train (`PathsMoved` events). At the end the loss along the
lines, the slice around the first run's final weights and the loss under the paths come with
the `trainers.landscape.Landscape` (`sig_landscape`). The page beside the plots explains how to
read them.
"""

from __future__ import annotations

import dataclasses
from html import escape

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from assets import instrument_page
from gui.widgets import guard_inputs, named
from gui.widgets.banner import SEVERITY_STYLE
from gui.widgets.markdown import MarkdownBrowser
from trainers import landscape
from trainers.errors import ConfigError
from trainers.events import EpochEnded, Failed, PathsMoved, Started, Status

DEFAULT_OPTIMIZERS = "sgd, momentum, adam"
MIN_GRID, MAX_GRID = 5, 101


def plan_runs(base, text: str) -> list:
    """The labelled runs of a landscape of `base` (a RunConfig) for the optimizers named in
    `text`: the side panel's optimizer as the side panel sets it, each other one at its
    defaults; validated, all sharing the weights they start from. ConfigError (a
    DescentError) saying what is wrong."""
    from trainers import plans
    from trainers.parsing import entries, unique

    names = unique([name.lower() for name in entries(text)])
    if not names:
        raise ConfigError("Name at least one optimizer, like sgd, momentum, adam.")
    # The side panel's rate is its optimizer's: plan() would give it to every run.
    others = dataclasses.replace(
        base,
        hyperparameters={k: v for k, v in base.hyperparameters.items() if k != "learning_rate"},
    )
    runs = []
    for name in names:
        planned = plans.plan(base if name == base.optimizer else others, optimizers=[name])
        runs += [(label, config.validate()) for label, config in planned]
    landscape.check_runs(runs)
    return runs


class LandscapeView(QWidget):
    """The Landscape tab over `worker` (a `gui.worker.TrainingWorker`); `base_config()` gives
    the side panel's RunConfig."""

    sig_landscape_started = Signal()
    sig_landscape_finished = Signal(object)  # the trainers.landscape.Landscape, or None

    def __init__(self, worker, base_config, parent=None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.base_config = base_config
        self.engine_ready = False
        self.job: int | None = None
        self.labels: list[str] = []
        self.epochs = 0
        self.spec: landscape.LandscapeSpec | None = None
        self.result: landscape.Landscape | None = None
        self._message = ""
        self._build()
        worker.sig_events.connect(self._on_events)
        worker.sig_landscape.connect(self._on_finished)
        worker.sig_ready.connect(self._on_ready)

    # ============================================================================== layout
    def _build(self) -> None:
        from gui.landscape.lines import LinePlot
        from gui.landscape.maps import PathsMap, SliceMap

        choices = QGroupBox("Loss landscape")
        strip = QVBoxLayout(choices)
        intro = QLabel(
            "Trains each optimizer from the same weights, draws their paths as they go, then "
            "the loss along lines and on planes through the weights."
        )
        intro.setWordWrap(True)
        strip.addWidget(intro)
        row = QHBoxLayout()
        form = QFormLayout()
        self.optimizers_edit = named(
            QLineEdit(DEFAULT_OPTIMIZERS),
            "landscapeOptimizers",
            "Optimizers",
            tip="The optimizers to train, separated by commas: the side panel's optimizer as "
            "set there, each other one at its default learning rate",
        )
        self.grid_spin = named(
            QSpinBox(),
            "landscapeGridSpin",
            "Points a side",
            tip="Points a side of each map: the loss is computed at this many squared",
        )
        self.grid_spin.setRange(MIN_GRID, MAX_GRID)
        self.grid_spin.setValue(landscape.GRID)
        form.addRow("Optimizers", self.optimizers_edit)
        form.addRow("Points a side", self.grid_spin)
        row.addLayout(form, 1)
        self.compute_button = named(
            QPushButton("Compute"), "computeLandscape", "Compute the landscape"
        )
        self.stop_button = named(QPushButton("Stop"), "stopLandscape", "Stop the landscape")
        self.compute_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        buttons = QVBoxLayout()
        buttons.addWidget(self.compute_button)
        buttons.addWidget(self.stop_button)
        row.addLayout(buttons)
        strip.addLayout(row)
        self.compute_button.setEnabled(False)
        self.stop_button.setEnabled(False)

        self.status_label = named(
            QLabel("Name the optimizers, then Compute."), "landscapeStatus", "Landscape status"
        )
        self.status_label.setWordWrap(True)
        self.key_label = named(QLabel(""), "landscapeKey", "Colours of the runs")
        self.key_label.setWordWrap(True)
        self.key_label.setTextFormat(Qt.TextFormat.RichText)
        self.paths_plot = PathsMap()
        self.note_label = named(QLabel(""), "landscapeNote", "Share of variance on the plane")
        self.note_label.setWordWrap(True)
        self.slice_plot = SliceMap()
        self.lines_plot = LinePlot()
        for plot in (self.paths_plot, self.slice_plot, self.lines_plot):
            plot.setMinimumSize(160, 140)
        paths = QWidget()
        paths_column = QVBoxLayout(paths)
        paths_column.setContentsMargins(0, 0, 0, 0)
        paths_column.addWidget(self.paths_plot, 1)
        paths_column.addWidget(self.note_label)
        maps = named(QSplitter(Qt.Orientation.Horizontal), "landscapeMaps", "Landscape maps")
        maps.addWidget(paths)
        maps.addWidget(self.slice_plot)
        plots = named(QSplitter(Qt.Orientation.Vertical), "landscapePlots", "Landscape plots")
        plots.addWidget(maps)
        plots.addWidget(self.lines_plot)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 2)
        self.page = named(MarkdownBrowser(), "landscapePage", "About the loss landscape")
        try:
            self.page.show_markdown(instrument_page("landscape"))
        except ValueError as exc:  # a broken install: the tab still works without its page
            self.page.setPlainText(f"This page is missing from the install ({exc}).")
        self.page.setOpenExternalLinks(False)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(choices)
        column.addWidget(self.status_label)
        column.addWidget(self.key_label)
        column.addWidget(plots, 1)
        splitter = named(QSplitter(Qt.Orientation.Horizontal), "landscapeSplitter", "Landscape")
        splitter.addWidget(left)
        splitter.addWidget(self.page)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([700, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        guard_inputs(self)

    # ============================================================================= control
    @Slot(str)
    def _on_ready(self, _device: str) -> None:
        self.engine_ready = True
        self.compute_button.setEnabled(self.job is None)

    @Slot()
    def start(self) -> bool:
        """Ask the worker for the landscape of the side panel's run and the optimizers named;
        False (and why, in the status line) when it cannot start."""
        from trainers.errors import DescentError

        if not self.engine_ready:
            self.status_label.setText("The engine is still loading.")
            return False
        try:
            runs = plan_runs(self.base_config().validate(), self.optimizers_edit.text())
        except DescentError as exc:
            self.status_label.setText(f"{exc}")
            return False
        spec = landscape.LandscapeSpec(runs=runs, grid=self.grid_spin.value())
        job = self.worker.request_landscape(spec)
        if job is None:
            self.status_label.setText("A run is in progress: stop it or let it end, then Compute.")
            return False
        self.job, self.spec, self.result, self._message = job, spec, None, ""
        self.labels = [label for label, _ in runs]
        self.epochs = runs[0][1].epochs
        self.paths_plot.set_runs(self.labels)
        self.slice_plot.clear_map()
        self.lines_plot.clear_lines()
        self._show_key(self.labels)
        self._show_note("")
        self.status_label.setText(
            f"Training {len(runs)} run(s) on {runs[0][1].dataset} from the same weights..."
        )
        self.compute_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.sig_landscape_started.emit()
        return True

    @Slot()
    def stop(self) -> None:
        if self.job is not None:
            self.worker.stop()
            self.stop_button.setEnabled(False)
            self.status_label.setText("Stopping after the steps in progress...")

    # ============================================================================== drawing
    def _show_key(self, labels: list[str]) -> None:
        """Each of `labels` after a square of its colour (`run_style(index)`): the runs' paths
        and lines, then any line between two runs' ends."""
        from gui.plots.theme import run_style

        entries = [
            f'<span style="color: {run_style(index)[0].name()}">&#9632;</span>&nbsp;{escape(label)}'
            for index, label in enumerate(labels)
        ]
        lines = (
            "; lines: solid training, dashed validation" if len(labels) > len(self.labels) else ""
        )
        self.key_label.setText(" &nbsp; ".join(entries) + lines)

    def _show_note(self, text: str, low: bool = False) -> None:
        self.note_label.setText(text)
        self.note_label.setProperty("severity", "warning" if low else "")
        style = SEVERITY_STYLE["warning"] if low else ""
        self.note_label.setStyleSheet(f"#landscapeNote {{ {style} }}" if style else "")

    def _show_share(self, share: float, so_far: bool) -> None:
        text = landscape.explained_note(share)
        if so_far:
            text = f"So far: {text[0].lower()}{text[1:]}"
        self._show_note(text, share < landscape.LOW_EXPLAINED)

    @Slot(object)
    def _on_events(self, events: list) -> None:
        latest = None
        for event in events:
            if self.job is None or event.key.job != self.job:
                continue
            match event:
                case PathsMoved():
                    latest = event  # each holds every path so far: the newest is enough
                case Started(label=label):
                    self.status_label.setText(f"Training {label}...")
                case EpochEnded(epoch=epoch) if event.key.member is not None:
                    label = self._label(event.key.member)
                    self.status_label.setText(f"Training {label}: epoch {epoch} of {self.epochs}")
                case Failed(message=message):
                    self._message = message
                case Status(text=text) if event.key.member is None:
                    self.status_label.setText(text)
        if latest is not None:
            self.paths_plot.show_paths(latest.paths)
            self._show_share(latest.explained, so_far=True)

    def _label(self, member: int) -> str:
        return self.labels[member] if 0 <= member < len(self.labels) else f"run {member + 1}"

    @Slot(int, object)
    def _on_finished(self, job: int, result) -> None:
        if job != self.job:
            return
        self.job = None
        self.result = result
        self.compute_button.setEnabled(self.engine_ready)
        self.stop_button.setEnabled(False)
        if result is None:
            why = self._message or "see the status bar"
            self.status_label.setText(f"The landscape was not computed: {why}")
            self.sig_landscape_finished.emit(None)
            return
        self._draw_result(result)
        self.status_label.setText(self.ended_text(result))
        self.sig_landscape_finished.emit(result)

    def _draw_result(self, result: landscape.Landscape) -> None:
        """What the job computed: the lines, the slice, the paths on the final plane with the
        loss under them (a stopped job has only some of them)."""
        if result.lines:
            self.lines_plot.show_lines(result.lines)
            # Each run's line is in its run's colour; the lines between runs' ends come after.
            self._show_key(self.labels + [line.label for line in result.lines[len(self.labels) :]])
        if result.slice is not None:
            self.slice_plot.show_slice(result.slice, self._label(self.spec.slice_of))
        if result.paths:
            self.paths_plot.show_paths(result.paths)
        if result.paths_map is not None and result.plane is not None:
            self.paths_plot.show_plane(result.paths_map, result.plane.explained)
        if result.plane is not None:
            self._show_share(result.plane.share, so_far=False)

    @staticmethod
    def ended_text(result: landscape.Landscape) -> str:
        """The status line at the end of a job."""
        if result.status != "completed":
            what = "Stopped" if result.status == "stopped" else "Not finished"
            why = f": {result.message}" if result.message else "."
            return f"{what}{why} What was computed is shown."
        maps = [m for m in (result.slice, result.paths_map) if m is not None]
        grid = f"{len(maps[0].xs)} x {len(maps[0].ys)}" if maps else ""
        seconds = sum(m.seconds for m in maps)
        return (
            f"Done in {result.seconds:.1f} s: {len(result.labels)} run(s) trained, the two "
            f"{grid} maps computed in {seconds:.1f} s."
        )
