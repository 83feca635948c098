"""Classic 2-D test functions, and the path each optimizer takes across them.

A `Surface` is a function of two weights `f(x, y)` with a plotting range, its known minima, a
suggested start and the one-line lesson it teaches. Each function is written once, with
arithmetic operators only: Keras/TensorFlow tensors and NumPy arrays both support them, so the
same definition gives TensorFlow the gradient the optimizer follows and gives the window the
values of a contour grid (no NumPy twin to drift apart).

`optimizer_path(surface, "adam", start, steps, learning_rate=0.01)` puts the two weights in a
`keras.Variable` of shape (2,) and lets the very optimizer class from `trainers.optimizers` move
it: `tf.GradientTape` takes the gradient, `optimizer.apply_gradients` applies it. The whole path
runs inside one `tf.function` (a `tf.while_loop` over the steps), so 500 steps cost one trace
(~0.25 s) plus ~35 ms of running (2 CPU cores). A path stops early, flagged `diverged`, when a
weight becomes non-finite or larger than `DIVERGENCE_LIMIT`.

`PathComputer` does the same but keeps the traced function, the variable and the optimizer of
each (surface, optimizer, hyperparameters) it has seen: a new start point or learning rate only
resets the optimizer's state (every slot back to its freshly built value, the step counter to 0)
and runs again, ~35 ms for 500 steps instead of a new trace. The window uses one.

Paths are computed whole, up front, rather than streamed step by step: running 500 steps costs
far less than tracing the loop once, the loop stays in one graph call instead of one Python call
per step, and the window then animates through arrays it already holds (so resetting and
replaying cost nothing).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from trainers.catalog import check_all, optimizer_info
from trainers.optimizers import get as get_optimizer

DIVERGENCE_LIMIT = 1e6
"""A path whose weights leave [-1e6, 1e6] (or become inf / NaN) has diverged and stops."""

DEFAULT_STEPS = 500


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D test function `f(x, y)` and what the window needs to show it and teach with it.

    `function` uses arithmetic operators only, so it accepts Python floats, NumPy arrays (for
    contour grids) and Keras/TensorFlow tensors (for gradients) alike. `minima` are the known
    minimizers (empty for a function unbounded below); `learning_rates` holds a rate per
    optimizer that makes a readable path from `start` in `DEFAULT_STEPS` steps.
    """

    name: str
    display_name: str
    formula: str
    function: Callable
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    start: tuple[float, float]
    lesson: str
    learning_rates: Mapping[str, float] = field(default_factory=dict)

    def __call__(self, x, y):
        """f(x, y) on floats, NumPy arrays or tensors."""
        return self.function(x, y)

    @property
    def f_min(self) -> float | None:
        """The lowest value of f (at the global minimum), or None when f has no minimum."""
        if not self.minima:
            return None
        return min(float(self.function(np.float64(x), np.float64(y))) for x, y in self.minima)

    def grid(self, resolution: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`(xs, ys, values)` on a `resolution` x `resolution` grid over the plotting range.

        `values[i, j] = f(xs[i], ys[j])` (first axis x), float64.
        """
        xs = np.linspace(*self.x_range, resolution)
        ys = np.linspace(*self.y_range, resolution)
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        return xs, ys, np.asarray(self.function(gx, gy), dtype=np.float64)

    def gradient(self, point) -> np.ndarray:
        """The gradient (df/dx, df/dy) at `point`, by TensorFlow autodiff in float64."""
        w = tf.Variable(np.asarray(point, dtype=np.float64).reshape(2))
        with tf.GradientTape() as tape:
            value = self.function(w[0], w[1])
        return tape.gradient(value, w).numpy()

    def learning_rate(self, optimizer: str) -> float:
        """The rate suggested for `optimizer` here; the catalog's default when none is set."""
        if optimizer in self.learning_rates:
            return self.learning_rates[optimizer]
        return float(optimizer_info(optimizer).param("learning_rate").default)


# ------------------------------------------------------------------------------ the functions


def _bowl(x, y):
    # Curvatures 0.1 and 20 (condition number 200): a long, narrow, axis-aligned valley.
    return 0.05 * x * x + 10.0 * y * y


def _rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2


def _himmelblau(x, y):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def _saddle(x, y):
    return x * x - y * y


_TILT = 0.3


def _two_valleys(x, y):
    # A double well tilted by 0.3 x: the left valley is the deeper one (the global minimum).
    return (x * x - 1.0) ** 2 + _TILT * x + 0.5 * y * y


def _two_valley_minima() -> tuple[tuple[float, float], ...]:
    # d/dx = 4x^3 - 4x + 0.3: its outer roots are the minima (the middle one is the bump's top).
    roots = np.sort(np.roots([4.0, 0.0, -4.0, _TILT]).real)
    return ((float(roots[0]), 0.0), (float(roots[2]), 0.0))


SURFACES: tuple[Surface, ...] = (
    Surface(
        "bowl",
        "Ill-conditioned bowl",
        "f = x²/20 + 10 y²",
        _bowl,
        (-6.0, 6.0),
        (-2.5, 2.5),
        ((0.0, 0.0),),
        (-5.5, 2.0),
        "A bowl 200 times more curved across than along: SGD zig-zags across and creeps along; "
        "momentum damps the zig-zag, RMSprop and Adam rescale each axis.",
        {
            "sgd": 0.09,
            "momentum": 0.3,
            "nesterov": 0.3,
            "adagrad": 1.0,
            "adadelta": 10.0,
            "rmsprop": 0.05,
            "adam": 0.1,
            "adamw": 0.1,
            "adamax": 0.1,
            "lion": 0.03,
        },
    ),
    Surface(
        "rosenbrock",
        "Rosenbrock",
        "f = (1 − x)² + 100 (y − x²)²",
        _rosenbrock,
        (-2.0, 2.0),
        (-1.0, 3.0),
        ((1.0, 1.0),),
        (-1.5, 2.0),
        "A curved, narrow valley: SGD falls in quickly, then crawls along the flat floor; "
        "momentum and Adam keep their speed and get much further.",
        {
            "sgd": 0.001,
            "momentum": 0.01,
            "nesterov": 0.01,
            "adagrad": 0.1,
            "adadelta": 10.0,
            "rmsprop": 0.01,
            "adam": 0.1,
            "adamw": 0.1,
            "adamax": 0.1,
            "lion": 0.01,
        },
    ),
    Surface(
        "beale",
        "Beale",
        "f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        _beale,
        (-2.5, 4.5),
        (-2.5, 2.5),
        ((3.0, 0.5),),
        (2.0, -1.7),
        "Flat plateaus beside steep walls: a fixed rate that crawls on a plateau flings SGD off "
        "a wall; RMSprop and Adam step about their rate's length wherever they are.",
        {
            "sgd": 0.01,
            "momentum": 0.02,
            "nesterov": 0.02,
            "adagrad": 0.5,
            "adadelta": 10.0,
            "rmsprop": 0.01,
            "adam": 0.05,
            "adamw": 0.05,
            "adamax": 0.05,
            "lion": 0.01,
        },
    ),
    Surface(
        "himmelblau",
        "Himmelblau",
        "f = (x² + y − 11)² + (x + y² − 7)²",
        _himmelblau,
        (-5.0, 5.0),
        (-5.0, 5.0),
        (
            (3.0, 2.0),
            (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.283185991286170),
            (3.584428340330492, -1.848126526964404),
        ),
        (-0.3, -0.9),
        "Four equally deep minima: from the same start, different optimizers (or rates) can "
        "end in different ones.",
        {
            "sgd": 0.01,
            "momentum": 0.01,
            "nesterov": 0.01,
            "adagrad": 0.5,
            "adadelta": 3.0,
            "rmsprop": 0.05,
            "adam": 0.1,
            "adamw": 0.1,
            "adamax": 0.1,
            "lion": 0.03,
        },
    ),
    Surface(
        "saddle",
        "Saddle",
        "f = x² − y²",
        _saddle,
        (-2.0, 2.0),
        (-2.0, 2.0),
        (),
        (-1.8, 0.001),
        "Started almost on the ridge (y ≈ 0), SGD slides to the saddle point and lingers, "
        "since the gradient across is tiny; momentum escapes sooner, Adam at once.",
        {
            "sgd": 0.01,
            "momentum": 0.02,
            "nesterov": 0.02,
            "adagrad": 0.1,
            "adadelta": 1.0,
            "rmsprop": 0.01,
            "adam": 0.02,
            "adamw": 0.02,
            "adamax": 0.02,
            "lion": 0.01,
        },
    ),
    Surface(
        "two_valleys",
        "Local and global minimum",
        "f = (x² − 1)² + 0.3 x + y²/2",
        _two_valleys,
        (-2.0, 2.0),
        (-1.5, 1.5),
        _two_valley_minima(),
        (1.9, 1.2),
        "Two valleys, the left one deeper: SGD settles in the nearer, local one; momentum can "
        "roll over the bump into the global minimum.",
        {
            "sgd": 0.01,
            "momentum": 0.05,
            "nesterov": 0.15,
            "adagrad": 0.2,
            "adadelta": 10.0,
            "rmsprop": 0.01,
            "adam": 0.05,
            "adamw": 0.05,
            "adamax": 0.05,
            "lion": 0.01,
        },
    ),
)


def get_surface(name: str) -> Surface:
    """The surface called `name` ("rosenbrock", ...); ValueError listing the known names."""
    for surface in SURFACES:
        if surface.name == name:
            return surface
    known = ", ".join(s.name for s in SURFACES)
    raise ValueError(f"Unknown surface {name!r}. Known: {known}.")


# ---------------------------------------------------------------------------------------- paths


@dataclass(frozen=True, eq=False)
class PathResult:
    """One optimizer's path from a start point.

    `positions[k]` are the weights after `k` steps (row 0 is the start) and `losses[k]` is f
    there, float64; `effective_learning_rates[k]` is the optimizer's `effective_learning_rate()`
    just after step `k + 1`. A diverged path keeps only its sane points: fewer than
    `steps_requested + 1` rows.
    """

    surface: str
    optimizer: str
    hyperparameters: dict
    start: tuple[float, float]
    positions: np.ndarray
    losses: np.ndarray
    effective_learning_rates: np.ndarray
    steps_requested: int
    diverged: bool

    @property
    def steps(self) -> int:
        """The number of steps this path holds (rows of `positions` minus the start)."""
        return len(self.positions) - 1

    @property
    def diverged_at(self) -> int | None:
        """The step whose result left the sane range, or None for a path that did not diverge."""
        return self.steps + 1 if self.diverged else None


def optimizer_path(
    surface: Surface | str,
    optimizer_name: str,
    start=None,
    steps: int = DEFAULT_STEPS,
    **hyperparameters,
) -> PathResult:
    """The path of optimizer `optimizer_name` on `surface` for `steps` steps from `start`.

    `start` defaults to the surface's suggested start; `learning_rate` to the surface's
    suggested rate for this optimizer; other hyperparameters to the catalog's defaults. The
    optimizer is a fresh `trainers.optimizers.get(optimizer_name, **hyperparameters)` acting on a
    float32 `keras.Variable` of shape (2,). Raises ValueError for an unknown optimizer or surface
    and for an invalid hyperparameter, start or step count.
    """
    surface = get_surface(surface) if isinstance(surface, str) else surface
    runner = _PathRunner(surface, optimizer_name, _frozen(hyperparameters))
    return runner.run(start, steps, hyperparameters.get("learning_rate"))


class PathComputer:
    """`optimizer_path` that keeps each traced path function for the next call.

    Keyed by surface, optimizer and every hyperparameter but the learning rate (a Keras
    optimizer keeps that in a variable). Keras keeps per-thread state, so one instance belongs to
    one thread: build and call it there.
    """

    def __init__(self, capacity: int = 32) -> None:
        self.capacity = capacity
        self._runners: OrderedDict[tuple, _PathRunner] = OrderedDict()

    def path(
        self,
        surface: Surface | str,
        optimizer_name: str,
        start=None,
        steps: int = DEFAULT_STEPS,
        **hyperparameters,
    ) -> PathResult:
        """The same result as `optimizer_path` with the same arguments, faster when repeated."""
        surface = get_surface(surface) if isinstance(surface, str) else surface
        learning_rate = hyperparameters.pop("learning_rate", None)
        others = _frozen(hyperparameters)
        key = (id(surface), surface.name, optimizer_name, others)
        runner = self._runners.get(key)
        if runner is None:
            runner = _PathRunner(surface, optimizer_name, others)
            self._runners[key] = runner
            while len(self._runners) > self.capacity:
                self._runners.popitem(last=False)
        else:
            self._runners.move_to_end(key)
        return runner.run(start, steps, learning_rate)


def _frozen(hyperparameters: dict) -> tuple:
    """Hyperparameters other than the learning rate, as a hashable, ordered tuple."""
    return tuple(sorted((k, v) for k, v in hyperparameters.items() if k != "learning_rate"))


class _PathRunner:
    """One variable, one optimizer and one traced loop, re-run from any start and rate."""

    def __init__(self, surface: Surface, optimizer_name: str, others: tuple) -> None:
        info = optimizer_info(optimizer_name)  # ValueError naming the known ones
        self.info = info
        self.surface = surface
        self.others = dict(check_all(info.params, dict(others), info.display_name))
        self.variable = keras.Variable(np.zeros(2, dtype=np.float32), name="position")
        self.optimizer = get_optimizer(info.name, **self.others)
        self.optimizer.build([self.variable])
        # Every slot as freshly built (counter 0, AdaGrad's s0, ...), to start each path anew.
        self._fresh = [np.array(v.numpy()) for v in self.optimizer.variables]
        self._loop = tf.function(self._path_graph, autograph=False)

    def run(self, start, steps: int, learning_rate) -> PathResult:
        surface = self.surface
        steps = _checked_steps(steps)
        start = surface.start if start is None else start
        start = _checked_start(start)
        if learning_rate is None:
            learning_rate = surface.learning_rate(self.info.name)
        owner = self.info.display_name
        learning_rate = self.info.param("learning_rate").check(learning_rate, owner)

        for variable, value in zip(self.optimizer.variables, self._fresh, strict=True):
            variable.assign(value)
        self.optimizer.learning_rate = learning_rate
        self.variable.assign(np.asarray(start, dtype=np.float32))

        count, moved, rates = self._loop(tf.constant(steps, dtype=tf.int32))
        count = int(count)
        positions = np.concatenate(
            [np.asarray(start, dtype=np.float64).reshape(1, 2), moved.numpy()[:count]]
        ).astype(np.float64)
        rates = rates.numpy()[:count].astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            losses = np.asarray(surface(positions[:, 0], positions[:, 1]), dtype=np.float64)
        sane = (
            np.isfinite(positions).all(axis=1)
            & (np.abs(positions) <= DIVERGENCE_LIMIT).all(axis=1)
            & np.isfinite(losses)
        )
        kept = len(positions) if sane.all() else int(np.argmin(sane))
        return PathResult(
            surface=surface.name,
            optimizer=self.info.name,
            hyperparameters={"learning_rate": learning_rate, **self.others},
            start=start,
            positions=positions[:kept],
            losses=losses[:kept],
            effective_learning_rates=rates[: max(kept - 1, 0)],
            steps_requested=steps,
            diverged=kept < steps + 1,
        )

    def _path_graph(self, steps):
        """Up to `steps` updates of the variable; stops after the first one that leaves the
        sane range. Returns (updates made, positions after each, effective rate after each)."""
        function = self.surface.function
        variable = self.variable
        optimizer = self.optimizer
        rate_of = getattr(optimizer, "effective_learning_rate", None)

        def keep_going(i, sane, positions, rates):
            return tf.logical_and(i < steps, sane)

        def one_step(i, sane, positions, rates):
            with tf.GradientTape() as tape:
                loss = function(variable[0], variable[1])
            gradient = tape.gradient(loss, variable)
            optimizer.apply_gradients([(gradient, variable)])
            w = tf.convert_to_tensor(variable.value)
            rate = tf.cast(rate_of(), tf.float32) if rate_of else tf.constant(np.nan, tf.float32)
            sane = tf.reduce_all(tf.math.is_finite(w)) & tf.reduce_all(
                tf.abs(w) <= DIVERGENCE_LIMIT
            )
            return i + 1, sane, positions.write(i, w), rates.write(i, rate)

        start = (
            tf.constant(0, tf.int32),
            tf.constant(True),
            tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=(2,)),
            tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=()),
        )
        count, _, positions, rates = tf.while_loop(keep_going, one_step, start)
        return count, positions.stack(), rates.stack()


def _checked_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"`steps` must be a whole number >= 0. Received: steps={steps!r}")
    return int(steps)


def _checked_start(start) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"`start` must be two numbers (x, y). Received: start={start!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"`start` must be finite. Received: start={start!r}")
    return (x, y)


__all__ = [
    "DEFAULT_STEPS",
    "DIVERGENCE_LIMIT",
    "SURFACES",
    "PathComputer",
    "PathResult",
    "Surface",
    "get_surface",
    "optimizer_path",
]
