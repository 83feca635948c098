"""Inside the optimizer: per update, the size of the step ||w_t - w_(t-1)|| and the optimizer's
effective learning rate (the median over weights of what multiplies the gradient), so AdaGrad's
fading rate and RMSprop's steady one are seen, not just read about."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.plots import LogStepPlot


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
        self.update_plot = LogStepPlot(
            "updateSizePlot", "Size of each update", "||w(t) - w(t-1)||", QColor(44, 160, 44)
        )
        self.rate_plot = LogStepPlot(
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
