"""Views of why a run behaves as it does: inside the optimizer, and the decision regions.

`OptimizerInsideView` plots, per update, the size of the step ||w_t - w_(t-1)|| and the
optimizer's effective learning rate (the median over weights of what multiplies the gradient),
so AdaGrad's fading rate and RMSprop's steady one are seen, not just read about.
`DecisionBoundaryPlot` colours the plane by the model's predicted class under the training
points of a 2-D classification dataset, as TensorFlow Playground does, after every epoch.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QTransform
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.plots import CurveBuffer, add_legend, themed

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


class _LogStepPlot(pg.PlotWidget):
    """One quantity per step on a log axis, fed from a doubling buffer."""

    def __init__(self, object_name: str, title: str, ylabel: str, color: QColor) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setAccessibleName(title)
        themed(self)
        self.setTitle(title)
        self.setLabel("bottom", "step (update)")
        self.setLabel("left", ylabel)
        self.setLogMode(y=True)
        self.curve = self.plot([], [], pen=pg.mkPen(color, width=1.5))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.buffer = CurveBuffer()
        self._dirty = False

    def clear_curve(self) -> None:
        self.buffer.clear()
        self._dirty = True
        self.enableAutoRange()

    def append(self, steps: np.ndarray, values: np.ndarray) -> None:
        # A log axis cannot show 0 (a step that changed nothing): leave such points out.
        keep = values > 0
        self.buffer.append(steps[keep], values[keep])
        self._dirty = True

    @property
    def dirty(self) -> bool:
        return self._dirty

    def refresh(self) -> None:
        if self._dirty:
            self._dirty = False
            self.curve.setData(self.buffer.xs, self.buffer.ys, connect="finite")


class OptimizerInsideView(QWidget):
    """Update size and effective learning rate per step for the run in view."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("optimizerInsideView")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel(
            "How far each update moves the weights, and the learning rate the optimizer really "
            "applies (the median over weights of what multiplies the gradient). SGD's rate is "
            "flat; AdaGrad's only falls; RMSprop's and Adam's follow recent gradients."
        )
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.update_plot = _LogStepPlot(
            "updateSizePlot", "Size of each update", "||w(t) - w(t-1)||", QColor(44, 160, 44)
        )
        self.rate_plot = _LogStepPlot(
            "effectiveRatePlot", "Effective learning rate", "rate", QColor(214, 39, 40)
        )
        self.rate_plot.setXLink(self.update_plot)
        layout.addWidget(self.update_plot, 1)
        layout.addWidget(self.rate_plot, 1)

    def clear(self) -> None:
        self.update_plot.clear_curve()
        self.rate_plot.clear_curve()

    def append(
        self, steps: np.ndarray, norms: np.ndarray, rate_steps: np.ndarray, rates: np.ndarray
    ) -> None:
        """Update sizes of `steps`; effective rates after the updates `rate_steps` (the
        session reads the rate once per chunk of steps)."""
        self.update_plot.append(steps, norms)
        self.rate_plot.append(rate_steps, rates)

    @property
    def dirty(self) -> bool:
        """Whether `refresh()` has something new to draw."""
        return self.update_plot.dirty or self.rate_plot.dirty

    def refresh(self) -> None:
        self.update_plot.refresh()
        self.rate_plot.refresh()


class DecisionBoundaryPlot(pg.PlotWidget):
    """Predicted class regions (colour, paler where the model is unsure) under the points."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("decisionBoundaryPlot")
        self.setAccessibleName("Decision regions")
        themed(self)
        self.setTitle("Decision regions (2-D classification data only)")
        self.setLabel("bottom", "x1 (standardized)")
        self.setLabel("left", "x2 (standardized)")
        self.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(255, 255, 255, 160))
        self.addItem(self.points)
        self.legend = add_legend(self)
        self._pending = None
        self.epoch = None
        self.axes = None

    def set_points(self, points: tuple[np.ndarray, np.ndarray] | None, axes, class_names) -> None:
        """The training points and the grid of this run (None: not a 2-D classification)."""
        self.image.clear()
        self.points.clear()
        self.legend.clear()
        self.epoch = None
        self.axes = axes
        if points is None:
            self.setTitle("Decision regions: for 2-D classification datasets (moons, spirals...)")
            return
        x, y = points
        brushes = [pg.mkBrush(*CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in y]
        self.points.setData(x[:, 0], x[:, 1], brush=brushes)
        for k, name in enumerate(class_names):
            sample = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(*CLASS_COLORS[k % 10]))
            self.legend.addItem(sample, f"class {name}")
        xs, ys = axes
        self.image.setRect(float(xs[0]), float(ys[0]), float(xs[-1] - xs[0]), float(ys[-1] - ys[0]))
        self.setTitle("Decision regions: waiting for the first epoch")

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
        self.setTitle(f"Decision regions after epoch {epoch}")
