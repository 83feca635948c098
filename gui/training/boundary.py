"""The decision regions: the plane coloured by the model's predicted class under the training
points of a 2-D classification dataset, as TensorFlow Playground does, after every epoch. For
any other dataset the view says, in its middle, why it has nothing to draw."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QLabel

from gui.plots import add_legend, retitle, themed
from gui.widgets import named

CLASS_COLORS = np.array(
    [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ],
    dtype=np.float64,
)


class DecisionBoundaryPlot(pg.PlotWidget):
    """Predicted class regions (colour, paler where the model is unsure) under the points."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("decisionBoundaryPlot")
        self.setAccessibleName("Decision regions")
        themed(self)
        retitle(self, "Decision regions (2-D classification data only)")
        self.setLabel("bottom", "x1 (standardized)")
        self.setLabel("left", "x2 (standardized)")
        self.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(255, 255, 255, 160))
        self.addItem(self.points)
        self.legend = add_legend(self)
        self.reason = named(QLabel(self), "boundaryReasonLabel", "Why no regions are drawn")
        self.reason.setWordWrap(True)
        self.reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.reason.setStyleSheet("font-size: 12pt; padding: 24px;")
        self.reason.hide()
        self._pending = None
        self.epoch = None
        self.axes = None

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        reason = self.__dict__.get("reason")  # pyqtgraph resizes the view while it is made
        if reason is not None:
            reason.setGeometry(self.rect())  # centred over the whole plot

    def explain(self, name: str, task: str, input_shape: tuple[int, ...] | None) -> None:
        """Say in the middle of the empty plot whether dataset `name` (of `task`, inputs of
        `input_shape`, None if not known) can have decision regions, and why not."""
        drawn_for = "The decision boundary is drawn for datasets with two features"
        if task != "regression" and input_shape == (2,):
            text = f"Train to see how the model divides the plane of {name}."
        elif task == "regression":
            text = f"{drawn_for} and classes; {name} is a regression dataset."
        elif input_shape is None:
            text = f"{drawn_for}; {name} is not one."
        else:
            text = f"{drawn_for}; {name} has {math.prod(input_shape):,}."
        self.reason.setText(text)
        self.reason.setGeometry(self.rect())
        self.reason.show()

    def set_points(self, points: tuple[np.ndarray, np.ndarray] | None, axes, class_names) -> None:
        """The training points and the grid of this run (None: not a 2-D classification)."""
        self.image.clear()
        self.points.clear()
        self.legend.clear()
        self.epoch = None
        self.axes = axes
        self.reason.hide()  # what it said was of the last run or dataset
        if points is None:
            retitle(self, "Decision regions (2-D classification data only)")
            return
        x, y = points
        brushes = [pg.mkBrush(*CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in y]
        self.points.setData(x[:, 0], x[:, 1], brush=brushes)
        for k, name in enumerate(class_names):
            sample = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(*CLASS_COLORS[k % 10]))
            self.legend.addItem(sample, f"class {name}")
        xs, ys = axes
        self.image.setRect(float(xs[0]), float(ys[0]), float(xs[-1] - xs[0]), float(ys[-1] - ys[0]))
        retitle(self, "Decision regions: waiting for the first epoch")

    def show_probabilities(self, epoch: int, probabilities: np.ndarray) -> None:
        self._pending = (epoch, probabilities)

    @property
    def dirty(self) -> bool:
        """Whether `refresh()` has new probabilities to draw."""
        return self._pending is not None

    def refresh(self) -> None:
        if self._pending is None:
            return
        epoch, p = self._pending
        self._pending = None
        classes = p.shape[-1]
        colors = CLASS_COLORS[np.arange(classes) % len(CLASS_COLORS)]
        rgb = p @ colors  # a blend of the class colours, weighted by probability
        confidence = p.max(axis=-1, keepdims=True)
        # Pale where the model hesitates between classes, full colour where it is sure.
        floor = 1.0 / classes
        strength = (confidence - floor) / (1.0 - floor)
        rgb = 255.0 - (255.0 - rgb) * (0.25 + 0.55 * strength)
        self.image.setImage(
            np.clip(rgb, 0, 255).astype(np.uint8), autoLevels=False, levels=(0, 255)
        )
        # Map pixel (column, row) onto the data plane: columns follow x, rows follow y.
        xs, ys = self.axes
        transform = QTransform()
        transform.translate(float(xs[0]), float(ys[0]))
        transform.scale(float(xs[-1] - xs[0]) / rgb.shape[1], float(ys[-1] - ys[0]) / rgb.shape[0])
        self.image.setTransform(transform)
        self.epoch = epoch
        retitle(self, f"Decision regions after epoch {epoch}")
