"""The "Loss surfaces" tab: our optimizers walking down classic 2-D test functions.

`view` is the tab (`SurfaceView`), `surface_map` its contour map, `optimizer_list` the ticks and
learning rates, `path_worker` the thread that computes the paths, `drawing` the numbers and text
they are drawn from, and `screenshot` the tab as a PNG. Importing the package does not import
TensorFlow; building a `SurfaceView` does.
"""

from gui.surfaces.screenshot import save_screenshot
from gui.surfaces.view import SurfaceView

__all__ = ["SurfaceView", "save_screenshot"]
