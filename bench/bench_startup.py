"""Row 4, start-up: from process start to the main window painted, and to "ready to train".

Each repeat starts a fresh Python process that does what `main.py` does for the window (one
QApplication with the app's names and icon, `MainWindow`, `show()`, the event loop), with its
own settings file. The parent notes the wall clock just before it starts the process; the child
prints the wall clock at its window's first paint event (and after a `grab()` right after it,
a full synchronous render), and when `MainWindow.sig_ready` fires (the engine is imported on the
worker thread and the side panel filled). The baseline is a bare `python -c "import tensorflow"`,
timed from start to exit by the parent. Window and baseline processes alternate; medians.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import _common as bench

SCRIPT = "bench_startup.py"
REPEATS = 3
CHILD_TIMEOUT_S = 180


def child(settings_path: str) -> None:
    """The measured process: open the window, report when it paints and when it is ready."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as gui.app.run_app does
    from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from assets import ICON
    from gui.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    app.setOrganizationName("Descent")
    app.setApplicationName("Descent")
    app.setApplicationDisplayName("Descent")
    app.setWindowIcon(QIcon(str(ICON)))
    marks: dict[str, float] = {}
    window = MainWindow(settings=QSettings(settings_path, QSettings.Format.IniFormat))

    def grab() -> None:
        window.grab()
        marks["grab"] = time.time()

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):  # noqa: N802 (Qt override)
            if event.type() == QEvent.Type.Paint and "paint" not in marks:
                marks["paint"] = time.time()
                QTimer.singleShot(0, grab)
            return False

    spy = FirstPaint()
    window.installEventFilter(spy)

    def finish() -> None:
        marks.setdefault("ready", time.time())
        print("MARKS " + json.dumps(marks), flush=True)
        window.close()
        app.quit()

    window.sig_ready.connect(finish)
    window.show()
    marks["shown"] = time.time()
    if window.ready:
        QTimer.singleShot(0, finish)
    app.exec()


def window_once(settings_path: str) -> dict[str, float]:
    """Seconds from process start to each mark of one fresh window process (first start)."""
    command = [sys.executable, __file__, "--child", settings_path]
    started = time.time()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=bench.ROOT
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("MARKS ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the window process failed ({done.returncode}): {done.stderr[-2000:]}")
    marks = json.loads(lines[-1][len("MARKS ") :])
    return {key: value - started for key, value in marks.items()}


def import_tensorflow_once() -> float:
    started = time.time()
    subprocess.run(
        [sys.executable, "-c", "import tensorflow"],
        check=True,
        capture_output=True,
        timeout=CHILD_TIMEOUT_S,
    )
    return time.time() - started


def run(folder: str) -> dict:
    bench.log(f"row 4: {REPEATS} fresh window processes and {REPEATS} bare TensorFlow imports")
    windows, imports = [], []
    for index in range(REPEATS):
        first = index % 2 == 0
        if not first:
            imports.append(import_tensorflow_once())
        windows.append(window_once(f"{folder}/startup-{index}.ini"))
        if first:
            imports.append(import_tensorflow_once())
        w = windows[-1]
        bench.log(
            f"  repeat {index + 1}: shown {w['shown']:.2f} s, first paint {w['paint']:.2f} s, "
            f"grab {w['grab']:.2f} s, ready {w['ready']:.2f} s; import tensorflow "
            f"{imports[-1]:.2f} s"
        )
    med = {key: bench.median([w[key] for w in windows]) for key in ("shown", "paint", "grab")}
    med["ready"] = bench.median([w["ready"] for w in windows])
    tf_import = bench.median(imports)
    return bench.make_row(
        4,
        "start-up",
        f"fresh process each, {REPEATS} repeats alternating with a bare `import tensorflow` "
        "process; medians; offscreen",
        f"window painted {med['paint']:.2f} s (grab {med['grab']:.2f} s), ready to train "
        f"{med['ready']:.2f} s; bare import tensorflow {tf_import:.2f} s",
        "window <= 1.0 s",
        med["paint"] <= 1.0,
        SCRIPT,
        {"median_s": med, "import_tensorflow_s": tf_import, "windows": windows, "imports": imports},
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        bench.main(run, __doc__.splitlines()[0])
