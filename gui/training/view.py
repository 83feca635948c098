"""The Training tab and the views fed by the same run: the step, epoch and metric plots, the
page explaining the chosen optimizer and loss, the optimizer's inside view and the decision
regions (the last two are tabs of their own).

`TrainingView.handle(event)` takes the events of the window's own run; the window's frame
timer calls `redraw()`, which redraws at most one changed plot on screen per frame. The plots
are made by `build_plots()` after the window's first paint: pyqtgraph takes half a second to
import.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gui import settings as remembered
from gui.settings import Setting
from gui.widgets import named
from trainers.events import Boundary, EpochEnded, OptimizerSteps, Started, Steps

SETTINGS = (
    Setting("plots/log", "log_check", False),
    Setting("plots/smoothing", "smoothing_slider", 90),
)


class TrainingView(QWidget):
    """The plots of the run in training, with their controls, and the explanation beside them."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        self.log_check = named(QCheckBox("Log scale"), "logScaleCheck", "Logarithmic loss axis")
        self.log_check.toggled.connect(self._on_log_toggled)
        controls.addWidget(self.log_check)
        controls.addSpacing(16)
        controls.addWidget(QLabel("Smoothing"))
        self.smoothing_slider = named(
            QSlider(Qt.Orientation.Horizontal), "smoothingSlider", "Smoothing of the step loss"
        )
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setValue(90)
        self.smoothing_slider.setMaximumWidth(200)
        self.smoothing_slider.setToolTip("How strongly the bold line averages the step losses")
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        controls.addWidget(self.smoothing_slider)
        controls.addStretch(1)
        self.run_label = named(QLabel(""), "runLabel", "Run description")
        controls.addWidget(self.run_label)
        layout.addLayout(controls)
        self.explanation = named(QTextBrowser(), "explanationView", "About this optimizer")
        self.explanation.setOpenExternalLinks(False)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.explanation)
        layout.addWidget(self.split, 1)
        # Made by build_plots(), after the first paint.
        self.step_plot = self.epoch_plot = self.metric_plot = None
        self.inside_view = self.boundary_plot = None
        self.info = None
        self._last_redrawn = -1  # index of the plot the last frame redrew

    def build_plots(self) -> None:
        """The step, epoch and metric plots, and the optimizer and boundary views."""
        from gui.plots import EpochPlot, StepLossPlot
        from gui.training.boundary import DecisionBoundaryPlot
        from gui.training.inspect import OptimizerInsideView

        self.step_plot = StepLossPlot()
        self.epoch_plot = EpochPlot("epochLossPlot", "Loss by epoch", "loss")
        self.metric_plot = EpochPlot("metricPlot", "Accuracy by epoch", "accuracy")
        self.step_plot.set_smoothing(self.smoothing)
        self._on_log_toggled(self.log_check.isChecked())
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(self.step_plot)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.epoch_plot)
        bottom.addWidget(self.metric_plot)
        vertical.addWidget(bottom)
        vertical.setSizes([400, 260])
        self.split.insertWidget(0, vertical)
        self.split.setStretchFactor(0, 1)
        self.split.setSizes([900, 300])
        self.inside_view = OptimizerInsideView()
        self.boundary_plot = DecisionBoundaryPlot()

    def restore_settings(self, settings) -> None:
        remembered.restore(self, SETTINGS, settings)

    def save_settings(self, settings) -> None:
        remembered.save(self, SETTINGS, settings)

    @property
    def smoothing(self) -> float:
        """The smoothing the user chose, 0 (raw) to 0.99."""
        return self.smoothing_slider.value() / 100.0

    @property
    def log_scale(self) -> bool:
        return self.log_check.isChecked()

    def _views(self) -> tuple:
        return (
            self.step_plot,
            self.epoch_plot,
            self.metric_plot,
            self.inside_view,
            self.boundary_plot,
        )

    # ============================================================================ choices
    def show_explanation(self, optimizer: str | None, loss: str | None) -> None:
        """The student's page for the chosen optimizer and loss, beside the curves."""
        from assets import explanation

        self.explanation.setMarkdown(
            "\n\n".join(explanation(name) for name in (optimizer, loss) if name)
        )

    def set_task(self, task: str) -> None:
        """Title the metric plot for `task`: accuracy, or the mean absolute error."""
        from gui.plots import place_legend

        metric = "mean absolute error" if task == "regression" else "accuracy"
        self.metric_plot.setTitle(f"{metric.capitalize()} by epoch")
        self.metric_plot.set_ylabel(metric)
        # Accuracy climbs to the top of its plot and an error falls to the bottom: keep the
        # legend out of the curves' way.
        place_legend(
            self.metric_plot.legend, "top-right" if task == "regression" else "bottom-right"
        )

    def clear(self) -> None:
        """Forget the last run's curves (a new one is about to start)."""
        self.step_plot.clear_curves()
        self.epoch_plot.clear_curves()
        self.metric_plot.clear_curves()
        self.inside_view.clear()
        self.info = None

    # ============================================================================= events
    def handle(self, event) -> None:
        """Take one event of the window's own run."""
        match event:
            case Started(info=info):
                self._started(info)
            case Steps(steps=steps, losses=losses):
                self.step_plot.append(steps, losses)
            case EpochEnded(epoch=epoch, logs=logs):
                self._epoch(epoch, logs)
            case OptimizerSteps():
                self.inside_view.append(
                    event.steps, event.update_sizes, event.rate_steps, event.rates
                )
            case Boundary(epoch=epoch, probabilities=probabilities):
                self.boundary_plot.show_probabilities(epoch, probabilities)

    def _started(self, info) -> None:
        self.info = info
        self.step_plot.follow_run(info.total_steps)
        self.epoch_plot.follow_run(info.config.epochs)
        self.metric_plot.follow_run(info.config.epochs)
        from trainers import catalog

        config = info.config
        name = catalog.optimizer_info(config.optimizer).display_name
        self.run_label.setText(
            f"{name} · {info.loss} · lr {config.learning_rate():g} · batch {info.batch_size}"
        )
        self.metric_plot.set_ylabel(info.metric)
        self._epoch(0, info.initial_logs)  # epoch 0: the untrained model
        names = [str(c) for c in np.unique(info.points[1])] if info.points is not None else []
        self.boundary_plot.set_points(info.points, info.grid_axes, names)

    def _epoch(self, epoch: int, logs) -> None:
        self.epoch_plot.append(epoch, logs.get("loss"), logs.get("val_loss"))
        metric = self.info.metric if self.info else "accuracy"
        self.metric_plot.append(epoch, logs.get(metric), logs.get(f"val_{metric}"))

    # ============================================================================ drawing
    def redraw(self, everything: bool = False) -> None:
        """Redraw the plots that changed: those on screen one per frame, taking turns.

        Repainting a plot whose ranges moved costs 5-25 ms of this thread on two busy cores
        (its axes are laid out again); the epoch plots both change at an epoch's end, and
        drawing them and the step plot in the same frame made the window late by 40-70 ms
        (bench/bench_responsiveness.py). Plots not on screen keep their new points in their
        buffers and draw them once shown: giving them the data every frame cost time that
        grew with the run (a log axis transforms every point again: 8 ms a frame for the
        hidden optimizer view at a million steps). The run's end draws all.
        """
        views = self._views()
        if views[0] is None:
            return
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
        if self.step_plot is None:  # not built yet: build_plots() reads the box
            return
        self.step_plot.setLogMode(y=on)
        self.epoch_plot.setLogMode(y=on)

    @Slot(int)
    def _on_smoothing_changed(self, value: int) -> None:
        if self.step_plot is not None:
            self.step_plot.set_smoothing(value / 100.0)
