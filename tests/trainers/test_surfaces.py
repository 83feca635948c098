"""The 2-D test surfaces and the paths our optimizer classes take across them.

The references here are written from EQUATIONS.md and from the functions' analytic gradients,
independently of `trainers.surfaces` and of the optimizer classes.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from trainers.catalog import OPTIMIZERS
from trainers.surfaces import (
    DIVERGENCE_LIMIT,
    SURFACES,
    PathComputer,
    get_surface,
    optimizer_path,
)

NAMES = [s.name for s in SURFACES]

# ------------------------------------------------------------------- analytic gradients, by hand


def _grad_bowl(x, y):
    return np.array([0.1 * x, 20.0 * y])


def _grad_rosenbrock(x, y):
    return np.array([-2.0 * (1 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


def _grad_beale(x, y):
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y**2
    c = 2.625 - x + x * y**3
    dx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y**2
    return np.array([dx, dy])


def _grad_himmelblau(x, y):
    a = x * x + y - 11
    b = x + y * y - 7
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


def _grad_saddle(x, y):
    return np.array([2.0 * x, -2.0 * y])


def _grad_two_valleys(x, y):
    return np.array([4 * x * (x * x - 1) + 0.3, y])


GRADIENTS = {
    "bowl": _grad_bowl,
    "rosenbrock": _grad_rosenbrock,
    "beale": _grad_beale,
    "himmelblau": _grad_himmelblau,
    "saddle": _grad_saddle,
    "two_valleys": _grad_two_valleys,
}

# ------------------------------------------------------- update rules of EQUATIONS.md, in NumPy


def reference_path(name, grad, w0, steps, hp):
    """Positions after 0..steps updates of rule `name` with gradient function `grad`."""
    w = np.array(w0, dtype=np.float64)
    lr = hp["learning_rate"]
    eps = hp.get("epsilon", 1e-7)
    v = np.zeros(2)
    s = np.full(2, hp.get("initial_accumulator_value", 0.0))
    a, d = np.zeros(2), np.zeros(2)
    m = np.zeros(2)
    path = [w.copy()]
    for t in range(1, steps + 1):
        g = grad(*w)
        if name == "sgd":
            w = w - lr * g
        elif name in ("momentum", "nesterov"):
            beta = hp.get("momentum", 0.9)
            weight = (1 - beta) if hp.get("ewma", True) else 1.0
            v = beta * v + weight * g
            w = w - lr * (v if name == "momentum" else beta * v + weight * g)
        elif name == "adagrad":
            s = s + g * g
            w = w - lr * g / (np.sqrt(s) + eps)
        elif name == "adadelta":
            rho = hp.get("rho", 0.95)
            a = rho * a + (1 - rho) * g * g
            u = np.sqrt(d + eps) / np.sqrt(a + eps) * g
            d = rho * d + (1 - rho) * u * u
            w = w - lr * u
        elif name == "rmsprop":
            rho = hp.get("rho", 0.9)
            s = rho * s + (1 - rho) * g * g
            w = w - lr * g / (np.sqrt(s) + eps)
        elif name == "adam":
            b1, b2 = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        else:
            raise AssertionError(name)
        path.append(w.copy())
    return np.array(path)


CONFIGS = [
    ("sgd", {"learning_rate": 0.001}),
    ("momentum", {"learning_rate": 0.01, "momentum": 0.9, "ewma": True}),
    ("momentum", {"learning_rate": 0.001, "momentum": 0.8, "ewma": False}),
    ("nesterov", {"learning_rate": 0.01, "momentum": 0.9, "ewma": True}),
    ("nesterov", {"learning_rate": 0.001, "momentum": 0.7, "ewma": False}),
    ("adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.1}),
    ("adadelta", {"learning_rate": 10.0, "rho": 0.9}),
    ("rmsprop", {"learning_rate": 0.01}),
    ("adam", {"learning_rate": 0.1, "beta_1": 0.8}),
]


def _config_id(config):
    name, hp = config
    return name + ("-heavy-ball" if hp.get("ewma") is False else "")


# ------------------------------------------------------------------------------------- surfaces


@pytest.mark.parametrize("name", NAMES)
def test_autodiff_gradient_matches_central_difference(name):
    surface = get_surface(name)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.uniform(*surface.x_range)
        y = rng.uniform(*surface.y_range)
        h = 1e-6
        fd = np.array(
            [
                (surface(x + h, y) - surface(x - h, y)) / (2 * h),
                (surface(x, y + h) - surface(x, y - h)) / (2 * h),
            ]
        )
        scale = max(1.0, np.abs(fd).max())
        np.testing.assert_allclose(surface.gradient((x, y)), fd, atol=1e-5 * scale)
        np.testing.assert_allclose(surface.gradient((x, y)), GRADIENTS[name](x, y), rtol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_known_minima_have_zero_gradient_and_the_lowest_value(name):
    surface = get_surface(name)
    for point in surface.minima:
        np.testing.assert_allclose(surface.gradient(point), 0.0, atol=1e-9)
        assert surface.x_range[0] < point[0] < surface.x_range[1]
        assert surface.y_range[0] < point[1] < surface.y_range[1]
    _, _, values = surface.grid(101)
    if surface.minima:
        assert surface.f_min <= values.min() + 1e-12
    else:
        assert surface.f_min is None


def test_two_valleys_has_a_local_and_a_deeper_global_minimum():
    surface = get_surface("two_valleys")
    values = sorted(float(surface(x, y)) for x, y in surface.minima)
    assert len(values) == 2 and values[0] < values[1]


@pytest.mark.parametrize("name", NAMES)
def test_surface_is_complete_and_its_grid_is_the_function(name):
    surface = get_surface(name)
    assert surface.display_name and surface.lesson and surface.formula
    assert surface.x_range[0] < surface.start[0] < surface.x_range[1]
    assert surface.y_range[0] < surface.start[1] < surface.y_range[1]
    for info in OPTIMIZERS:
        assert surface.learning_rate(info.name) > 0
    xs, ys, values = surface.grid(7)
    assert values.shape == (7, 7)
    assert values[2, 5] == pytest.approx(surface(xs[2], ys[5]))
    # The one definition gives the same numbers on tensors as on NumPy arrays.
    on_tensors = surface(tf.constant(xs[2]), tf.constant(ys[5])).numpy()
    assert on_tensors == pytest.approx(values[2, 5])


def test_unknown_surface_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="rosenbrock"):
        get_surface("nope")


# ---------------------------------------------------------------------------------------- paths


@pytest.mark.parametrize("config", CONFIGS, ids=[_config_id(c) for c in CONFIGS])
def test_first_steps_follow_the_equation(config):
    name, hp = config
    start = (-1.2, 1.0)
    result = optimizer_path("rosenbrock", name, start, 5, **hp)
    expected = reference_path(name, _grad_rosenbrock, start, 5, hp)
    assert result.positions.shape == (6, 2) and not result.diverged
    np.testing.assert_allclose(result.positions, expected, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(
        result.losses, [get_surface("rosenbrock")(*w) for w in expected], rtol=1e-4
    )


@pytest.mark.parametrize("name", NAMES)
def test_first_steps_on_every_surface(name):
    surface = get_surface(name)
    hp = {"learning_rate": surface.learning_rate("adam")}
    result = optimizer_path(surface, "adam", surface.start, 5, **hp)
    expected = reference_path("adam", GRADIENTS[name], surface.start, 5, hp)
    np.testing.assert_allclose(result.positions, expected, rtol=2e-5, atol=2e-6)


def test_path_shapes_and_effective_learning_rates():
    result = optimizer_path("bowl", "sgd", steps=20, learning_rate=0.05)
    assert result.positions.shape == (21, 2) and result.losses.shape == (21,)
    assert result.steps == 20 and result.steps_requested == 20 and result.diverged_at is None
    np.testing.assert_allclose(result.effective_learning_rates, np.full(20, 0.05), rtol=1e-6)
    assert result.start == get_surface("bowl").start
    assert result.hyperparameters == {"learning_rate": 0.05}

    adagrad = optimizer_path("bowl", "adagrad", steps=20, learning_rate=0.5)
    rates = adagrad.effective_learning_rates
    assert rates.shape == (20,) and np.all(np.diff(rates) <= 0)  # AdaGrad's rate only falls


def test_no_steps_is_just_the_start():
    result = optimizer_path("himmelblau", "rmsprop", (1.0, 2.0), 0)
    assert result.positions.tolist() == [[1.0, 2.0]]
    assert result.effective_learning_rates.shape == (0,)


def test_a_high_rate_on_the_bowl_diverges_and_keeps_the_sane_part():
    result = optimizer_path("bowl", "sgd", steps=500, learning_rate=0.2)
    assert result.diverged
    assert 2 < result.steps < 500
    assert result.diverged_at == result.steps + 1
    assert np.isfinite(result.positions).all() and np.isfinite(result.losses).all()
    assert np.abs(result.positions).max() <= DIVERGENCE_LIMIT
    # Each step across the valley is 1 - 0.2 * 20 = -3 times the one before.
    y = result.positions[:, 1]
    np.testing.assert_allclose(y[1:] / y[:-1], -3.0, rtol=1e-5)


def test_a_path_is_reproducible_and_a_reused_computer_starts_afresh():
    hp = {"learning_rate": 0.2, "initial_accumulator_value": 0.3}
    first = optimizer_path("beale", "adagrad", (1.0, 1.0), 60, **hp)
    again = optimizer_path("beale", "adagrad", (1.0, 1.0), 60, **hp)
    np.testing.assert_array_equal(first.positions, again.positions)

    computer = PathComputer()
    computer.path("beale", "adagrad", (3.5, -1.0), 30, **(hp | {"learning_rate": 0.05}))
    computer.path("beale", "adam", (0.0, 0.0), 30)
    reused = computer.path("beale", "adagrad", (1.0, 1.0), 60, **hp)
    np.testing.assert_array_equal(reused.positions, first.positions)
    adam = computer.path("beale", "adam", (1.0, 1.0), 60, learning_rate=0.03)
    fresh = optimizer_path("beale", "adam", (1.0, 1.0), 60, learning_rate=0.03)
    np.testing.assert_array_equal(adam.positions, fresh.positions)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizer_name": "lbfgs"}, "Unknown optimizer"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"momentum": 1.5, "optimizer_name": "momentum"}, "momentum"),
        ({"start": (np.nan, 0.0)}, "start"),
        ({"start": (1.0,)}, "start"),
        ({"steps": -1}, "steps"),
    ],
)
def test_invalid_arguments_are_refused(kwargs, message):
    arguments = {"optimizer_name": "sgd"} | kwargs
    with pytest.raises(ValueError, match=message):
        optimizer_path("bowl", **arguments)
