"""Start the window: one QApplication, one MainWindow, the event loop."""

from __future__ import annotations

import os
import sys


def run_app(argv: list[str]) -> int:
    """Open Descent's window and run until it closes; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName("Descent")
    app.setApplicationName("Descent")
    app.setApplicationDisplayName("Descent")
    from PySide6.QtGui import QIcon

    from assets import ICON

    app.setWindowIcon(QIcon(str(ICON)))
    window = MainWindow()
    window.show()
    return app.exec()
