"""A path that leaves the map is drawn only on the map: a diverging SGD's jumps of 10^5 no longer
cross it as a solid block, the place it went away is marked, and the colours stay the map's."""

from __future__ import annotations

import numpy as np
import pytest

from gui.surfaces import SurfaceView
from gui.surfaces.drawing import path_on_map
from tests.gui.surfaces.test_view import compute_from, drawn

BOUNDS = ((-1.0, 1.0), (-1.0, 1.0))


def test_a_path_on_the_map_is_drawn_as_it_is():
    xs, ys = np.array([0.0, 0.5, -0.5]), np.array([0.0, 0.2, 0.9])
    shown_x, shown_y, mark = path_on_map(xs, ys, BOUNDS)
    assert shown_x.tolist() == xs.tolist() and shown_y.tolist() == ys.tolist() and mark is None


def test_a_diverging_path_ends_at_the_edge_with_a_mark():
    # A zig-zag that grows tenfold each step: every jump after the first crosses the map.
    ys = np.array([0.5, -5.0, 50.0, -500.0, 5000.0])
    xs = np.zeros_like(ys)
    shown_x, shown_y, mark = path_on_map(xs, ys, BOUNDS)
    assert shown_y[:2].tolist() == [0.5, -1.0] and np.isnan(shown_y[2])  # to the edge, a gap
    assert len(shown_y) == 3  # nothing of the jumps off the map
    assert mark == (0.0, -1.0)


def test_a_path_that_comes_back_is_drawn_from_the_edge_again():
    xs = np.array([0.0, 0.0, 0.0, 0.0])
    ys = np.array([0.0, 3.0, 0.5, 0.4])  # overshoots the top, comes back
    shown_x, shown_y, mark = path_on_map(xs, ys, BOUNDS)
    assert np.allclose(shown_y, [0.0, 1.0, np.nan, 1.0, 0.5, 0.4], equal_nan=True)
    assert mark is None  # it ends on the map


@pytest.fixture
def view(qtbot):
    widget = SurfaceView()
    qtbot.addWidget(widget)
    widget.resize(1024, 700)
    widget.show()
    yield widget
    widget.close()


def test_a_diverged_sgd_is_drawn_only_on_the_map_and_leaves_its_colours(qtbot, view):
    view.set_surface("bowl")
    surface_map = view.contour_plot
    levels = tuple(surface_map.image.levels)
    view_range = surface_map.viewRange()
    view.set_optimizers(["sgd", "adam"])
    view.set_learning_rate("sgd", 0.2)
    compute_from(qtbot, view, -5.0, 1.0)
    path = view.paths["sgd"]
    assert path.diverged and np.abs(path.positions[-1]).max() > 1e5
    view.step(500)
    (x0, x1), (y0, y1) = view.surface.x_range, view.surface.y_range
    xs, ys = drawn(view, "sgd")
    on = np.isfinite(xs)
    assert ((xs[on] >= x0) & (xs[on] <= x1) & (ys[on] >= y0) & (ys[on] <= y1)).all()
    assert (xs[0], ys[0]) == (-5.0, 1.0)  # from its start
    # Where it left the map is marked, on the map's edge.
    mark_x, mark_y = view._curves["sgd"].exit_mark.getData()
    assert len(mark_x) == 1 and (mark_y[0] in (y0, y1) or mark_x[0] in (x0, x1))
    assert (mark_x[0], mark_y[0]) == (xs[on][-1], ys[on][-1])
    # Adam stays on the map: drawn point for point, no mark.
    adam_x, _ = drawn(view, "adam")
    assert len(adam_x) == view.paths["adam"].steps + 1
    assert len(view._curves["adam"].exit_mark.getData()[0]) == 0
    # The map's colours and range are the surface's, not refitted to the diverged values.
    assert tuple(surface_map.image.levels) == levels
    assert surface_map.viewRange() == view_range
    view.reset()
    assert len(view._curves["sgd"].exit_mark.getData()[0]) == 0  # back at the start
