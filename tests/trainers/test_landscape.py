"""The loss landscape (`trainers.landscape`): filter-normalized directions and the shared plane
against EQUATIONS.md's definitions computed here directly; the evaluator's maps and lines
against a direct Keras `evaluate` at the same weights; the paths from one shared start, sent
while the runs train; bad jobs refused with what to change."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from trainers import build, landscape, models, plans
from trainers.config import RunConfig
from trainers.errors import ConfigError
from trainers.events import Finished, PathsMoved

ROOT = Path(__file__).resolve().parents[2]


def test_filter_normalized_directions_have_each_filters_norm_and_leave_biases_at_zero():
    rng = np.random.default_rng(3)
    dense = rng.standard_normal((5, 4))  # 4 output units
    conv = rng.standard_normal((3, 3, 2, 6))  # 6 output channels
    bias = rng.standard_normal(4)
    d_dense, d_conv, d_bias = landscape.filter_normalized([dense, conv, bias], rng)
    assert d_dense.shape == dense.shape and d_conv.shape == conv.shape
    np.testing.assert_array_equal(d_bias, 0.0)
    for f in range(4):
        assert np.linalg.norm(d_dense[:, f]) == pytest.approx(np.linalg.norm(dense[:, f]))
    for f in range(6):
        assert np.linalg.norm(d_conv[..., f]) == pytest.approx(np.linalg.norm(conv[..., f]))
    # random: not the weights themselves, and a fresh draw differs
    again = landscape.filter_normalized([dense], rng)[0]
    assert not np.allclose(again, d_dense) and not np.allclose(d_dense, dense)


def test_the_shared_plane_is_the_snapshots_first_two_principal_components():
    rng = np.random.default_rng(0)
    n, p = 30, 200
    basis = np.linalg.qr(rng.standard_normal((p, 3)))[0].T
    coefficients = rng.standard_normal((n, 3)) * np.array([5.0, 2.0, 0.5])
    snapshots = 1.0 + coefficients @ basis
    plane = landscape.shared_plane(snapshots)
    # PCA the textbook way: the SVD of the centred snapshots
    centred = snapshots - snapshots.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    assert plane.explained == pytest.approx(tuple(variance[:2] / variance.sum()), rel=1e-9)
    for k in range(2):  # the same axes, up to sign
        assert abs(plane.axes[k] @ vt[k]) == pytest.approx(1.0, rel=1e-9)
    np.testing.assert_allclose(plane.axes @ plane.axes.T, np.eye(2), atol=1e-10)
    coords = plane.project(snapshots)
    assert (coords[0] <= 0).all()  # the first snapshot at the lower left
    np.testing.assert_allclose(np.abs(coords), np.abs(centred @ vt[:2].T), atol=1e-9)
    assert "holds" in landscape.explained_note(plane.share)
    assert "only 30%" in landscape.explained_note(0.3)


def test_too_few_or_unmoving_snapshots_make_no_plane():
    with pytest.raises(ConfigError, match="at least 3"):
        landscape.shared_plane(np.zeros((2, 5)))
    with pytest.raises(ConfigError, match="hardly moved"):
        landscape.shared_plane(np.ones((6, 5)))


def _evaluate(model, weights, x, y) -> float:
    model.set_weights(landscape.unflatten(model, weights))
    return float(model.evaluate(x, y, batch_size=256, verbose=0, return_dict=True)["loss"])


def _network(first: str):
    """A small classifier whose first layer is a Dense or a layer normalization (whose scale
    and offset are 1-D: no direction moves them), with an L2 penalty on a kernel."""
    front = (
        [keras.layers.Dense(12, activation="tanh", kernel_regularizer=keras.regularizers.L2(0.01))]
        if first == "dense"
        else [
            keras.layers.LayerNormalization(),
            keras.layers.Dense(
                12, activation="tanh", kernel_regularizer=keras.regularizers.L2(0.01)
            ),
        ]
    )
    model = keras.Sequential(
        [keras.Input((6,)), *front, keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("first", ["dense", "normalization"])
def test_the_evaluator_equals_a_direct_evaluate_with_the_penalties(first):
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((700, 6)).astype("float32")
    y = rng.integers(0, 3, 700)
    model = _network(first)
    centre = landscape.flat(model.get_weights())
    shaped = landscape.unflatten(model, centre)
    d1 = landscape.flat(landscape.filter_normalized(shaped, rng))
    d2 = landscape.flat(landscape.filter_normalized(shaped, rng))
    evaluator = landscape.LossEvaluator(model, x, y)
    xs, ys = np.linspace(-1, 1, 7), np.linspace(-0.5, 1.5, 5)
    values = evaluator.grid(centre, d1, d2, xs, ys)
    np.testing.assert_array_equal(landscape.flat(model.get_weights()), centre)  # put back
    for i, j in [(0, 0), (3, 2), (6, 4), (1, 3)]:
        at = landscape.point(centre, d1, d2, xs[i], ys[j])
        assert values[i, j] == pytest.approx(_evaluate(model, at, x, y), rel=1e-5)
    # more points than one compiled call takes
    many = evaluator.line(
        centre, centre + d1, np.linspace(-0.5, 1.5, landscape.POINTS_PER_CALL + 9)
    )
    direct = _evaluate(model, landscape.point(centre, d1, d2, 1.5, 0.0), x, y)
    assert many[-1] == pytest.approx(direct, rel=1e-5)


@pytest.fixture(scope="module")
def job():
    base = RunConfig(dataset="moons", epochs=4, batch_size="32", seed=5)
    runs = plans.plan(base, optimizers=["sgd", "adam"])
    runs = [
        (label, dataclasses.replace(c, hyperparameters={"learning_rate": 0.05}))
        for label, c in runs
    ]
    events = []
    spec = landscape.LandscapeSpec(runs=runs, grid=9, snapshots=12)
    found = landscape.LandscapeSession(spec, events.append).run()
    return runs, found, events


def test_a_job_draws_each_run_from_one_start_and_its_maps_equal_evaluate(job):
    runs, found, events = job
    assert found.status == "completed", found.message
    config = runs[0][1].validate()
    data = build.load_dataset(config)
    loss_name = build.loss_name(config, data)
    y = models.prepare_labels(data.y_train, data.task, loss_name, data.n_classes)
    model = found.results[0].model
    # every path starts at the shared initial weights' point, and ends at its run's end
    starts = [xy[0] for xy in found.paths.values()]
    np.testing.assert_allclose(starts[0], starts[1], atol=1e-9)
    assert all(len(xy) >= 8 for xy in found.paths.values())
    ends = {
        label: landscape.flat(result.model.trainable_variables)
        for label, result in zip(found.labels, found.results, strict=True)
    }
    for label, end in ends.items():
        np.testing.assert_allclose(
            found.plane.project(end[None])[0], found.paths[label][-1], atol=1e-6
        )
    # a line: t = 0 and t = 1 are its two ends, by a direct evaluate
    line = found.lines[0]
    t1 = int(np.argmin(abs(line.ts - 1.0)))
    assert line.train[t1] == pytest.approx(
        _evaluate(model, ends[found.labels[0]], data.x_train, y), rel=1e-5
    )
    assert len(found.lines) == 3 and found.lines[-1].val is not None  # runs' ends joined
    # the slice and the paths' map at sampled points, by a direct evaluate
    centre, d1, d2 = found.directions
    cut = found.slice
    for i, j in [(0, 8), (4, 4), (7, 2)]:
        at = landscape.point(centre, d1, d2, cut.xs[i], cut.ys[j])
        assert cut.values[i, j] == pytest.approx(_evaluate(model, at, data.x_train, y), rel=1e-5)
    plane, on = found.plane, found.paths_map
    for i, j in [(1, 1), (8, 5)]:
        at = landscape.point(plane.center, plane.axes[0], plane.axes[1], on.xs[i], on.ys[j])
        assert on.values[i, j] == pytest.approx(_evaluate(model, at, data.x_train, y), rel=1e-5)
    # the map covers every path
    for xy in found.paths.values():
        assert on.xs[0] <= xy[:, 0].min() and xy[:, 0].max() <= on.xs[-1]
        assert on.ys[0] <= xy[:, 1].min() and xy[:, 1].max() <= on.ys[-1]


def test_paths_are_sent_while_the_runs_train(job):
    _, found, events = job
    moved = [i for i, e in enumerate(events) if isinstance(e, PathsMoved)]
    last_finish = max(i for i, e in enumerate(events) if isinstance(e, Finished))
    assert moved and moved[0] < last_finish  # before the last run ended
    final = events[moved[-1]]
    assert set(final.paths) == set(found.labels)
    for label in found.labels:
        np.testing.assert_allclose(final.paths[label], found.paths[label])
    assert final.explained == pytest.approx(found.plane.share)
    # the live paths come from the snapshots' Gram matrix alone: once every snapshot is in,
    # they are the final plane's projections
    live = events[moved[-2]]
    scale = max(np.abs(xy).max() for xy in found.paths.values())
    for label in found.labels:
        np.testing.assert_allclose(live.paths[label], found.paths[label], atol=1e-5 * scale)
    assert live.explained == pytest.approx(found.plane.share, rel=1e-6)


def test_the_figures_show_the_landscapes_numbers(job):
    _, found, _ = job
    figures = {f.name: f for f in landscape.figures(found)}
    assert set(figures) == {"lines", "slice", "paths"}
    xs, ys, values = figures["paths"].loss_map
    np.testing.assert_array_equal(values, found.paths_map.values)
    label = found.labels[1]
    drawn = next(s for s in figures["paths"].series if s.label == label)
    np.testing.assert_allclose(drawn.xs, found.paths[label][:, 0])
    dashed = [s for s in figures["lines"].series if s.dashed]
    assert dashed and all("validation" in s.label for s in dashed)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"grid": 3}, "from 5 to 101 points"),
        ({"snapshots": 1}, "from 3 to 1000 snapshots"),
        ({"slice_of": 4}, "centred on one of the runs"),
    ],
)
def test_a_bad_job_is_refused_before_anything_trains(change, words):
    runs = plans.plan(RunConfig(dataset="moons"), optimizers=["sgd", "adam"])
    with pytest.raises(ConfigError, match=words):
        landscape.check_spec(landscape.LandscapeSpec(runs=runs, **change))


def test_runs_that_cannot_start_from_the_same_weights_are_refused():
    runs = [("a", RunConfig(dataset="moons", seed=1)), ("b", RunConfig(dataset="moons", seed=2))]
    with pytest.raises(ConfigError, match="seed"):
        landscape.check_runs(runs)


def test_the_command_writes_the_tables_and_the_pictures(tmp_path):
    out = tmp_path / "land"
    command = [
        sys.executable,
        str(ROOT / "main.py"),
        "landscape",
        "--dataset",
        "moons",
        "--optimizers",
        "sgd,adam",
        "--epochs",
        "2",
        "--grid",
        "7",
        "--out",
        str(out),
    ]
    env = {"QT_QPA_PLATFORM": "offscreen", "DESCENT_RUNS_DIR": str(tmp_path / "runs")}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={**_env(), **env}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "The plane holds" in done.stdout
    rows = (out / "slice.csv").read_text().splitlines()
    assert rows[0] == "a,b,train_loss" and len(rows) == 1 + 7 * 7
    paths = (out / "paths.csv").read_text().splitlines()
    assert paths[0] == "run,step,pc1,pc2" and any(r.startswith("Adam") for r in paths[1:])
    for name in ("lines", "slice", "paths"):
        assert (out / f"{name}.png").stat().st_size > 10_000
        assert (out / f"{name}.svg").exists()


def _env() -> dict:
    import os

    return dict(os.environ)


def test_a_run_that_diverges_keeps_its_path_up_to_its_last_finite_weights():
    base = RunConfig(dataset="sine", epochs=3, batch_size="32", seed=2)
    runs = plans.plan(base, optimizers=["sgd", "adam"])
    runs[0] = (runs[0][0], dataclasses.replace(runs[0][1], hyperparameters={"learning_rate": 50.0}))
    found = landscape.LandscapeSession(landscape.LandscapeSpec(runs=runs, grid=5)).run()
    assert found.status == "completed", found.message
    assert found.results[0].status == "diverged"
    assert "last finite weights" in found.lines[0].label
    assert np.isfinite(found.paths[found.labels[0]]).all()
    assert np.isfinite(found.paths_map.values).all()  # the plane and map of the others
    adam = found.paths[found.labels[1]]
    assert found.paths_map.xs[0] <= adam[:, 0].min() and adam[:, 0].max() <= found.paths_map.xs[-1]
    assert found.diverged == [found.labels[0]] and "diverged" in found.note


def test_a_stopped_job_ends_as_stopped_without_maps():
    from trainers.control import JobControl

    control = JobControl()
    runs = plans.plan(RunConfig(dataset="moons", epochs=2), optimizers=["sgd", "adam"])

    def stop_at_first_paths(event):
        if isinstance(event, PathsMoved):
            control.stop()

    session = landscape.LandscapeSession(
        landscape.LandscapeSpec(runs=runs, grid=5), stop_at_first_paths, control=control
    )
    found = session.run()
    assert found.status == "stopped" and found.paths_map is None and found.slice is None
