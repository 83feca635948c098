"""Train, Pause and Stop, and the progress bar of the run in training."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from gui.widgets import named


class RunControls(QWidget):
    """The buttons under the side panel and the progress of the run they started.

    The progress bar moves once a frame (`show_progress`), not at every chunk of steps:
    `QProgressBar.setValue` repaints at once, and points arrive up to 20 times a second.
    """

    sig_train = Signal()
    """Train was pressed."""
    sig_stop = Signal()
    """Stop was pressed."""
    sig_pause = Signal(bool)
    """Pause was toggled: True to hold the run, False to resume it."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self.train_button = named(
            QPushButton("Train"), "trainButton", "Train", tip="Start training (Ctrl+Return)"
        )
        self.pause_button = named(QPushButton("Pause"), "pauseButton", "Pause or resume")
        self.pause_button.setCheckable(True)
        self.stop_button = named(
            QPushButton("Stop"), "stopButton", "Stop", tip="Stop training (Esc)"
        )
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.progress = named(QProgressBar(), "progressBar", "Training progress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("Not started")
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.train_button.clicked.connect(self.sig_train)
        self.stop_button.clicked.connect(self.sig_stop)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.pause_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.info = None
        self.started_at = 0.0
        self._newest_step: int | None = None

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.sig_pause.emit(paused)

    def set_running(self, running: bool, can_train: bool) -> None:
        """Enable the buttons for a run in progress, or for none (Train if `can_train`)."""
        self.train_button.setEnabled(not running and can_train)
        self.stop_button.setEnabled(running)
        self.pause_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    # ----------------------------------------------------------------------------- progress
    def preparing(self) -> None:
        """A run was handed to the worker: busy until it says how many steps it has."""
        self.info = None
        self.progress.setRange(0, 0)
        self.progress.setFormat("Preparing the run...")

    def started(self, info) -> None:
        """The run's `RunInfo` has arrived: count its steps from 0."""
        self.info = info
        self.started_at = time.monotonic()
        self._newest_step = None
        self.progress.setRange(0, max(info.total_steps, 1))
        self._show(0, 0)

    def step_reached(self, step: int) -> None:
        """The newest step received (shown by the next frame)."""
        if self.info is not None:
            self._newest_step = step

    def show_progress(self) -> None:
        """Bring the progress bar up to the newest step received (once a frame)."""
        step = self._newest_step
        if self.info is None or step is None or step == self.progress.value():
            return
        self._show(step, (step - 1) // self.info.steps_per_epoch + 1)

    def _show(self, step: int, epoch: int) -> None:
        info = self.info
        self.progress.setValue(step)
        elapsed = time.monotonic() - self.started_at
        left = ""
        if step:
            seconds = elapsed / step * (info.total_steps - step)
            left = (
                f" · {seconds:.0f} s left" if seconds < 120 else f" · {seconds / 60:.0f} min left"
            )
        self.progress.setFormat(
            f"Epoch {max(epoch, 1)}/{info.config.epochs} · step {step}/{info.total_steps}{left}"
        )

    def ended(self, text: str) -> None:
        """The run is over: the bar keeps where it got to and says how it ended."""
        self.show_progress()
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self.progress.setFormat(text)
