"""The window's own run: the side panel of choices, the Train/Pause/Stop controls and progress,
and the views that show the run as it trains (Training, Inside the optimizer, Decision
boundary, Sharpness)."""

from gui.training.controls import RunControls, ended_text
from gui.training.panel import SidePanel
from gui.training.view import TrainingView

__all__ = ["RunControls", "SidePanel", "TrainingView", "ended_text"]
