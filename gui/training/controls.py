"""Train, Pause and Stop, the progress bar of the run in training, and the line that says
how a run ended."""

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

    def __init__(self, parent=None, clock=time.monotonic) -> None:
        super().__init__(parent)
        self.clock = clock  # seconds, for the time left (a test may pass its own)
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
        self._paused_at: float | None = None  # when Pause was pressed, while the run is held
        self._paused_for = 0.0  # seconds the run was held, left out of the time left
        self._newest_step: int | None = None

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self._paused_at = self.clock()
        elif self._paused_at is not None:
            self._paused_for += self.clock() - self._paused_at
            self._paused_at = None
        if self.info is not None:
            self._show(self.progress.value())  # says Paused, or counts on again
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
            self._paused_at = None

    # ----------------------------------------------------------------------------- progress
    def preparing(self) -> None:
        """A run was handed to the worker: busy until it says how many steps it has."""
        self.info = None
        self.progress.setRange(0, 0)
        self.progress.setFormat("Preparing the run...")

    def started(self, info) -> None:
        """The run's `RunInfo` has arrived: count its steps from 0."""
        self.info = info
        self.started_at = self.clock()
        self._paused_for = 0.0
        if self._paused_at is not None:  # paused before the run's first step
            self._paused_at = self.started_at
        self._newest_step = None
        self.progress.setRange(0, max(info.total_steps, 1))
        self._show(0)

    def step_reached(self, step: int) -> None:
        """The newest step received (shown by the next frame)."""
        if self.info is not None:
            self._newest_step = step

    def show_progress(self) -> None:
        """Bring the progress bar up to the newest step received (once a frame)."""
        step = self._newest_step
        if self.info is None or step is None or step == self.progress.value():
            return
        self._show(step)

    def _show(self, step: int) -> None:
        """The bar at `step`, its epoch and the time left at the pace so far (held time left
        out: while paused, the time left waits too)."""
        info = self.info
        self.progress.setValue(step)
        now = self.clock() if self._paused_at is None else self._paused_at
        elapsed = now - self.started_at - self._paused_for
        left = ""
        if step:
            seconds = elapsed / step * (info.total_steps - step)
            left = (
                f" · {seconds:.0f} s left" if seconds < 120 else f" · {seconds / 60:.0f} min left"
            )
        epoch = max((step - 1) // info.steps_per_epoch + 1, 1)
        paused = "Paused · " if self._paused_at is not None else ""
        self.progress.setFormat(
            f"{paused}Epoch {epoch}/{info.config.epochs} · step {step}/{info.total_steps}{left}"
        )

    def reset(self, text: str) -> None:
        """No run of the window's own is shown: an empty bar saying `text`."""
        self.info = None
        self._newest_step = None
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(text)

    def ended(self, text: str) -> None:
        """The run is over: the bar keeps where it got to and says how it ended."""
        self.show_progress()
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self.progress.setFormat(text)


def ended_text(result) -> str:
    """How run `result` ended, with its final losses named: "Completed 12 epochs, final loss:
    training 0.412, validation 0.445 (12.3 s)"."""
    train, val = result.final("loss"), result.final("val_loss")
    if train is not None and val is not None:
        losses = f", final loss: training {train:.4g}, validation {val:.4g}"
    elif train is not None or val is not None:
        which, value = ("training", train) if val is None else ("validation", val)
        losses = f", final loss: {which} {value:.4g}"
    else:
        losses = ""
    return f"{result.message}{losses} ({result.duration_s:.1f} s)"
