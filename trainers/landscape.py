"""The loss landscape of the real network: along lines, on planes, and the runs' paths on one
shared plane (Li et al. 2018; `../shared/EQUATIONS.md`, "Instruments").

- Lines: the training and validation loss along w(t) = w_a + t (w_b - w_a), t from -0.5 to 1.5:
  from a run's initial to its final weights, and from one run's final weights to another's.
- Slice: L(w* + a d1 + b d2) around a run's final weights w*, along two random directions
  normalized filter by filter (`filter_normalized`), drawn as a contour map.
- Paths: the weight snapshots of every run of a job (all from the same initial weights) on the
  plane of their first two principal components (`SharedPlane`), under the loss on that plane.

`LossEvaluator` computes the model's compiled training loss (its loss and regularization
penalties, as `evaluate` does) at many points of weight space per compiled call. The plain
functions here are NumPy; Keras and TensorFlow are imported inside the functions that use them.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from trainers.control import JobControl
from trainers.errors import ConfigError
from trainers.events import Listener, PathsMoved, RunKey, Status, ignore

LINE_FROM, LINE_TO = -0.5, 1.5
LINE_POINTS = 41
"""A line is drawn at t = -0.5, -0.45, ..., 1.5 (t = 0 and t = 1 are its two ends)."""
GRID = 41
MIN_GRID, MAX_GRID = 5, 101
"""Points a side of a 2-D map (by default; the least and the most one may ask for)."""
SLICE_SPAN = 1.0
"""A slice covers a, b in [-SLICE_SPAN, SLICE_SPAN] (filter-normalized units)."""
MARGIN = 0.25
"""The paths' map reaches this share of the paths' extent beyond it on each side."""
SNAPSHOTS = 40
"""About this many weight snapshots per run make its path."""
MAX_SAMPLES = 10_000
"""A map is computed on at most this many samples (the first ones of each split)."""
LOW_EXPLAINED = 0.5
"""Below this share of variance, the shared plane is said to miss much of the paths."""
POINTS_PER_CALL = 41
"""Grid points evaluated per compiled call."""


# ----------------------------------------------------------------------------- plain NumPy


def filter_normalized(weights: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """A random direction shaped like `weights`: d ~ N(0, 1), each filter (one output unit of a
    Dense kernel, one output channel of a convolution's: the last axis) rescaled to the norm of
    the weights' same filter; zero for 1-D tensors (biases, normalization parameters)."""
    out = []
    for w in weights:
        w = np.asarray(w, dtype=np.float64)
        if w.ndim <= 1:
            out.append(np.zeros_like(w))
            continue
        d = rng.standard_normal(w.shape)
        axes = tuple(range(w.ndim - 1))
        w_norm = np.sqrt((w**2).sum(axis=axes, keepdims=True))
        d_norm = np.sqrt((d**2).sum(axis=axes, keepdims=True))
        out.append(d * w_norm / np.where(d_norm > 0, d_norm, 1.0))
    return out


def flat(tensors) -> np.ndarray:
    """Tensors as one flat float64 array."""
    parts = [np.asarray(t, dtype=np.float64).ravel() for t in tensors]
    return np.concatenate(parts) if parts else np.zeros(0)


def line_points(points: int = LINE_POINTS) -> np.ndarray:
    return np.linspace(LINE_FROM, LINE_TO, points)


@dataclasses.dataclass(frozen=True)
class SharedPlane:
    """The plane through the snapshots' mean along their first two principal components.
    `axes` (2, weights) are orthonormal; `explained` is the share of the snapshots' variance
    along each (summing to the share the plane holds)."""

    center: np.ndarray
    axes: np.ndarray
    explained: tuple[float, float]

    @property
    def share(self) -> float:
        return float(sum(self.explained))

    def project(self, snapshots: np.ndarray) -> np.ndarray:
        """(n, weights) snapshots -> their (n, 2) coordinates on the plane."""
        return (np.asarray(snapshots, dtype=np.float64) - self.center) @ self.axes.T


def shared_plane(snapshots: np.ndarray) -> SharedPlane:
    """PCA of the rows of `snapshots` (n, weights) through the Gram matrix (n x n, cheap for
    few snapshots of many weights). The signs put the first snapshot at negative coordinates,
    so the paths start at the lower left however the snapshots arrive."""
    x = np.asarray(snapshots, dtype=np.float64)
    if len(x) < 3:
        raise ConfigError("A shared plane needs at least 3 weight snapshots.")
    center = x.mean(axis=0)
    xc = x - center
    gram = xc @ xc.T
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    total = float(values.sum())
    if total <= 0 or values[1] <= 0:
        raise ConfigError(
            "The runs' weights hardly moved: their snapshots span less than a plane. Train "
            "for more epochs or at a larger learning rate."
        )
    axes = np.stack([xc.T @ vectors[:, k] / math.sqrt(values[k]) for k in range(2)])
    first = (x[0] - center) @ axes.T
    axes *= np.where(first > 0, -1.0, 1.0)[:, None]
    return SharedPlane(center, axes, (float(values[0] / total), float(values[1] / total)))


def map_range(
    coords: np.ndarray, points: int = GRID, margin: float = MARGIN
) -> tuple[np.ndarray, np.ndarray]:
    """The grid axes (`points` each) that cover `coords` (n, 2) with `margin` to spare."""
    low, high = coords.min(axis=0), coords.max(axis=0)
    extent = np.maximum(high - low, 1e-6)
    low, high = low - margin * extent, high + margin * extent
    return np.linspace(low[0], high[0], points), np.linspace(low[1], high[1], points)


def explained_note(share: float) -> str:
    """What the plane's share of variance means for reading the map."""
    percent = f"{100 * share:.0f}%"
    if share < LOW_EXPLAINED:
        return (
            f"The plane holds only {percent} of the paths' variance: much of their motion is "
            "off it, so where a path seems to cross a contour, it may not have."
        )
    return f"The plane holds {percent} of the paths' variance."


# ----------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True)
class Line:
    """The loss along w(t) = start + t (end - start): `train` and `val` (None without a
    validation split) at each of `ts`."""

    label: str
    ts: np.ndarray
    train: np.ndarray
    val: np.ndarray | None


@dataclasses.dataclass(frozen=True)
class LossMap:
    """The training loss on a plane: `values[i, j]` at (`xs[i]`, `ys[j]`)."""

    title: str
    xlabel: str
    ylabel: str
    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray
    seconds: float = 0.0


@dataclasses.dataclass
class Landscape:
    """What a landscape job found. `paths` maps each run's label to its (n, 2) coordinates on
    `plane`; `results` are the runs' RunResults (their models hold the final weights)."""

    labels: list[str]
    results: list
    lines: list[Line] = dataclasses.field(default_factory=list)
    slice: LossMap | None = None
    paths_map: LossMap | None = None
    plane: SharedPlane | None = None
    paths: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    path_steps: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    directions: tuple | None = None  # the slice's (centre, d1, d2), flat
    slice_index: int = 0  # the run the slice is centred on
    diverged: list[str] = dataclasses.field(default_factory=list)  # labels of runs that did
    status: str = "completed"
    message: str = ""
    seconds: float = 0.0

    @property
    def note(self) -> str:
        """The plane's share of variance in words, and which runs diverged off it."""
        if self.plane is None:
            return ""
        words = explained_note(self.plane.share)
        if self.diverged and len(self.diverged) < len(self.labels):
            names = ", ".join(self.diverged)
            words += (
                f" {names} diverged: the plane is that of the other runs, and its path, "
                "projected on it, leaves the map where it blew up."
            )
        return words


# ----------------------------------------------------------------------------- Keras


class LossEvaluator:
    """The compiled training loss of `model` (its loss and penalties, in inference mode) on
    (x, y), at points w = origin + a d1 + b d2 of its trainable weights, `POINTS_PER_CALL` per
    compiled call (one `tf.map_fn` that sets the weights and evaluates, point after point).
    The model's weights are put back after each call."""

    def __init__(self, model, x, y):
        import tensorflow as tf

        self.model = model
        self.variables = list(model.trainable_variables)
        self.shapes = [tuple(v.shape) for v in self.variables]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.dtype = self.variables[0].dtype
        self.x = tf.convert_to_tensor(x)
        self.y = tf.convert_to_tensor(y)
        variables, shapes, sizes = self.variables, self.shapes, self.sizes

        def one(point):
            parts = tf.split(point, sizes)
            for variable, part, shape in zip(variables, parts, shapes, strict=True):
                variable.assign(tf.reshape(part, shape))
            loss = model.compute_loss(self.x, self.y, model(self.x, training=False))
            return tf.cast(loss, "float64")

        @tf.function(autograph=False, reduce_retracing=True)
        def many(origin, d1, d2, coords):
            points = origin[None, :] + coords[:, :1] * d1[None, :] + coords[:, 1:] * d2[None, :]
            return tf.map_fn(one, points, parallel_iterations=1, fn_output_signature="float64")

        self._many = many

    def at(self, origin: np.ndarray, d1: np.ndarray, d2: np.ndarray, coords: np.ndarray):
        """The loss at origin + a d1 + b d2 for each row (a, b) of `coords` (float64 out)."""
        import tensorflow as tf

        kept = [np.array(v.numpy()) for v in self.variables]
        dtype = self.dtype
        origin_t, d1_t, d2_t = (tf.constant(np.asarray(v), dtype=dtype) for v in (origin, d1, d2))
        out = []
        try:
            for start in range(0, len(coords), POINTS_PER_CALL):
                chunk = np.asarray(coords[start : start + POINTS_PER_CALL])
                values = self._many(origin_t, d1_t, d2_t, tf.constant(chunk, dtype=dtype))
                out.append(np.asarray(values))
        finally:
            for variable, value in zip(self.variables, kept, strict=True):
                variable.assign(value)
        return np.concatenate(out) if out else np.zeros(0)

    def grid(self, origin, d1, d2, xs, ys) -> np.ndarray:
        """values[i, j] = the loss at origin + xs[i] d1 + ys[j] d2."""
        a, b = np.meshgrid(xs, ys, indexing="ij")
        coords = np.stack([a.ravel(), b.ravel()], axis=1)
        return self.at(origin, d1, d2, coords).reshape(len(xs), len(ys))

    def line(self, start, end, ts) -> np.ndarray:
        """The loss at start + t (end - start) for each t of `ts`."""
        start = np.asarray(start)
        delta = np.asarray(end) - start
        coords = np.stack([np.asarray(ts), np.zeros(len(ts))], axis=1)
        return self.at(start, delta, np.zeros_like(delta), coords)


def point(origin, d1, d2, a: float, b: float, dtype="float32") -> np.ndarray:
    """The flat weights origin + a d1 + b d2, in the model's dtype, as the evaluator forms them."""
    origin, d1, d2 = (np.asarray(v, dtype=dtype) for v in (origin, d1, d2))
    return origin + np.asarray(a, dtype=dtype) * d1 + np.asarray(b, dtype=dtype) * d2


def unflatten(model, weights: np.ndarray) -> list[np.ndarray]:
    """Flat trainable weights back into `model`'s trainable variables' shapes."""
    out, at = [], 0
    for variable in model.trainable_variables:
        size = int(np.prod(variable.shape))
        out.append(np.asarray(weights[at : at + size]).reshape(tuple(variable.shape)))
        at += size
    return out


class _Paths:
    """The snapshots of a job's runs, and the paths on their shared plane so far."""

    def __init__(self, emit: Listener, key: RunKey):
        self.emit = emit
        self.key = key
        self.labels: list[str] = []
        self.snapshots: list[list[np.ndarray]] = []
        self.steps: list[list[int]] = []
        self.last_sent = 0.0
        self.flat: list[np.ndarray] = []  # every snapshot, in arrival order
        self.gram = np.zeros((0, 0))  # their dot products, grown a row at a time

    def start(self, label: str) -> None:
        self.labels.append(label)
        self.snapshots.append([])
        self.steps.append([])

    def take(self, step: int, weights: np.ndarray) -> None:
        if not np.all(np.isfinite(weights)):
            return
        weights = np.array(weights, dtype=np.float32)
        self.snapshots[-1].append(weights)
        self.steps[-1].append(step)
        wide = weights.astype(np.float64)
        row = np.array([float(wide @ w) for w in self.flat])
        n = len(self.flat)
        gram = np.empty((n + 1, n + 1))
        gram[:n, :n], gram[n, :n], gram[:n, n] = self.gram, row, row
        gram[n, n] = float(wide @ wide)
        self.flat.append(weights)
        self.gram = gram
        if time.perf_counter() - self.last_sent >= 0.25:
            self.send()

    def stacked(self, runs: list[int] | None = None) -> np.ndarray:
        """The snapshots of `runs` (default: all), one per row."""
        chosen = range(len(self.snapshots)) if runs is None else runs
        return np.concatenate([np.stack(self.snapshots[i]) for i in chosen if self.snapshots[i]])

    def paths(self, plane: SharedPlane) -> dict[str, np.ndarray]:
        return {
            label: plane.project(np.stack(s)) if s else np.zeros((0, 2))
            for label, s in zip(self.labels, self.snapshots, strict=True)
        }

    def send(self) -> None:
        """The paths so far on the plane of the snapshots so far (once there are 3): from
        the snapshots' Gram matrix alone, so each costs a small eigenproblem, not a pass over
        every weight of every snapshot."""
        self.last_sent = time.perf_counter()
        n = len(self.flat)
        if n < 3:
            return
        centring = np.eye(n) - 1.0 / n
        values, vectors = np.linalg.eigh(centring @ self.gram @ centring)
        order = np.argsort(values)[::-1]
        values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
        if values.sum() <= 0 or values[1] <= 0:
            return
        coords = vectors[:, :2] * np.sqrt(values[:2])
        coords *= np.where(coords[0] > 0, -1.0, 1.0)  # the first snapshot at the lower left
        paths, at = {}, 0
        for label, taken in zip(self.labels, self.snapshots, strict=True):
            paths[label] = coords[at : at + len(taken)]
            at += len(taken)
        self.emit(PathsMoved(self.key, paths, float(values[:2].sum() / values.sum())))


@dataclasses.dataclass(frozen=True)
class LandscapeSpec:
    """A landscape job: `runs` (label, RunConfig) trained from the same initial weights."""

    runs: list
    grid: int = GRID
    snapshots: int = SNAPSHOTS
    slice_of: int = 0  # the run whose final weights the slice is centred on


def check_spec(spec: LandscapeSpec) -> None:
    """Refuse a job's sizes that make no map, or one too big to wait for, saying why."""
    if not isinstance(spec.grid, int) or not MIN_GRID <= spec.grid <= MAX_GRID:
        raise ConfigError(
            f"A map has from {MIN_GRID} to {MAX_GRID} points a side. Received: {spec.grid}"
        )
    if not isinstance(spec.snapshots, int) or not 3 <= spec.snapshots <= 1000:
        raise ConfigError(f"A path needs from 3 to 1000 snapshots. Received: {spec.snapshots}")
    if not 0 <= spec.slice_of < max(len(spec.runs), 1):
        raise ConfigError(f"The slice is centred on one of the runs: 0 to {len(spec.runs) - 1}.")
    check_runs(spec.runs)


def check_runs(runs: list) -> None:
    """Refuse a job whose runs cannot share one landscape, saying why."""
    if not runs:
        raise ConfigError("A landscape needs at least one run: name an optimizer.")
    if len(runs) > 12:
        raise ConfigError(f"At most 12 runs share a plane (received {len(runs)}).")
    first = runs[0][1]
    shared = ("dataset", "seed", "hidden_layers", "activation", "architecture", "model_path")
    for label, config in runs[1:]:
        for name in shared + ("loss",):
            if getattr(config, name) != getattr(first, name):
                raise ConfigError(
                    f"The runs of a landscape share their data, network, loss and seed (so "
                    f"they start from the same weights): {label} has {name} = "
                    f"{getattr(config, name)!r}, the first run {getattr(first, name)!r}."
                )


class LandscapeSession:
    """Trains `spec.runs` one after another from the same initial weights, taking weight
    snapshots as they train (their paths sent as `PathsMoved` events on the plane so far), then
    computes the lines, the slice and the map under the paths. Each run's own events come as a
    lone run's, under `RunKey(key.job, i)`; the job's status and paths under the job's key."""

    def __init__(
        self,
        spec: LandscapeSpec,
        listener: Listener | None = None,
        *,
        key: RunKey | None = None,
        control: JobControl | None = None,
    ):
        self.spec = spec
        self.listener = listener or ignore
        self.key = (key or RunKey()).of_job()
        self.control = control or JobControl()

    def _status(self, text: str) -> None:
        self.listener(Status(self.key, text))

    def run(self) -> Landscape:
        from trainers import build
        from trainers.session import TrainingSession

        started = time.perf_counter()
        check_spec(self.spec)
        runs = [(label, config.validate()) for label, config in self.spec.runs]
        check_runs(runs)
        first = runs[0][1]
        data = build.load_dataset(first)
        build.check_run(first, data)
        steps = first.epochs * math.ceil(
            len(data.x_train) / build.batch_size(first, len(data.x_train))
        )
        every = max(1, steps // max(self.spec.snapshots, 1))
        paths = _Paths(self.listener, self.key)
        results = []
        for index, (label, config) in enumerate(runs):
            if self.control.stop_requested:
                break
            self._status(f"Training {label} ({index + 1} of {len(runs)})...")
            paths.start(label)
            if config.steps_per_execution == "auto":  # chunks no longer than between snapshots
                config = dataclasses.replace(config, steps_per_execution=every)
            session = TrainingSession(
                config,
                self.listener,
                key=RunKey(self.key.job, index),
                label=label,
                control=self.control,
                snapshot_every=every,
                on_snapshot=paths.take,
            )
            results.append(session.run())
        paths.send()
        landscape = Landscape(labels=[label for label, _ in runs], results=results)
        failed = [
            (label, r)
            for (label, _), r in zip(runs, results, strict=False)
            if r.status not in ("completed", "diverged", "stopped")
        ]
        if self.control.stop_requested or failed or len(results) < len(runs):
            if failed:
                label, result = failed[0]
                landscape.status = "failed"
                landscape.message = f"{label} {result.status}: {result.message}"
            else:
                landscape.status, landscape.message = "stopped", "Stopped before the maps."
            landscape.seconds = time.perf_counter() - started
            return landscape
        if any(not s or paths.steps[i][0] != 0 for i, s in enumerate(paths.snapshots)):
            landscape.status, landscape.message = "failed", "A run ended before its first step."
            return landscape
        starts = [s[0] for s in paths.snapshots]
        if any(not np.array_equal(starts[0], w) for w in starts[1:]):
            raise ConfigError("The runs did not start from the same weights: check their seeds.")
        ends = [s[-1] for s in paths.snapshots]  # a diverged run: its last finite weights
        self._maps(landscape, runs, data, paths, starts[0], ends)
        landscape.seconds = time.perf_counter() - started
        return landscape

    def _maps(self, landscape: Landscape, runs, data, paths: _Paths, start, ends) -> None:
        from trainers import build, models

        first = runs[0][1]
        loss_name = build.loss_name(first, data)
        model = landscape.results[self.spec.slice_of].model
        n = MAX_SAMPLES
        y_train = models.prepare_labels(data.y_train, data.task, loss_name, data.n_classes)
        train = LossEvaluator(model, data.x_train[:n], y_train[:n])
        val = None
        if len(data.x_val):
            y_val = models.prepare_labels(data.y_val, data.task, loss_name, data.n_classes)
            val = LossEvaluator(model, data.x_val[:n], y_val[:n])
        ts = line_points()

        def line(label, a, b):
            return Line(
                label, ts, train.line(a, b, ts), None if val is None else val.line(a, b, ts)
            )

        self._status("Loss along the lines...")
        for (label, _), end, result in zip(runs, ends, landscape.results, strict=True):
            tail = "" if result.status != "diverged" else " (its last finite weights)"
            landscape.lines.append(line(f"{label}: start to end{tail}", start, end))
        if len(runs) > 1:
            landscape.lines.append(
                line(f"{runs[0][0]} to {runs[1][0]} (end to end)", ends[0], ends[1])
            )
        if self.control.stop_requested:
            landscape.status = "stopped"
            return
        grid = self.spec.grid
        center = ends[self.spec.slice_of]
        self._status(f"The slice around {runs[self.spec.slice_of][0]}'s end ({grid} x {grid})...")
        rng = np.random.default_rng(first.seed)
        shaped = unflatten(model, center)
        d1 = flat(filter_normalized(shaped, rng))
        d2 = flat(filter_normalized(shaped, rng))
        span = np.linspace(-SLICE_SPAN, SLICE_SPAN, grid)
        clock = time.perf_counter()
        values = train.grid(center, d1, d2, span, span)
        landscape.slice = LossMap(
            f"Training loss around {runs[self.spec.slice_of][0]}'s final weights",
            "a (direction 1, filter-normalized)",
            "b (direction 2, filter-normalized)",
            span,
            span,
            values,
            time.perf_counter() - clock,
        )
        landscape.directions = (center, d1, d2)
        landscape.slice_index = self.spec.slice_of
        if self.control.stop_requested:
            landscape.status = "stopped"
            return
        # A run that diverged ends with weights far out: the plane and the map are those of
        # the others (of every run when all diverged), its path projected on them.
        statuses = [r.status for r in landscape.results]
        landscape.diverged = [
            label for (label, _), st in zip(runs, statuses, strict=True) if st == "diverged"
        ]
        kept = [i for i, st in enumerate(statuses) if st != "diverged"] or list(range(len(runs)))
        plane = shared_plane(paths.stacked(kept))
        landscape.plane = plane
        landscape.paths = paths.paths(plane)
        landscape.path_steps = dict(zip(paths.labels, paths.steps, strict=True))
        self.listener(PathsMoved(self.key, landscape.paths, plane.share))
        covered = [landscape.paths[runs[i][0]] for i in kept]
        xs, ys = map_range(np.concatenate(covered), grid)
        self._status(f"The loss under the paths ({grid} x {grid})...")
        clock = time.perf_counter()
        values = train.grid(plane.center, plane.axes[0], plane.axes[1], xs, ys)
        share = plane.explained
        landscape.paths_map = LossMap(
            "Training loss on the paths' shared plane",
            f"principal component 1 ({100 * share[0]:.0f}% of the variance)",
            f"principal component 2 ({100 * share[1]:.0f}%)",
            xs,
            ys,
            values,
            time.perf_counter() - clock,
        )


# ----------------------------------------------------------------------------- output


def figures(landscape: Landscape) -> list:
    """The landscape's pictures as `trainers.report.Figure`s: the lines, the slice, the paths
    on their shared plane (each run in its place's colour, as in every figure)."""
    from trainers.report import Figure, Series

    out = []
    if landscape.lines:
        series = []
        for index, line in enumerate(landscape.lines):
            series.append(
                Series(f"{line.label}, training", list(line.ts), list(line.train), index=index)
            )
            if line.val is not None:
                series.append(
                    Series(
                        f"{line.label}, validation",
                        list(line.ts),
                        list(line.val),
                        index=index,
                        dashed=True,
                    )
                )
        out.append(
            Figure(
                "lines",
                "Loss along straight lines in weight space",
                "t (0: the line's start, 1: its end)",
                "loss",
                series,
                log_y=True,
            )
        )
    if landscape.slice is not None:
        cut = landscape.slice
        centre = Series("final weights", [0.0], [0.0], dots=True, index=landscape.slice_index)
        out.append(
            Figure(
                "slice",
                cut.title,
                cut.xlabel,
                cut.ylabel,
                [centre],
                note="colour: log10 of the training loss",
                loss_map=(cut.xs, cut.ys, cut.values),
            )
        )
    if landscape.paths_map is not None:
        plane = landscape.paths_map
        series = [
            Series(label, list(xy[:, 0]), list(xy[:, 1]), dots=True, index=index)
            for index, (label, xy) in enumerate(landscape.paths.items())
        ]
        out.append(
            Figure(
                "paths",
                plane.title,
                plane.xlabel,
                plane.ylabel,
                series,
                note=landscape.note,
                loss_map=(plane.xs, plane.ys, plane.values),
            )
        )
    return out


def line_rows(landscape: Landscape) -> list[dict]:
    """lines.csv: one row per line and t."""
    rows = []
    for line in landscape.lines:
        for k, t in enumerate(line.ts):
            val = "" if line.val is None else float(line.val[k])
            rows.append(
                {
                    "line": line.label,
                    "t": float(t),
                    "train_loss": float(line.train[k]),
                    "val_loss": val,
                }
            )
    return rows


def map_rows(loss_map: LossMap, names: tuple[str, str]) -> list[dict]:
    """slice.csv / paths_map.csv: one row per grid point."""
    return [
        {names[0]: float(x), names[1]: float(y), "train_loss": float(loss_map.values[i, j])}
        for i, x in enumerate(loss_map.xs)
        for j, y in enumerate(loss_map.ys)
    ]


def path_rows(landscape: Landscape) -> list[dict]:
    """paths.csv: one row per snapshot of each run."""
    rows = []
    for label, xy in landscape.paths.items():
        steps = landscape.path_steps.get(label, [])
        for k, (x, y) in enumerate(xy):
            rows.append(
                {
                    "run": label,
                    "step": steps[k] if k < len(steps) else "",
                    "pc1": float(x),
                    "pc2": float(y),
                }
            )
    return rows
