"""The Sharpness tab: the run's λmax, the largest eigenvalue of its loss's Hessian, against the
stability threshold of its optimizer (2/η for gradient descent), as it trains.

The engine measures it when the run's `sharpness_every` is set (the side panel's "Sharpness
every"), at the start and every N steps, and reports each measurement as a `SharpnessMeasured`
event. The plot draws them as dots on a line and the threshold dashed; the line above it says
where the latest stands (`trainers.sharpness.verdict`), and the page beside it explains how to
read it. A run that does not measure it shows the line that says how to turn it on instead.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from assets import instrument_page
from gui.settings import Setting
from gui.widgets import named
from gui.widgets.markdown import MarkdownBrowser

SETTINGS = (Setting("plots/sharpness_log", "log_check", False),)
OFF_HINT = (
    "This run does not measure its sharpness. Set \u201cSharpness every\u201d in the side "
    "panel's Training group to a number of steps and train again."
)
WAITING = "Sharpness is measured at the start and every {every} steps."
TITLE = "Sharpness against the stability threshold"
QUANTITY_NAMES = {
    "lambda_max": "sharpness λmax",
    "preconditioned lambda_max": "preconditioned sharpness",
}


class SharpnessView(QWidget):
    """λmax by step with the optimizer's stability threshold, for the run in view."""

    def __init__(self, parent=None) -> None:
        import pyqtgraph as pg

        from gui.plots import LogAxis, add_legend, dots, dress
        from gui.plots.theme import PALETTE

        super().__init__(parent)
        self.setObjectName("sharpnessView")
        self.verdict = named(QLabel(OFF_HINT), "sharpnessVerdict", "Sharpness now")
        self.verdict.setWordWrap(True)
        self.log_check = named(
            QCheckBox("Log scale"), "sharpnessLogCheck", "Logarithmic sharpness axis"
        )
        self.log_check.toggled.connect(self._on_log_toggled)
        self.plot = dress(
            pg.PlotWidget(axisItems={"left": LogAxis("left")}),
            "sharpnessPlot",
            TITLE,
            "step (update)",
            "largest eigenvalue of the Hessian",
            accessible="Sharpness plot",
            strong_title=True,
        )
        self.legend = add_legend(self.plot, "bottom-right")  # λmax rises toward the threshold
        value_colour, bound_colour = PALETTE[0], PALETTE[3]
        self.values = self.plot.plot(
            [],
            [],
            pen=pg.mkPen(value_colour, width=2),
            **dots(value_colour, 6),
            name=QUANTITY_NAMES["lambda_max"],
        )
        self.bound = self.plot.plot(
            [],
            [],
            pen=pg.mkPen(bound_colour, width=2, style=Qt.PenStyle.DashLine),
            name="stability threshold 2/η",
        )
        self.page = named(MarkdownBrowser(), "sharpnessPage", "About sharpness")
        try:
            self.page.show_markdown(instrument_page("sharpness"))
        except ValueError as exc:  # a broken install: the tab still works without its page
            self.page.setPlainText(f"This page is missing from the install ({exc}).")
        self.page.setOpenExternalLinks(False)

        top = QHBoxLayout()
        top.addWidget(self.verdict, 1)
        top.addWidget(self.log_check, 0, Qt.AlignmentFlag.AlignTop)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.plot, 1)
        self.splitter = named(
            QSplitter(Qt.Orientation.Horizontal), "sharpnessSplitter", "Sharpness"
        )
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.page)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([700, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.steps: list[int] = []
        self.measured: list[float] = []
        self.bounds: list[float] = []  # NaN where the optimizer has no threshold
        self.total_steps = 0  # the run's planned steps, while it trains; 0 once it ended
        self.quantity = "lambda_max"
        self.rule: str | None = "2/η"  # the threshold's formula for the run's optimizer
        self.every = 0
        self._dirty = False
        self.plot.hide()

    # ============================================================================== a run
    def clear(self) -> None:
        """No run: the hint, and empty curves."""
        self.steps, self.measured, self.bounds = [], [], []
        self.total_steps, self.every = 0, 0
        self.verdict.setText(OFF_HINT)
        self.plot.hide()
        self.plot.enableAutoRange()
        self._dirty = True

    def follow_run(self, info) -> None:
        """A run started (its `RunInfo`): show the plot over its planned steps if it measures
        its sharpness, the hint if it does not."""
        from gui.plots import set_title
        from trainers import catalog
        from trainers.sharpness import formula, threshold

        config = info.config
        self.clear()
        self.every = config.sharpness_every
        if not self.every:
            return
        name = catalog.optimizer_info(config.optimizer).display_name
        set_title(self.plot, f"{name} at η = {config.learning_rate():g}: {TITLE.lower()}")
        self.total_steps = info.total_steps
        self.rule = formula(config.optimizer, config.hyperparameters)
        known = threshold(config.optimizer, config.hyperparameters)
        self.quantity = known[1] if known else "lambda_max"  # the events say it too
        self._name(self.values, QUANTITY_NAMES[self.quantity])
        self._name(self.bound, f"stability threshold {self.rule}" if self.rule else None)
        self.verdict.setText(WAITING.format(every=self.every))
        self.plot.show()
        self.plot.getViewBox().disableAutoRange(axis="x")
        self.plot.setXRange(0, max(self.total_steps, 1), padding=0.02)
        self.plot.enableAutoRange(axis="y")

    def end_following(self) -> None:
        """The run ended: the step axis fits the steps measured (a stopped run's are fewer)."""
        if self.total_steps:
            self.total_steps = 0
            self.plot.enableAutoRange()
            self._dirty = True

    def append(self, event) -> None:
        """One `SharpnessMeasured` of the run in view."""
        if self.quantity != event.quantity:
            self.quantity = event.quantity
            self._name(self.values, QUANTITY_NAMES.get(event.quantity, event.quantity))
        self.steps.append(int(event.step))
        self.measured.append(float(event.value))
        self.bounds.append(np.nan if event.threshold is None else float(event.threshold))
        self._say(event)
        self._dirty = True

    def _say(self, event) -> None:
        from trainers.sharpness import verdict

        said = verdict(event.value, event.threshold, event.quantity, self.rule)
        self.verdict.setText(f"Step {event.step}: {said}")

    def _name(self, item, name: str | None) -> None:
        """Name `item` `name` (None: leave it out of the legend), the legend in plot order."""
        item.opts["name"] = name  # what PlotDataItem.name() answers
        self.legend.clear()
        for each in (self.values, self.bound):
            if each.name():
                self.legend.addItem(each, each.name())

    # ============================================================================ drawing
    @property
    def dirty(self) -> bool:
        """Whether `refresh()` has something new to draw."""
        return self._dirty

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        steps = np.asarray(self.steps, dtype=np.float64)
        bounds = np.asarray(self.bounds, dtype=np.float64)
        self.values.setData(steps, np.asarray(self.measured), connect="finite")
        if self.total_steps and len(steps):
            # While it trains, the threshold runs on to the run's planned end.
            steps = np.append(steps, max(self.total_steps, steps[-1]))
            bounds = np.append(bounds, bounds[-1])
        self.bound.setData(steps, bounds, connect="finite")

    @Slot(bool)
    def _on_log_toggled(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
