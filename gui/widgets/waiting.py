"""Waiting for a signal outside a test framework: the self-test, the benchmarks, the tools."""

from __future__ import annotations

from collections.abc import Callable


def wait_for_signal(
    signal, timeout_s: float, start: Callable[[], object] | None = None
) -> tuple | None:
    """Run the Qt event loop until `signal` fires: its arguments, or None after `timeout_s`.

    `start` is called once the loop is connected, so a signal it emits at once is not missed.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    received: list[tuple] = []

    def on_signal(*args):
        received.append(args)
        loop.quit()

    signal.connect(on_signal)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(int(timeout_s * 1000))
    try:
        if start is not None:
            start()
        if not received:
            loop.exec()
    finally:
        timer.stop()
        signal.disconnect(on_signal)
    return received[0] if received else None
