"""Start the window: one QApplication, one MainWindow, the event loop."""

from __future__ import annotations

import os
import sys


def run_app(argv: list[str]) -> int:
    """Open Descent's window and run until it closes; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from gui.system_libraries import missing_libraries_message

    missing = missing_libraries_message(argv=argv)  # Qt would abort on them, with a page of its own
    if missing is not None:
        print(missing, file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    from gui import plugins_dialog
    from gui.main_window import MainWindow

    argv, plugins_dialog.EXTRA_FILES[:] = plugins_dialog.take_plugin_arguments(argv)
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setOrganizationName("Descent")
    app.setApplicationName("Descent")
    app.setApplicationDisplayName("Descent")
    from PySide6.QtGui import QIcon

    from assets import ICON

    app.setWindowIcon(QIcon(str(ICON)))
    window = MainWindow()
    from gui.signals import close_on_signals

    close_on_signals(window)  # Ctrl+C and SIGTERM close it as its close button does
    window.show()
    status = app.exec()
    # By now the window has saved its settings and joined the engine thread. Tearing down the
    # Qt widget tree and TensorFlow at interpreter exit crashed in 2 of 4 tries here (heap
    # corruption reported in ~QWidget, also on earlier commits; cause not yet found), so the
    # process ends without that teardown: nothing is left to save.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
