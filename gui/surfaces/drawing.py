"""What the surfaces tab draws and writes, as plain numbers and text: no widgets here.

The colours of the paths, the contour lines of the map (marching squares), the part of a path
that lies on the map, the values the colour map shows, and the words beside each path in the
list and the legend.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

GRID = 200
CONTOUR_LEVELS = 14
# Opaque: translucent segments would overlap at their joints and read as dotted lines.
CONTOUR_PEN = pg.mkPen(QColor(225, 235, 235), width=0.6)
LOSS_FLOOR = 1e-12  # log-scale plots need f - f_min > 0
# Distinct colours that read on the surface's colour map and on light or dark plot backgrounds.
COLORS = {
    "sgd": QColor(228, 26, 28),
    "momentum": QColor(255, 127, 0),
    "nesterov": QColor(250, 200, 20),
    "adagrad": QColor(0, 190, 230),
    "adadelta": QColor(120, 220, 40),
    "rmsprop": QColor(60, 110, 255),
    "adam": QColor(235, 60, 235),
    "adamw": QColor(170, 100, 50),
    "adamax": QColor(255, 150, 200),
    "lion": QColor(0, 170, 140),
}


def path_color(name: str) -> QColor:
    """The colour of optimizer `name`'s path (grey for one without its own)."""
    return COLORS.get(name, QColor("gray"))


def contour_segments(
    xs: np.ndarray, ys: np.ndarray, values: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The contour line `values == level` as segments, by marching squares (vectorized).

    `values[i, j]` is the function at `(xs[i], ys[j])`. Returns `(x, y)` in which points `2k` and
    `2k + 1` are the ends of segment `k` (pyqtgraph's `connect="pairs"`). Each grid cell that the
    line crosses gives one segment, or two where it is crossed on all four edges.
    """
    v = np.asarray(values, dtype=np.float64) - level
    v00, v10, v01, v11 = v[:-1, :-1], v[1:, :-1], v[:-1, 1:], v[1:, 1:]
    x0, x1 = xs[:-1, None], xs[1:, None]  # each cell's corners, broadcast over the cells
    y0, y1 = ys[None, :-1], ys[None, 1:]

    def crossing(va, vb):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (va > 0) != (vb > 0), va / (va - vb)

    # The four edges of each cell, in the order bottom, right, top, left.
    edges = []
    valid, t = crossing(v00, v10)
    edges.append((valid, x0 + t * (x1 - x0), y0))
    valid, t = crossing(v10, v11)
    edges.append((valid, x1, y0 + t * (y1 - y0)))
    valid, t = crossing(v01, v11)
    edges.append((valid, x0 + t * (x1 - x0), y1))
    valid, t = crossing(v00, v01)
    edges.append((valid, x0, y0 + t * (y1 - y0)))
    valid = np.stack([e[0].ravel() for e in edges], axis=1)
    px = np.stack([np.broadcast_to(e[1], v00.shape).ravel() for e in edges], axis=1)
    py = np.stack([np.broadcast_to(e[2], v00.shape).ravel() for e in edges], axis=1)
    count = valid.sum(axis=1)
    # Crossed edges first, in edge order: a cell crossed four times pairs bottom with right and
    # top with left, one consistent choice for the ambiguous case.
    order = np.argsort(~valid, axis=1, kind="stable")
    px = np.take_along_axis(px, order, axis=1)
    py = np.take_along_axis(py, order, axis=1)
    first = count >= 2
    second = count == 4
    ends_x = [px[first, 0], px[first, 1], px[second, 2], px[second, 3]]
    ends_y = [py[first, 0], py[first, 1], py[second, 2], py[second, 3]]
    out_x = np.empty(2 * (first.sum() + second.sum()))
    out_y = np.empty_like(out_x)
    n = first.sum()
    out_x[0 : 2 * n : 2], out_x[1 : 2 * n : 2] = ends_x[0], ends_x[1]
    out_y[0 : 2 * n : 2], out_y[1 : 2 * n : 2] = ends_y[0], ends_y[1]
    out_x[2 * n :: 2], out_x[2 * n + 1 :: 2] = ends_x[2], ends_x[3]
    out_y[2 * n :: 2], out_y[2 * n + 1 :: 2] = ends_y[2], ends_y[3]
    return out_x, out_y


def contour_lines(
    xs: np.ndarray, ys: np.ndarray, shown: np.ndarray, low: float, high: float
) -> tuple[np.ndarray, np.ndarray]:
    """`CONTOUR_LEVELS` contour lines evenly spaced strictly between `low` and `high`, as pairs."""
    levels = np.linspace(low, high, CONTOUR_LEVELS + 2)[1:-1]
    pieces = [contour_segments(xs, ys, shown, level) for level in levels]
    return np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])


def _clip_segment(p, q, bounds):
    """The part of segment p-q inside `bounds` ((x0, x1), (y0, y1)), as (t_in, t_out) along
    it, or None (Liang-Barsky)."""
    t_in, t_out = 0.0, 1.0
    for axis in (0, 1):
        low, high = bounds[axis]
        delta = q[axis] - p[axis]
        for side, distance in ((-delta, p[axis] - low), (delta, high - p[axis])):
            if side == 0:
                if distance < 0:
                    return None  # parallel to this edge and outside it
                continue
            t = distance / side
            if side < 0:
                t_in = max(t_in, t)
            else:
                t_out = min(t_out, t)
    return (t_in, t_out) if t_in <= t_out else None


def path_on_map(
    xs: np.ndarray, ys: np.ndarray, bounds
) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None]:
    """What of a path to draw on a map spanning `bounds` ((x0, x1), (y0, y1)).

    Points on the map are drawn as they are; a step that leaves the map is drawn to its edge
    and one that comes back from its edge, with a gap (NaN) between; a step from off the map to
    off the map is not drawn (a diverging path's jumps would cross the map as a solid block).
    Returns the x and y to draw and, when the path's last point is off the map, the point
    where it last left it (the mark of where it went away), else None.
    """
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    (x0, x1), (y0, y1) = bounds
    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    if inside.all():
        return xs, ys, None
    out_x: list[float] = []
    out_y: list[float] = []
    exit_point = None
    for k in range(len(xs)):
        if k > 0 and not (inside[k - 1] and inside[k]):
            p, q = (xs[k - 1], ys[k - 1]), (xs[k], ys[k])
            part = _clip_segment(p, q, bounds) if inside[k - 1] or inside[k] else None
            if part is not None:
                t_in, t_out = part
                if inside[k - 1]:  # leaving: to the edge, then a gap
                    exit_point = (p[0] + t_out * (q[0] - p[0]), p[1] + t_out * (q[1] - p[1]))
                    out_x += [exit_point[0], np.nan]
                    out_y += [exit_point[1], np.nan]
                else:  # coming back: from the edge
                    out_x.append(p[0] + t_in * (q[0] - p[0]))
                    out_y.append(p[1] + t_in * (q[1] - p[1]))
        if inside[k]:
            out_x.append(xs[k])
            out_y.append(ys[k])
    mark = None if inside[-1] else exit_point
    return np.array(out_x), np.array(out_y), mark


def display_values(values: np.ndarray, f_min: float | None) -> np.ndarray:
    """What the colour map shows: log10(f - f_min + small), or asinh(f) without a minimum."""
    if f_min is None:
        return np.arcsinh(values)
    above = np.maximum(values - f_min, 0.0)
    # The offset keeps the floor of a valley from being one flat colour of -inf.
    offset = max(1e-3 * float(np.median(above)), 1e-6)
    return np.log10(above + offset)


def result_text(path, step: int) -> str:
    """The list's word on a path at `step`: its loss there, or where it diverged."""
    if path.diverged and step >= path.steps:
        return f"diverged at step {path.diverged_at}"
    return f"f = {path.losses[min(step, path.steps)]:.4g}"


def legend_label(display_name: str, path) -> str:
    """The legend entry of `path`: the optimizer, its learning rate, and where it diverged."""
    label = f"{display_name}, η={path.hyperparameters['learning_rate']:g}"
    if path.diverged:
        label += f" (diverged at step {path.diverged_at})"
    return label


def divergence_note(display_name: str, path, has_minimum: bool) -> str | None:
    """The note under the list for a path that diverged (None for one that did not)."""
    if not path.diverged:
        return None
    if has_minimum:
        advice = "try a smaller η."
    else:  # downhill for ever: no rate avoids it
        advice = "this surface has no minimum to stop in."
    return f"{display_name} diverged at step {path.diverged_at}: {advice}"
