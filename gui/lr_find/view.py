"""The Learning rate tab: the range test of the side panel's model and optimizer, live.

The user sets the lowest and highest rate, the steps and the seeds, and presses Run. As the
test trains, each seed's smoothed loss is drawn against the rate; at the end the median over
the seeds, the band from the lowest to the highest, and the three rules' suggestions (a dot on
the curve and a line at its rate) replace them. "Use this rate" puts the chosen suggestion in
the side panel's learning rate. The page beside the plot explains the test and its pitfalls.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from assets import instrument_page
from gui.widgets import guard_inputs, named
from gui.widgets.forms import ScientificSpinBox
from gui.widgets.markdown import MarkdownBrowser
from trainers import lr_find
from trainers.events import Failed, RangeSteps, Status

MAX_SEEDS = 16
DEFAULT_SEEDS = 3
RULE_NAMES = {
    "steepest": "Steepest fall",
    "minimum/10": "Minimum / 10",
    "valley": "Valley",
}


ENDINGS = {
    "exploded": "stopped at 4x its best smoothed loss",
    "diverged": "stopped at a loss that is not a number",
    "stopped": "stopped when you pressed Stop",
}


def how_seeds_ended(curves) -> str:
    """ "Of 3 seeds, 2 ran all 200 steps; 1 stopped at 4x its best smoothed loss, at step
    187." for a range test's curves."""
    steps: dict[str, list[int]] = {}
    for curve in curves:
        steps.setdefault(curve.ended, []).append(len(curve.rates))
    alone = len(curves) == 1
    parts = []
    for ended, lengths in steps.items():
        who = "It" if alone else str(len(lengths))
        if ended == "completed":
            parts.append(f"{who} ran all {max(lengths)} steps")
            continue
        low, high = min(lengths), max(lengths)
        at = f"step {low}" if low == high else f"steps {low}-{high}"
        parts.append(f"{who} {ENDINGS.get(ended, ended)}, at {at}")
    if alone:
        return parts[0] + "."
    return f"Of {len(curves)} seeds, " + "; ".join(parts) + "."


class RangeTestView(QWidget):
    """The Learning rate tab over `worker` (a `gui.worker.TrainingWorker`). `base_config()`
    gives the side panel's RunConfig; `use_rate(rate)` puts a rate into the side panel."""

    sig_test_started = Signal()
    sig_test_finished = Signal(object)  # the trainers.lr_find.RangeTest, or None
    sig_use_rate = Signal(float)

    def __init__(self, worker, base_config, parent=None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.base_config = base_config
        self.engine_ready = False
        self.job: int | None = None
        self.config = None
        self.test: lr_find.RangeTest | None = None
        self.rates = np.empty(0)
        self.losses = np.empty((0, 0))
        self._message = ""
        self._curves: list = []  # one live curve per seed, then the median
        self._extras: list = []  # the band, the suggestions' dots and lines
        self.marks: dict[str, tuple] = {}  # rule -> (its dot on the curve, its line)
        self.band_edges: list = []  # the lowest and the highest seed's curve
        self._build()
        worker.sig_events.connect(self._on_events)
        worker.sig_lr_find.connect(self._on_finished)
        worker.sig_ready.connect(self._on_ready)

    # ============================================================================== layout
    def _build(self) -> None:
        import pyqtgraph as pg

        from gui.plots.theme import add_legend, dress

        choices = QGroupBox("Learning-rate range test")
        strip = QHBoxLayout(choices)
        form = QFormLayout()
        self.low_spin = named(ScientificSpinBox(), "rangeLowSpin", "Lowest rate")
        self.low_spin.setRange(1e-12, 1e3)
        self.low_spin.setValue(lr_find.ETA_MIN)
        self.high_spin = named(ScientificSpinBox(), "rangeHighSpin", "Highest rate")
        self.high_spin.setRange(1e-12, 1e6)
        self.high_spin.setValue(lr_find.ETA_MAX)
        self.steps_spin = named(QSpinBox(), "rangeStepsSpin", "Steps")
        self.steps_spin.setRange(lr_find.MIN_STEPS, lr_find.MAX_STEPS)
        self.steps_spin.setValue(lr_find.STEPS)
        self.seeds_spin = named(QSpinBox(), "rangeSeedsSpin", "Seeds")
        self.seeds_spin.setRange(1, MAX_SEEDS)
        self.seeds_spin.setValue(DEFAULT_SEEDS)
        self.seeds_spin.setToolTip(
            "Initial weights to test, from the side panel's seed on; they train together in "
            "one compiled step, and the suggestions come from their median curve"
        )
        form.addRow("Lowest rate", self.low_spin)
        form.addRow("Highest rate", self.high_spin)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Seeds", self.seeds_spin)
        strip.addLayout(form, 1)

        right = QFormLayout()
        self.run_button = named(QPushButton("Run range test"), "runRangeTest", "Run range test")
        self.stop_button = named(QPushButton("Stop"), "stopRangeTest", "Stop the range test")
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        right.addRow(buttons)
        self.rule_combo = named(QComboBox(), "rangeRuleCombo", "Suggested rate")
        self.use_button = named(
            QPushButton("Use this rate"),
            "useRangeRate",
            "Use this rate",
            tip="Put the chosen suggestion into the side panel's learning rate",
        )
        self.use_button.clicked.connect(self.use_rate)
        right.addRow("Suggestion", self.rule_combo)
        right.addRow(self.use_button)
        strip.addLayout(right, 1)
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.use_button.setEnabled(False)
        self.rule_combo.setEnabled(False)

        self.status_label = named(
            QLabel("Tests the side panel's model and optimizer. Set the range, then Run."),
            "rangeStatus",
            "Range test status",
        )
        self.status_label.setWordWrap(True)
        self.plot = dress(
            pg.PlotWidget(),
            "rangePlot",
            "",
            "learning rate",
            "smoothed training loss",
            accessible="Range test curve",
            strong_title=True,
        )
        self.plot.setLogMode(x=True, y=False)
        add_legend(self.plot, "top-left")  # the curve is low there, and rises at the right
        self.page = named(MarkdownBrowser(), "rangePage", "About the range test")
        try:
            self.page.show_markdown(instrument_page("lr_range_test"))
        except ValueError as exc:  # a broken install: the tab still works without its page
            self.page.setPlainText(f"This page is missing from the install ({exc}).")
        self.page.setOpenExternalLinks(False)

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(choices)
        column.addWidget(self.status_label)
        column.addWidget(self.plot, 1)
        splitter = named(QSplitter(Qt.Orientation.Horizontal), "rangeSplitter", "Range test")
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
        self.run_button.setEnabled(self.job is None)

    def seeds(self, config) -> list[int]:
        return [config.seed + i for i in range(self.seeds_spin.value())]

    @Slot()
    def start(self) -> bool:
        """Ask the worker for the test of the side panel's run; False (and why, in the
        status line) when it cannot start."""
        from trainers.errors import DescentError

        if not self.engine_ready:
            self.status_label.setText("The engine is still loading.")
            return False
        low, high, steps = self.low_spin.value(), self.high_spin.value(), self.steps_spin.value()
        try:
            lr_find.check_range(low, high, steps)
            config = self.base_config().validate()
        except DescentError as exc:
            self.status_label.setText(f"{exc}")
            return False
        job = self.worker.request_lr_find(config, low, high, steps, self.seeds(config))
        if job is None:
            self.status_label.setText("A run is in progress: stop it or let it end, then Run.")
            return False
        self.job, self.config, self.test, self._message = job, config, None, ""
        self.rates = np.empty(0)
        self.losses = np.empty((0, self.seeds_spin.value()))
        self._clear()
        self.status_label.setText(
            f"Testing {config.optimizer} on {config.dataset} from {low:g} to {high:g} over "
            f"{steps} steps, {self.seeds_spin.value()} seed(s)..."
        )
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.use_button.setEnabled(False)
        self.rule_combo.setEnabled(False)
        self.sig_test_started.emit()
        return True

    @Slot()
    def stop(self) -> None:
        if self.job is not None:
            self.worker.stop()
            self.stop_button.setEnabled(False)
            self.status_label.setText("Stopping after the step in progress...")

    @Slot()
    def use_rate(self) -> None:
        rate = self.rule_combo.currentData()
        if rate is None or self.test is None:
            return
        tested, now = self.test.config, self.base_config()
        changed = [
            f"{what} ({getattr(tested, name)} tested, {getattr(now, name)} now)"
            for name, what in (("optimizer", "the optimizer"), ("dataset", "the data"))
            if getattr(tested, name) != getattr(now, name)
        ]
        if changed:
            self.status_label.setText(
                f"The side panel has changed since the test: {'; '.join(changed)}. Run the "
                f"test again for a rate that fits it."
            )
            return
        self.sig_use_rate.emit(float(rate))
        rule = RULE_NAMES.get(self.rule_combo.currentText().split(":")[0], "")
        self.status_label.setText(
            f"The side panel's learning rate is now {rate:.3g} ({rule.lower() or 'chosen'})."
        )

    # ============================================================================== drawing
    def _clear(self) -> None:
        from gui.plots.theme import set_title

        for item in [*self._curves, *self._extras]:
            self.plot.removeItem(item)
        self._curves, self._extras, self.marks, self.band_edges = [], [], {}, []
        self.plot.getPlotItem().legend.clear()
        self.rule_combo.clear()
        title = ""
        if self.config is not None:
            title = f"{self.config.optimizer} on {self.config.dataset}: loss as the rate grows"
        set_title(self.plot, title)

    def _live_curves(self, seeds: int) -> None:
        import pyqtgraph as pg

        from gui.plots.theme import run_style

        while len(self._curves) < seeds:
            index = len(self._curves)
            color, _style = run_style(0)
            curve = pg.PlotDataItem(
                pen=pg.mkPen(color, width=1.5), name="each seed" if index == 0 else None
            )
            self.plot.addItem(curve)
            self._curves.append(curve)

    def smoothed_so_far(self) -> list[np.ndarray]:
        """Each seed's smoothed loss over the steps it has run (up to its last finite loss)."""
        found = []
        for column in self.losses.T:
            ran = np.flatnonzero(np.isfinite(column))
            upto = int(ran[-1]) + 1 if len(ran) else 0
            found.append(lr_find.smooth(column[:upto]) if upto else np.empty(0))
        return found

    @Slot(object)
    def _on_events(self, events: list) -> None:
        changed = False
        for event in events:
            if self.job is None or event.key.job != self.job:
                continue
            match event:
                case RangeSteps(rates=rates, losses=losses):
                    self.rates = np.concatenate([self.rates, rates])
                    if self.losses.shape[1] != losses.shape[1]:
                        self.losses = np.empty((0, losses.shape[1]))
                    self.losses = np.vstack([self.losses, losses])
                    changed = True
                case Failed(message=message):
                    self._message = message
                case Status(text=text) if not self.rates.size:
                    self.status_label.setText(text)
        if changed:
            self._draw_live()

    def _draw_live(self) -> None:
        smoothed = self.smoothed_so_far()
        self._live_curves(len(smoothed))
        for curve, ys in zip(self._curves, smoothed, strict=False):
            curve.setData(self.rates[: len(ys)], ys)
        self.status_label.setText(
            f"Step {len(self.rates)} of {self.steps_spin.value()}: rate {self.rates[-1]:.3g}"
        )

    @Slot(int, object)
    def _on_finished(self, job: int, test) -> None:
        if job != self.job:
            return
        self.job = None
        self.test = test
        self.run_button.setEnabled(self.engine_ready)
        self.stop_button.setEnabled(False)
        if test is None:
            why = self._message or "see the status bar"
            self.status_label.setText(f"The range test did not run: {why}")
            self.sig_test_finished.emit(None)
            return
        self._draw_result(test)
        self.status_label.setText(
            f"Done in {test.seconds:.1f} s. {how_seeds_ended(test.curves)} The weights and "
            f"optimizer state are as before. Pick a suggestion, then Use this rate."
        )
        self.sig_test_finished.emit(test)

    def _draw_result(self, test) -> None:
        """The median over the seeds with its band, and each rule's suggestion."""
        import pyqtgraph as pg

        from gui.plots.theme import dots, run_style

        self._clear()
        xs, median, low, high = test.band()
        color, _style = run_style(0)
        seeds = len(test.curves)
        if seeds > 1:
            shade = pg.mkBrush(color.red(), color.green(), color.blue(), 60)
            edges = []
            for ys in (low, high):
                edge = pg.PlotDataItem(xs, ys, pen=pg.mkPen(color.lighter(150), width=1))
                self.plot.addItem(edge)
                edges.append(edge)
            fill = pg.FillBetweenItem(*edges, brush=shade)
            self.plot.addItem(fill)
            self._extras += [*edges, fill]
            self.band_edges = edges
        label = f"median of {seeds} seeds" if seeds > 1 else f"seed {test.seeds[0]}"
        line = pg.PlotDataItem(xs, median, pen=pg.mkPen(color, width=2.5), name=label)
        self.plot.addItem(line)
        self._curves = [line]
        default = 0
        for index, (rule, rate) in enumerate(test.suggested().items(), start=1):
            if rate is None:
                continue
            mark, _ = run_style(index)
            at = float(np.interp(np.log(rate), np.log(xs), median))
            dot = pg.PlotDataItem(
                [rate], [at], pen=None, name=f"{rule}: {rate:.2g}", **dots(mark, 10)
            )
            guide = pg.InfiniteLine(
                pos=np.log10(rate), angle=90, pen=pg.mkPen(mark, width=1, style=Qt.DashLine)
            )
            for item in (guide, dot):
                self.plot.addItem(item)
            self._extras += [guide, dot]
            self.marks[rule] = (dot, guide)
            self.rule_combo.addItem(f"{rule}: {rate:.3g}", rate)
            if rule == "valley":
                default = self.rule_combo.count() - 1
        self.rule_combo.setCurrentIndex(default)
        has_rates = self.rule_combo.count() > 0
        self.rule_combo.setEnabled(has_rates)
        self.use_button.setEnabled(has_rates)
