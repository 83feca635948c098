"""Ctrl+C (SIGINT) and SIGTERM close the window as its close button does: settings saved,
a run in progress stopped (its library row `stopped`), the engine thread joined.

Qt's event loop runs in C++, where Python's signal handlers cannot run; a timer that fires
every `TICK_MS` hands control back to Python often enough for them to.
"""

from __future__ import annotations

import signal
import threading

from PySide6.QtCore import QTimer

SIGNALS = (signal.SIGINT, signal.SIGTERM)
TICK_MS = 200


def close_on_signals(window) -> QTimer | None:
    """Close `window` on SIGINT or SIGTERM (main thread only); returns the timer that lets
    Python see the signals, or None where handlers cannot be set."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handle(signum, frame) -> None:
        window.closed_by_signal = signum
        QTimer.singleShot(0, window.close)

    for number in SIGNALS:
        signal.signal(number, handle)
    timer = QTimer(window)
    timer.setObjectName("signalTimer")
    timer.timeout.connect(lambda: None)  # the tick alone lets Python run the handlers
    timer.start(TICK_MS)
    return timer
