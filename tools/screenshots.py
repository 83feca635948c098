"""Make the README's screenshots from the real window after a real run.

    .venv/bin/python tools/screenshots.py
        # docs/screenshot.png, inside.png, boundary.png (spirals), compare.png, surface.png

Runs offscreen, with its own settings file, so it neither needs a display nor touches yours.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main_window_screenshot(path: Path) -> None:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui import MainWindow

    app = QApplication.instance() or QApplication([])
    settings_file = Path(tempfile.mkdtemp()) / "descent.ini"
    window = MainWindow(settings=QSettings(str(settings_file), QSettings.Format.IniFormat))
    window.resize(1400, 860)
    window.show()

    def wait_for(signal, seconds: float) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        signal.disconnect(loop.quit)

    if not window.ready:
        wait_for(window.sig_ready, 120)
    window.select_dataset("spirals")
    window.panel.optimizer_combo.setCurrentIndex(window.panel.optimizer_combo.findData("adam"))
    window.panel.optimizer_form.set_values({"learning_rate": 0.01})
    window.panel.hidden_edit.setText("32, 32")
    window.panel.epochs_spin.setValue(60)
    window.start_training()
    wait_for(window.sig_run_finished, 600)
    window._on_redraw()
    app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    print(f"wrote {path}")
    for index, name in ((1, "inside.png"), (2, "boundary.png")):
        window.view_tabs.setCurrentIndex(index)
        window._on_redraw()
        app.processEvents()
        window.grab().save(str(path.parent / name))
        print(f"wrote {path.parent / name}")

    # Compare: four optimizers on digits, same weights and data order, 5 epochs.
    window.select_dataset("digits")
    window.panel.epochs_spin.setValue(5)
    window.resize(1700, 1060)  # room for the results table
    compare = window.compare_view
    compare.set_optimizers(["sgd", "momentum", "rmsprop", "adam"])
    compare.choices.target_spin.setValue(1.0)
    window.view_tabs.setCurrentWidget(compare)
    compare.start_comparison()
    wait_for(compare.sig_comparison_finished, 600)
    app.processEvents()
    compare.grab().save(str(path.parent / "compare.png"))
    print(f"wrote {path.parent / 'compare.png'}")
    window.close()

    from gui.surfaces import save_screenshot

    save_screenshot(path.parent / "surface.png")  # Rosenbrock, four optimizers, 300 steps
    print(f"wrote {path.parent / 'surface.png'}")


if __name__ == "__main__":
    main_window_screenshot(ROOT / "docs" / "screenshot.png")
    # Skip the Qt/TensorFlow teardown at exit, which can crash (see gui/app.py).
    sys.stdout.flush()
    os._exit(0)
