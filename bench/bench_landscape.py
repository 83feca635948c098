"""Row 14, a loss map in seconds: a 41 x 41 grid of the training loss on a plane of a
50,826-weight MLP (64-256-128-10, relu, softmax) on 10,000 samples, by `LossEvaluator` (41
points per compiled call), against the plain way, `set_weights` then `evaluate` per point (timed
on 41 points and scaled to the grid), in the same process; and the values of both at the same
points, which must agree to rtol 1e-5."""

from __future__ import annotations

import time

import _common as bench

SCRIPT = "bench_landscape.py"
GOAL_S = 30.0
SAMPLES = 10_000
PLAIN_POINTS = 41


def run(folder) -> dict:
    import keras
    import numpy as np

    from trainers import landscape

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SAMPLES, 64)).astype("float32")
    y = rng.integers(0, 10, SAMPLES)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy")
    weights = model.count_params()
    centre = landscape.flat(model.get_weights())
    shaped = landscape.unflatten(model, centre)
    d1 = landscape.flat(landscape.filter_normalized(shaped, rng))
    d2 = landscape.flat(landscape.filter_normalized(shaped, rng))
    axis = np.linspace(-1.0, 1.0, landscape.GRID)
    evaluator = landscape.LossEvaluator(model, x, y)
    started = time.perf_counter()
    values = evaluator.grid(centre, d1, d2, axis, axis)
    grid_s = time.perf_counter() - started
    points = landscape.GRID**2
    bench.log(f"  evaluator: {points} points in {grid_s:.1f} s ({points / grid_s:.0f}/s)")

    picks = [(int(i), int(j)) for i, j in rng.integers(0, landscape.GRID, (PLAIN_POINTS, 2))]
    plain = []
    started = time.perf_counter()
    for i, j in picks:
        at = landscape.point(centre, d1, d2, axis[i], axis[j])
        model.set_weights(landscape.unflatten(model, at))
        plain.append(model.evaluate(x, y, batch_size=SAMPLES, verbose=0, return_dict=True)["loss"])
    plain_s = (time.perf_counter() - started) / PLAIN_POINTS * points
    mine = np.array([values[i, j] for i, j in picks])
    worst = float(np.max(np.abs(mine / np.array(plain) - 1.0)))
    bench.log(
        f"  plain evaluate: {plain_s:.1f} s for the grid (scaled); worst rel. diff {worst:.1e}"
    )
    met = grid_s <= GOAL_S and worst <= 1e-5
    return bench.make_row(
        14,
        "a 41x41 loss map",
        f"{weights} weights (64-256-128-10 MLP), {SAMPLES} samples, {points} points by "
        f"LossEvaluator; baseline: set_weights + evaluate per point ({PLAIN_POINTS} timed, "
        "scaled), same process",
        f"{grid_s:.1f} s ({plain_s / grid_s:.2f}x faster than plain evaluate); values agree to "
        f"{worst:.1e}",
        f"<= {GOAL_S:.0f} s, rtol 1e-5",
        met,
        SCRIPT,
        {"grid_s": grid_s, "plain_s": plain_s, "worst_rel": worst, "weights": weights},
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
