"""The surfaces tab as a PNG, for the README (tools/screenshots.py) and the tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from gui.surfaces.view import DEFAULT_OPTIMIZERS, SurfaceView


def save_screenshot(
    path: str | Path,
    surface: str = "rosenbrock",
    optimizers: Iterable[str] = DEFAULT_OPTIMIZERS,
    steps: int = 300,
    size: tuple[int, int] = (1400, 760),
    timeout_s: float = 60.0,
) -> Path:
    """Render `surface` with `optimizers`' paths after `steps` animated steps into PNG `path`."""
    app = QApplication.instance() or QApplication([])
    view = SurfaceView()
    try:
        view.resize(*size)
        view.set_surface(surface)
        view.set_optimizers(optimizers)
        view.show()
        loop = QEventLoop()
        view.sig_paths_ready.connect(loop.quit)
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        view.set_start(*view.surface.start)
        loop.exec()
        if not view.paths:
            raise RuntimeError("the paths were not computed in time")
        for _ in range(steps):  # one frame per step, as the Step button would
            view.step(1)
        app.processEvents()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not view.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        return path
    finally:
        view.close()
        view.deleteLater()
