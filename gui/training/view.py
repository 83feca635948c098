"""The Training tab and the views fed by the same run: the step, epoch and metric plots, the
page explaining the chosen optimizer and loss, the optimizer's inside view, the decision
regions and the sharpness (the last three are tabs of their own).

`TrainingView.handle(event)` takes the events of the window's own run; the window's frame
timer calls `redraw()`, which redraws at most one changed plot on screen per frame. The plots
are made by `build_plots()` after the window's first paint: pyqtgraph takes half a second to
import.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui import settings as remembered
from gui.settings import Setting
from gui.widgets import named
from gui.widgets.markdown import MarkdownBrowser
from trainers.events import (
    Boundary,
    EpochEnded,
    Failed,
    Finished,
    OptimizerSteps,
    SharpnessMeasured,
    Started,
    Steps,
)

SETTINGS = (
    Setting("plots/log", "log_check", False),
    Setting("plots/smoothing", "smoothing_slider", 90),
)
METRIC_WORDS = {"accuracy": "accuracy", "mae": "mean absolute error"}
EPOCH_ROW_MIN_WIDTH = 520
"""Below this width of the plot column the two epoch plots stand one above the other."""


def metric_words(metric: str) -> str:
    """A Keras metric's name in words: "mae" -> "mean absolute error"."""
    return METRIC_WORDS.get(metric, metric.replace("_", " "))


def dataset_name(dataset: str) -> str:
    """What the user calls a dataset: its catalog name, or a data file's name."""
    from pathlib import Path

    from trainers import catalog

    try:
        return catalog.dataset_info(dataset).display_name
    except ValueError:  # a user's file or folder
        return Path(dataset).name


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
        # Wrapped onto a second line rather than widen the tab past a 1024-pixel window.
        self.run_label.setWordWrap(True)
        self.run_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        controls.addWidget(self.run_label, 1)
        layout.addLayout(controls)
        self.explanation = named(MarkdownBrowser(), "explanationView", "About this optimizer")
        self.explanation.setOpenExternalLinks(False)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.explanation)
        layout.addWidget(self.split, 1)
        # Made by build_plots(), after the first paint.
        self.step_plot = self.epoch_plot = self.metric_plot = None
        self.inside_view = self.boundary_plot = self.sharpness_view = None
        self._settings = None  # where the views made by build_plots() remember their choices
        self.info = None  # the RunInfo of the run whose curves are shown
        self.task = "binary"  # the task of the form's dataset
        self._shapes: dict[str, tuple[int, ...]] = {}  # input shapes of datasets described
        self._last_redrawn = -1  # index of the plot the last frame redrew

    def build_plots(self) -> None:
        """The step, epoch and metric plots, and the optimizer, boundary and sharpness views."""
        from gui.plots import EpochPlot, StepLossPlot
        from gui.training import sharpness
        from gui.training.boundary import DecisionBoundaryPlot
        from gui.training.inspect import OptimizerInsideView

        self.step_plot = StepLossPlot()
        self.epoch_plot = EpochPlot("epochLossPlot", "Loss by epoch", "loss")
        self.metric_plot = EpochPlot("metricPlot", "Accuracy by epoch", "accuracy")
        self.step_plot.set_smoothing(self.smoothing)
        self._on_log_toggled(self.log_check.isChecked())
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(self.step_plot)
        self.epoch_row = QSplitter(Qt.Orientation.Horizontal)
        self.epoch_row.addWidget(self.epoch_plot)
        self.epoch_row.addWidget(self.metric_plot)
        vertical.addWidget(self.epoch_row)
        vertical.setSizes([400, 260])
        vertical.installEventFilter(self)  # a narrow column stacks the epoch plots
        self.split.insertWidget(0, vertical)
        self.split.setStretchFactor(0, 1)
        self.split.setSizes([900, 300])
        self.inside_view = OptimizerInsideView()
        self.boundary_plot = DecisionBoundaryPlot()
        self.sharpness_view = sharpness.SharpnessView()
        if self._settings is not None:
            remembered.restore(self.sharpness_view, sharpness.SETTINGS, self._settings)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        """Side by side, the epoch plots need about 520 pixels; narrower, one above the other
        (at 1024x700 their titles and right-hand plot were cut)."""
        if event.type() == QEvent.Type.Resize and watched.width() > 0:
            wide = watched.width() >= EPOCH_ROW_MIN_WIDTH
            orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
            if self.epoch_row.orientation() != orientation:
                self.epoch_row.setOrientation(orientation)
        return False

    def restore_settings(self, settings) -> None:
        self._settings = settings
        remembered.restore(self, SETTINGS, settings)

    def save_settings(self, settings) -> None:
        remembered.save(self, SETTINGS, settings)
        if self.sharpness_view is not None:
            from gui.training import sharpness

            remembered.save(self.sharpness_view, sharpness.SETTINGS, settings)

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
            self.sharpness_view,
        )

    # ============================================================================ choices
    def show_explanation(self, optimizer: str | None, loss: str | None) -> None:
        """The student's page for the chosen optimizer and loss, beside the curves."""
        from assets import explanation

        self.explanation.show_markdown(
            "\n\n".join(explanation(name) for name in (optimizer, loss) if name)
        )

    def set_task(self, task: str) -> None:
        """The form's dataset is of `task` now: title the metric plot for it, unless the plot
        shows a run's curves, which keep their own title (the run's metric) until the next run."""
        self.task = task
        if self.info is None:
            self._title_metric("mae" if task == "regression" else "accuracy")

    def show_dataset(self, dataset: str, task: str, input_shape: tuple[int, ...]) -> None:
        """The worker has described the form's dataset: the boundary view says, while it shows
        no run's regions, whether this dataset can have them and why not."""
        self._shapes[dataset] = tuple(input_shape)
        if self.info is None:
            self.boundary_plot.explain(dataset_name(dataset), task, input_shape)

    def _title_metric(self, metric: str) -> None:
        """Title and label the metric plot for `metric` (a Keras name: accuracy, mae ...)."""
        from gui.plots import place_legend, retitle

        words = metric_words(metric)
        retitle(self.metric_plot, f"{words[:1].upper()}{words[1:]} by epoch")
        self.metric_plot.set_ylabel(words)
        # Accuracy climbs to the top of its plot and an error falls to the bottom: keep the
        # legend out of the curves' way.
        place_legend(
            self.metric_plot.legend, "bottom-right" if metric == "accuracy" else "top-right"
        )

    def _label_units(self, task: str, metric: str, target_scale) -> None:
        """A regression trains on the standardized target: its loss and MAE axes say so, with
        the standard deviation that turns them back into the target's units."""
        from trainers.units import metric_label

        loss = metric_label(task, "loss", target_scale)
        self.step_plot.setLabel("left", loss)
        self.epoch_plot.set_ylabel(loss)
        if metric == "mae":
            self.metric_plot.set_ylabel(metric_label(task, metric, target_scale))

    def clear(self) -> None:
        """Forget the last run's curves and words (a new one is about to start)."""
        self.step_plot.clear_curves()
        self.epoch_plot.clear_curves()
        self.metric_plot.clear_curves()
        self.inside_view.clear()
        self.boundary_plot.set_points(None, None, [])
        self.sharpness_view.clear()
        self.run_label.setText("")
        self.info = None
        self._label_units("", "", (0.0, 1.0))
        self.set_task(self.task)  # titled for the form's dataset until the run says its metric

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
            case SharpnessMeasured():
                self.sharpness_view.append(event)
            case Finished() | Failed():
                # A stopped or failed run ends short of its planned steps: the axis fits them.
                self.step_plot.end_following()
                self.sharpness_view.end_following()

    def _started(self, info) -> None:
        self.info = info
        validation = info.n_val > 0
        self.step_plot.follow_run(info.total_steps)
        self.epoch_plot.follow_run(info.config.epochs, validation)
        self.metric_plot.follow_run(info.config.epochs, validation)
        self.sharpness_view.follow_run(info)
        from trainers import catalog

        config = info.config
        name = catalog.optimizer_info(config.optimizer).display_name
        loss = catalog.loss_info(info.loss).display_name
        self.run_label.setText(
            f"{dataset_name(config.dataset)} · {name} · {loss} · "
            f"lr {config.learning_rate():g} · batch {info.batch_size}"
        )
        self._title_metric(info.metric)
        self._label_units(info.task, info.metric, info.target_scale)
        self._epoch(0, info.initial_logs)  # epoch 0: the untrained model
        names = [str(c) for c in np.unique(info.points[1])] if info.points is not None else []
        self.boundary_plot.set_points(info.points, info.grid_axes, names)
        if info.points is None:
            shape = self._shapes.get(config.dataset)
            self.boundary_plot.explain(dataset_name(config.dataset), info.task, shape)

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
