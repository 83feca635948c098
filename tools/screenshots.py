"""Make the README's screenshots from the real window after a real run.

    .venv/bin/python tools/screenshots.py
        # docs/screenshot.png, inside.png, boundary.png (spirals), compare.png, surface.png
    .venv/bin/python tools/screenshots.py --sizes
        # docs/screens/<size>-<tab>.png: every tab at 1024x700 and 1280x800, and at 1920x1080
        # with lecture zoom 150%, after SGD with batch 1 for 10 epochs on the spirals
    .venv/bin/python tools/screenshots.py --sharpness
        # docs/sharpness.png: full-batch gradient descent on the sine at two rates, its
        # sharpness against 2/eta side by side; docs/screens/<size>-sharpness.png at
        # 1024x700 and 1600x1000
    .venv/bin/python tools/screenshots.py --landscape
        # docs/landscape.png: SGD, Momentum and Adam on digits, their paths on one plane, the
        # slice and the lines; docs/screens/<size>-landscape.png at 1024x700 and 1600x1000

Runs offscreen, with its own settings file and run library, so it neither needs a display nor
touches yours.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Its runs go to a library of its own, never into the user's.
os.environ.setdefault("DESCENT_RUNS_DIR", tempfile.mkdtemp(prefix="descent-shots-"))


def open_window(width: int, height: int):
    """The real window, shown at `width` x `height` with a settings file of its own, once its
    engine is loaded; and the application."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui import MainWindow

    app = QApplication.instance() or QApplication([])
    settings_file = Path(tempfile.mkdtemp()) / "descent.ini"
    window = MainWindow(settings=QSettings(str(settings_file), QSettings.Format.IniFormat))
    window.resize(width, height)
    window.show()
    if not window.ready:
        wait_for(window.sig_ready, 120)
    return window, app


def wait_for(signal, seconds: float) -> None:
    """Run the event loop until `signal` fires or `seconds` pass."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def main_window_screenshot(path: Path) -> None:
    window, app = open_window(1400, 860)
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


# (width, height, lecture zoom): a small laptop, a common one, a projector in a lecture.
SIZES = ((1024, 700, 1.0), (1280, 800, 1.0), (1920, 1080, 1.5))


def sized_screenshots(folder: Path) -> list[Path]:
    """Every tab of one window at each of `SIZES`, after real runs: SGD with batch 1 (4,000+
    updates, where a wrong step curve would show its sawtooth), a comparison, surface paths."""
    from PySide6.QtCore import QEventLoop, QTimer

    window, app = open_window(*SIZES[0][:2])

    def settle() -> None:  # let the layout, the plots' redraw timer and repaints run
        loop = QEventLoop()
        QTimer.singleShot(200, loop.quit)
        loop.exec()
        window._on_redraw()
        app.processEvents()

    panel = window.panel
    window.select_dataset("spirals")
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    panel.optimizer_form.set_values({"learning_rate": 0.02})
    panel.variant_combo.setCurrentIndex(panel.variant_combo.findData("stochastic"))
    panel.hidden_edit.setText("32, 32")
    panel.epochs_spin.setValue(12)
    window.start_training()
    wait_for(window.sig_run_finished, 900)
    tabs = {"training": window.training, "inside": window.training.inside_view}
    tabs["boundary"] = window.training.boundary_plot

    written = []

    def grab_all(names) -> None:
        for width, height, zoom in SIZES:
            window.lecture.set_zoom(zoom)
            window.resize(width, height)
            for name in names:
                window.view_tabs.setCurrentWidget(tabs[name])
                settle()
                path = folder / f"{width}x{height}-{name}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                window.grab().save(str(path))
                written.append(path)
                print(f"wrote {path}")
        window.lecture.set_zoom(1.0)

    grab_all(["training", "inside", "boundary"])

    # A comparison of four optimizers on digits from the same weights, 5 epochs.
    window.select_dataset("digits")
    panel.variant_combo.setCurrentIndex(panel.variant_combo.findData("minibatch"))
    panel.epochs_spin.setValue(5)
    compare = tabs["compare"] = window.compare_view
    compare.set_optimizers(["sgd", "momentum", "rmsprop", "adam"])
    compare.choices.target_spin.setValue(1.0)
    window.view_tabs.setCurrentWidget(compare)
    compare.start_comparison()
    wait_for(compare.sig_comparison_finished, 900)

    # Rosenbrock with the default four optimizers, 300 steps, on the window's own tab.
    window.view_tabs.setCurrentWidget(window.surface_tab)
    app.processEvents()
    tabs["surfaces"] = window.surface_tab
    view = window.surface_view
    view.set_surface("rosenbrock")
    view.set_start(*view.surface.start)
    wait_for(view.sig_paths_ready, 120)
    for _ in range(300):
        view.step(1)
    # The range test of Adam on digits over 3 seeds, on its own tab.
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("adam"))
    finder = tabs["learning_rate"] = window.range_view
    window.view_tabs.setCurrentWidget(finder)
    finder.seeds_spin.setValue(3)
    finder.start()
    wait_for(finder.sig_test_finished, 300)
    # SGD, Momentum and Adam on digits from the same weights, on the Landscape tab.
    tabs["landscape"] = compute_landscape(window)
    tabs["runs"] = window.runs_view
    grab_all(["compare", "surfaces", "learning_rate", "landscape", "runs"])
    window.close()
    return written


SHARPNESS_RATES = (0.1, 0.3)
"""Full-batch gradient descent on the sine, 32 tanh units, 400 epochs: at 0.1 the sharpness
rises and levels off below 2/eta = 20; at 0.3 it reaches 2/eta = 6.7 and hovers there
(tests/trainers/test_sharpness.py)."""
SHARPNESS_SIZES = ((1024, 700), (1600, 1000))


def sharpness_screenshots(path: Path, folder: Path) -> list[Path]:
    """`path`: the Sharpness tab's verdict and plot after each of `SHARPNESS_RATES`, side by
    side; in `folder`, the window on that tab at each of `SHARPNESS_SIZES` after the last."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QImage, QPainter, QPalette

    window, app = open_window(*SHARPNESS_SIZES[-1])

    def settle() -> None:
        loop = QEventLoop()
        QTimer.singleShot(300, loop.quit)
        loop.exec()
        window._on_redraw(everything=True)
        app.processEvents()

    panel = window.panel
    window.select_dataset("sine")
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    panel.variant_combo.setCurrentIndex(panel.variant_combo.findData("batch"))
    panel.hidden_edit.setText("32")
    panel.activation_combo.setCurrentText("tanh")
    panel.epochs_spin.setValue(400)
    panel.seed_spin.setValue(0)
    panel.sharpness_spin.setValue(10)
    view = window.training.sharpness_view
    grabs = []
    for rate in SHARPNESS_RATES:
        panel.optimizer_form.set_values({"learning_rate": rate})
        window.start_training()
        wait_for(window.sig_run_finished, 600)
        window.view_tabs.setCurrentWidget(view)
        window.banner.hide()  # the rate's advice, at 0.3: both grabs the same height
        settle()
        grabs.append(view.splitter.widget(0).grab().toImage())
        steps, values = view.steps, view.measured
        print(f"eta {rate}: 2/eta = {2 / rate:.3g}; lambda_max", end=" ")
        print(", ".join(f"{s}: {v:.3g}" for s, v in zip(steps, values, strict=True)))
        print(f"  {view.verdict.text()}")
    gap = 12
    width = sum(image.width() for image in grabs) + gap * (len(grabs) - 1)
    height = max(image.height() for image in grabs)
    joined = QImage(width, height, QImage.Format.Format_RGB32)
    joined.fill(app.palette().color(QPalette.ColorRole.Window))
    painter = QPainter(joined)
    x = 0
    for image in grabs:
        painter.drawImage(x, 0, image)
        x += image.width() + gap
    painter.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    joined.save(str(path))
    written = [path]
    print(f"wrote {path}")
    for width, height in SHARPNESS_SIZES:
        window.resize(width, height)
        settle()
        shot = folder / f"{width}x{height}-sharpness.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(shot))
        written.append(shot)
        print(f"wrote {shot}")
    window.close()
    return written


LANDSCAPE_OPTIMIZERS = "sgd, momentum, adam"
LANDSCAPE_EPOCHS = 5
LANDSCAPE_SIZES = ((1024, 700), (1600, 1000))


def compute_landscape(window):
    """The Landscape tab after `LANDSCAPE_OPTIMIZERS` on digits for `LANDSCAPE_EPOCHS`."""
    from PySide6.QtTest import QTest

    view = window.landscape_view
    for _ in range(200):  # the tab may hear that the engine is ready after the window
        if view.engine_ready:
            break
        QTest.qWait(50)
    window.select_dataset("digits")
    window.panel.epochs_spin.setValue(LANDSCAPE_EPOCHS)
    window.view_tabs.setCurrentWidget(view)
    view.optimizers_edit.setText(LANDSCAPE_OPTIMIZERS)
    if not view.start():
        raise SystemExit(f"the landscape did not start: {view.status_label.text()}")
    wait_for(view.sig_landscape_finished, 900)
    print(f"  {view.status_label.text()}\n  {view.note_label.text()}")
    return view


def landscape_screenshots(path: Path, folder: Path) -> list[Path]:
    """`path`: the Landscape tab after `compute_landscape`, in a window of the last of
    `LANDSCAPE_SIZES`; in `folder`, the window on that tab at each of them."""
    from PySide6.QtCore import QEventLoop, QTimer

    window, app = open_window(*LANDSCAPE_SIZES[-1])
    view = compute_landscape(window)

    def settle() -> None:
        loop = QEventLoop()
        QTimer.singleShot(300, loop.quit)
        loop.exec()
        app.processEvents()

    settle()
    path.parent.mkdir(parents=True, exist_ok=True)
    view.grab().save(str(path))
    written = [path]
    print(f"wrote {path}")
    for width, height in LANDSCAPE_SIZES:
        window.resize(width, height)
        settle()
        shot = folder / f"{width}x{height}-landscape.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(shot))
        written.append(shot)
        print(f"wrote {shot}")
    window.close()
    return written


if __name__ == "__main__":
    if "--sizes" in sys.argv[1:]:
        sized_screenshots(ROOT / "docs" / "screens")
        sys.stdout.flush()
        os._exit(0)
    if "--sharpness" in sys.argv[1:]:
        sharpness_screenshots(ROOT / "docs" / "sharpness.png", ROOT / "docs" / "screens")
        sys.stdout.flush()
        os._exit(0)
    if "--landscape" in sys.argv[1:]:
        landscape_screenshots(ROOT / "docs" / "landscape.png", ROOT / "docs" / "screens")
        sys.stdout.flush()
        os._exit(0)
    main_window_screenshot(ROOT / "docs" / "screenshot.png")
    # Skip the Qt/TensorFlow teardown at exit, which can crash (see gui/app.py).
    sys.stdout.flush()
    os._exit(0)
