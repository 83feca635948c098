"""Sharpness (`trainers.sharpness`): power iteration on Hessian-vector products against the
dense Hessian's largest eigenvalue on a tiny model (plain, and preconditioned by Adam's own
state), and the stability thresholds of EQUATIONS.md against our optimizers on a quadratic:
just below the threshold the iterates shrink, just above they grow."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers import optimizers, sharpness


def tiny_model(optimizer="sgd", seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input(shape=(2,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=optimizers.get(optimizer, learning_rate=0.05), loss="mse")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:] ** 2).astype("float32")
    return model, x, y


def dense_hessian(model, x, y) -> np.ndarray:
    """H of the model's training loss, built column block by column block by TensorFlow's
    Jacobian of the gradient (not the product the module uses)."""
    weights = model.trainable_variables
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            loss = model.compute_loss(x, y, model(x, training=False))
        grads = inner.gradient(loss, weights)
        flat = tf.concat([tf.reshape(g, [-1]) for g in grads], axis=0)
    blocks = [tf.reshape(outer.jacobian(flat, w), (flat.shape[0], -1)) for w in weights]
    return np.concatenate([b.numpy() for b in blocks], axis=1).astype(np.float64)


def test_lambda_max_is_the_dense_hessians_largest_eigenvalue():
    model, x, y = tiny_model()
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)  # away from the start
    hessian = dense_hessian(model, x, y)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-4)  # a Hessian, as built
    expected = np.linalg.eigvalsh((hessian + hessian.T) / 2).max()
    found = sharpness.lambda_max(model, x, y, iterations=200, tolerance=1e-7)
    assert not found.preconditioned
    assert found.value == pytest.approx(expected, rel=1e-3)


def test_the_default_tolerance_stops_early_and_stays_close():
    model, x, y = tiny_model(seed=1)
    hessian = dense_hessian(model, x, y)
    expected = np.linalg.eigvalsh((hessian + hessian.T) / 2).max()
    found = sharpness.lambda_max(model, x, y)
    assert found.iterations <= sharpness.ITERATIONS
    assert found.value == pytest.approx(expected, rel=0.05)


def test_adams_preconditioned_sharpness_is_that_of_its_own_scaling():
    model, x, y = tiny_model("adam")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)  # Adam's v is no longer zero
    weights = model.trainable_variables
    diagonal = sharpness.preconditioner(model.optimizer, weights)
    assert diagonal is not None
    assert [d.shape for d in diagonal] == [tuple(w.shape) for w in weights]
    # D = sqrt(v_hat) + epsilon, v_hat = v / (1 - beta_2^t), from the optimizer's own state.
    t = int(model.optimizer.iterations.numpy())
    v = model.optimizer.state_of("_velocities", weights[0]).numpy()
    np.testing.assert_allclose(diagonal[0], np.sqrt(v / (1 - 0.999**t)) + 1e-7, rtol=1e-6)
    hessian = dense_hessian(model, x, y)
    root = 1.0 / np.sqrt(np.concatenate([d.ravel() for d in diagonal]))
    scaled = root[:, None] * ((hessian + hessian.T) / 2) * root[None, :]
    expected = np.linalg.eigvalsh(scaled).max()
    found = sharpness.lambda_max(model, x, y, diagonal=diagonal, iterations=300, tolerance=1e-8)
    assert found.preconditioned
    assert found.value == pytest.approx(expected, rel=1e-3)
    assert sharpness.preconditioner(optimizers.get("sgd", learning_rate=0.1), weights) is None


def test_at_a_saddle_the_largest_not_the_most_negative_eigenvalue_is_found():
    """A model whose loss is w1^2 - 3 w2^2 around 0: eigenvalues 2 and -6."""
    weight = keras.Variable(np.zeros(2, "float32"))

    class Saddle(keras.Model):
        def __init__(self):
            super().__init__()
            self.w = weight

        def call(self, inputs, training=False):
            return inputs * 0.0 + (self.w[0] ** 2 - 3.0 * self.w[1] ** 2)

        def compute_loss(self, x=None, y=None, y_pred=None, **_):
            return tf.reduce_mean(y_pred)

    model = Saddle()
    model(np.zeros((1, 1), "float32"))
    found = sharpness.lambda_max(
        model, np.zeros((1, 1), "float32"), np.zeros((1, 1), "float32"), iterations=100
    )
    assert found.value == pytest.approx(2.0, rel=1e-3)


def run_on_quadratic(optimizer: str, curvature: float, rate: float, steps: int = 300, **hyper):
    """|w| after `steps` of our optimizer on f(w) = curvature / 2 * w^2 from w = 1."""
    weight = keras.Variable(np.ones(1, "float64"), dtype="float64")
    opt = optimizers.get(optimizer, learning_rate=rate, **hyper)
    for _ in range(steps):
        opt.apply_gradients([(curvature * weight.value, weight)])
    return float(abs(weight.numpy()[0]))


@pytest.mark.parametrize(
    ("optimizer", "hyper"),
    [
        ("sgd", {}),
        ("momentum", {"momentum": 0.9}),
        ("momentum", {"momentum": 0.9, "ewma": False}),
        ("nesterov", {"momentum": 0.9}),
        ("nesterov", {"momentum": 0.5, "ewma": False}),
    ],
)
def test_each_threshold_is_where_our_optimizer_turns_unstable_on_a_quadratic(optimizer, hyper):
    curvature = 4.0
    # The rate at which lambda_max = curvature sits exactly on the threshold (it scales as
    # 1 / eta): threshold(eta=1) / curvature.
    at_one, quantity = sharpness.threshold(optimizer, {"learning_rate": 1.0, **hyper})
    assert quantity == "lambda_max"
    critical = at_one / curvature
    assert run_on_quadratic(optimizer, curvature, 0.95 * critical, **hyper) < 1e-3
    assert run_on_quadratic(optimizer, curvature, 1.05 * critical, **hyper) > 1e3


# Adam's family with a huge epsilon: D = sqrt(v_hat) + epsilon (Adamax: u = max(b2 u, |g| + eps))
# stays within 1e-4 of epsilon while |g| <= 4e3, so the preconditioner is frozen, as the
# thresholds assume, and the preconditioned curvature is curvature / epsilon.
FROZEN = 1e8


def run_late_on_quadratic(optimizer: str, curvature: float, rate: float, **hyper):
    """(|w| at the end, the largest |w| on the way) after 300 steps of our optimizer on f(w) =
    curvature / 2 * w^2 from w = 1, once the bias corrections have faded, as the thresholds
    assume: the step counter starts at 10,000 (early on, m / (1 - b1^t) is up to 10 times m,
    and so is the step). An unstable run grows until |g| is of the order of epsilon, where the
    preconditioner no longer stays frozen and holds it: its largest |w| tells."""
    weight = keras.Variable(np.ones(1, "float64"), dtype="float64")
    opt = optimizers.get(optimizer, learning_rate=rate, **hyper)
    opt.build([weight])
    opt.iterations.assign(10_000)
    largest = 1.0
    for _ in range(300):
        opt.apply_gradients([(curvature * weight.value, weight)])
        largest = max(largest, float(abs(weight.numpy()[0])))
    return float(abs(weight.numpy()[0])), largest


@pytest.mark.parametrize(
    ("optimizer", "hyper"),
    [
        ("adam", {}),
        ("adam", {"amsgrad": True}),
        # lambda of the order of the preconditioned curvature 4e-8: eta lambda = 1.65 at the
        # threshold, which is then 5.8 times lower than Adam's
        ("adamw", {"weight_decay_rate": 1e-8}),
        ("adamw", {"weight_decay_rate": 1e-8, "amsgrad": True, "beta_1": 0.5}),
        ("adamax", {}),
    ],
)
def test_adams_family_turns_unstable_at_its_threshold_with_a_frozen_preconditioner(
    optimizer, hyper
):
    curvature = 4.0
    hyper = {"epsilon": FROZEN, **hyper}
    preconditioned = curvature / FROZEN

    def excess(eta):  # the threshold falls as eta grows: one root
        return sharpness.threshold(optimizer, {"learning_rate": eta, **hyper})[0] - preconditioned

    low, high = 1.0, 1e12
    for _ in range(200):
        middle = (low * high) ** 0.5
        low, high = (middle, high) if excess(middle) > 0 else (low, middle)
    critical = low
    assert sharpness.threshold(optimizer, {"learning_rate": critical, **hyper})[1] == (
        "preconditioned lambda_max"
    )
    below, _ = run_late_on_quadratic(optimizer, curvature, 0.95 * critical, **hyper)
    assert below < 1e-3
    _, above = run_late_on_quadratic(optimizer, curvature, 1.05 * critical, **hyper)
    assert above > 1e3


def test_the_preconditioner_of_each_adaptive_optimizer_reads_its_own_state():
    weight = keras.Variable(np.ones(3, "float32"))
    steps = [np.array([3.0, -0.5, 1.0], "float32"), np.array([0.1, 0.1, -4.0], "float32")]

    def stepped(name, **hyper):
        opt = optimizers.get(name, learning_rate=0.01, **hyper)
        for g in steps:
            opt.apply_gradients([(tf.constant(g), weight)])
        return opt

    g1, g2 = (s.astype(np.float64) for s in steps)
    # Adam, b2 = 0.5: v = 0.25 g1^2 + 0.5 g2^2; AMSGrad keeps max(0.5 g1^2, v); both / (1 - 0.25)
    v = 0.25 * g1**2 + 0.5 * g2**2
    for name, hyper in (("adam", {}), ("adamw", {"weight_decay_rate": 0.1})):
        plain = sharpness.preconditioner(stepped(name, beta_2=0.5, **hyper), [weight])
        np.testing.assert_allclose(plain[0], np.sqrt(v / 0.75) + 1e-7, rtol=1e-6)
        amsgrad = sharpness.preconditioner(
            stepped(name, beta_2=0.5, amsgrad=True, **hyper), [weight]
        )
        v_max = np.maximum(0.5 * g1**2, v)
        assert np.any(v_max > v)  # the maximum is not v itself here
        np.testing.assert_allclose(amsgrad[0], np.sqrt(v_max / 0.75) + 1e-7, rtol=1e-6)
    # Adamax, b2 = 0.5: u = max(0.5 (|g1| + eps), |g2| + eps), epsilon already inside.
    adamax = sharpness.preconditioner(stepped("adamax", beta_2=0.5), [weight])
    u = np.maximum(0.5 * (np.abs(g1) + 1e-7), np.abs(g2) + 1e-7)
    np.testing.assert_allclose(adamax[0], u, rtol=1e-6)
    assert sharpness.preconditioner(stepped("lion"), [weight]) is None


def test_thresholds_of_the_table():
    assert sharpness.threshold("sgd", {"learning_rate": 0.1}) == (pytest.approx(20.0), "lambda_max")
    adam = sharpness.threshold("adam", {"learning_rate": 0.001})
    assert adam[0] == pytest.approx(38 / 0.001) and adam[1] == "preconditioned lambda_max"
    assert sharpness.threshold("rmsprop", {"learning_rate": 0.01})[0] == pytest.approx(200.0)
    assert sharpness.threshold("adadelta", {"learning_rate": 1.0}) is None
    assert sharpness.threshold("lion", {"learning_rate": 1e-4}) is None
    # AMSGrad and Adamax: Adam's; AdamW: Adam's times (1 - eta lambda / 2) = 0.99995 here.
    assert sharpness.threshold("adam", {"learning_rate": 0.001, "amsgrad": True}) == adam
    assert sharpness.threshold("adamax", {"learning_rate": 0.002})[0] == pytest.approx(38 / 0.002)
    adamw = sharpness.threshold("adamw", {"learning_rate": 0.001})
    assert adamw == (pytest.approx(38 / 0.001 * (1 - 0.001 * 0.01 / 2)), adam[1])
    assert sharpness.threshold("no-such-optimizer", {"learning_rate": 1.0}) is None


@pytest.mark.parametrize(
    ("optimizer", "hyper", "written"),
    [
        ("sgd", {}, "2/η"),
        ("momentum", {}, "(2+2β)/(η(1−β))"),
        ("momentum", {"ewma": False}, "(2+2β)/η"),
        ("nesterov", {}, "(2+2β)/(η(1−β)(1+2β))"),
        ("nesterov", {"ewma": False}, "(2+2β)/(η(1+2β))"),
        ("rmsprop", {}, "2/η"),
        ("adagrad", {}, "2/η"),
        ("adam", {}, "(2+2β₁)/((1−β₁)η)"),
        ("adam", {"amsgrad": True}, "(2+2β₁)/((1−β₁)η)"),
        ("adamax", {}, "(2+2β₁)/((1−β₁)η)"),
        ("adamw", {}, "(1+β₁)(2−ηλ)/((1−β₁)η)"),
        ("adadelta", {}, None),
        ("lion", {}, None),
    ],
)
def test_each_threshold_is_written_as_its_row_of_the_table(optimizer, hyper, written):
    assert sharpness.formula(optimizer, {"learning_rate": 0.1, **hyper}) == written


def test_the_verdict_names_the_fraction_of_the_threshold_and_what_it_means():
    edge = 2 / 0.3
    assert sharpness.verdict(0.97 * edge, edge, "lambda_max", "2/η") == (
        "λmax is 0.97 of the threshold 2/η (6.47 of 6.67): at the edge of stability."
    )
    assert sharpness.verdict(1.2 * edge, edge, "lambda_max").endswith("at the edge of stability.")
    assert sharpness.verdict(0.5 * edge, edge, "lambda_max").endswith("where the steps are stable.")
    assert sharpness.verdict(1.5 * edge, edge, "lambda_max").endswith(
        "past it, so expect the loss to rise or the run to diverge."
    )
    adam = sharpness.verdict(10.0, 3800.0, "preconditioned lambda_max", "(2+2β₁)/((1−β₁)η)")
    assert adam.startswith("The preconditioned sharpness is 0.0026 of the threshold (2+2β₁)")
    assert sharpness.verdict(3.0, None, "lambda_max") == (
        "λmax is 3; this optimizer has no stability threshold to compare."
    )
    assert "diverged" in sharpness.verdict(float("nan"), edge, "lambda_max")


def _tracked(rate: float, epochs: int, every: int = 25, optimizer: str = "sgd"):
    from trainers.config import RunConfig
    from trainers.session import TrainingSession

    heard = []
    config = RunConfig(
        "sine",
        optimizer=optimizer,
        hyperparameters={"learning_rate": rate},
        batch_size="full",
        epochs=epochs,
        activation="tanh",
        hidden_layers=(32,),
        sharpness_every=every,
        seed=0,
    )
    from trainers.events import SharpnessMeasured

    result = TrainingSession(
        config, lambda e: heard.append(e) if isinstance(e, SharpnessMeasured) else None
    ).run()
    assert result.status == "completed"
    return result, heard


def test_gradient_descent_sharpens_to_two_over_eta_and_hovers_there():
    """Full-batch gradient descent on the sine regression (MSE), 32 tanh units: at eta = 0.3
    the sharpness rises until it reaches 2/eta and then stays about there (the edge of
    stability); at eta = 0.05 it stays far below its own, much higher, 2/eta."""
    edge, heard = _tracked(0.3, 300)
    steps = [step for step, _value, _bound in edge.sharpness]
    assert steps == list(range(0, 301, 25))  # one step per epoch: exactly every 25
    assert [(e.step, e.value, e.threshold) for e in heard] == edge.sharpness  # as reported
    values = np.array([value for _step, value, _bound in edge.sharpness])
    bounds = [bound for _step, _value, bound in edge.sharpness]
    assert bounds == [pytest.approx(2 / 0.3)] * len(bounds)
    edge_value = 2 / 0.3
    by_step = dict(zip(steps, values, strict=True))
    # Measured here: 6.1, 5.8, 7.5, 9.5 (past the edge: the loss jumps and the sharpness
    # falls back), 3.5 at step 100, then a steady rise (progressive sharpening) to the edge
    # and just above it: 6.8 at step 200, 8.7 at 300 (7.4-7.6 from 400 to 600).
    rising = [by_step[step] for step in range(100, 201, 25)]
    assert rising[0] < 0.6 * edge_value and np.all(np.diff(rising) > 0)
    assert values.max() >= edge_value  # it reaches the edge
    late = np.array([by_step[step] for step in range(200, 301, 25)])
    assert np.all((0.9 * edge_value <= late) & (late <= 1.4 * edge_value))  # and stays by it
    gentle, _ = _tracked(0.05, 100)
    assert max(value for _s, value, _b in gentle.sharpness) < 0.5 * (2 / 0.05)


def test_the_last_measurement_is_the_sharpness_of_the_final_weights():
    from trainers import build

    result, _ = _tracked(0.3, 50, every=10)
    step, value, _bound = result.sharpness[-1]
    assert step == 50
    data = build.load_dataset(result.config)
    model = result.model
    x = data.x_train[: sharpness.SAMPLES]
    y = data.y_train[: sharpness.SAMPLES].reshape(len(x), -1).astype("float32")
    direct = sharpness.lambda_max(model, x, y, iterations=300, tolerance=1e-8)
    assert value == pytest.approx(direct.value, rel=5e-3)


def test_adams_tracked_sharpness_is_preconditioned_and_starts_after_its_first_step():
    result, heard = _tracked(0.01, 30, every=10, optimizer="adam")
    assert [e.step for e in heard] == [10, 20, 30]  # none at 0: Adam's scaling is not made
    assert {e.quantity for e in heard} == {"preconditioned lambda_max"}
    assert [e.threshold for e in heard] == [pytest.approx(38 / 0.01)] * 3


def test_sharpness_tracking_is_refused_across_devices_and_out_of_range():
    from trainers.config import RunConfig
    from trainers.errors import ConfigError

    with pytest.raises(ConfigError, match="one device"):
        RunConfig(sharpness_every=10, distribute="mirrored").validate()
    with pytest.raises(ConfigError, match="sharpness_every"):
        RunConfig(sharpness_every=-1).validate()
