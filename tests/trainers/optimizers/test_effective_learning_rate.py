"""`effective_learning_rate()`: the per-weight rate averaged over weights, read from the state."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.optimizers import conformance
from trainers import optimizers


def _constant_gradient_rates(optimizer, steps: int, gradient=(0.5, -2.0, 1.0)) -> np.ndarray:
    """The reading after each of `steps` updates with the same gradient."""
    variable = keras.Variable(np.zeros(len(gradient), dtype=np.float32))
    optimizer.build([variable])
    g = tf.constant(gradient, dtype=tf.float32)
    rates = []
    for _ in range(steps):
        optimizer.apply_gradients([(g, variable)])
        rates.append(float(optimizer.effective_learning_rate()))
    return np.array(rates)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "lion"])
def test_is_the_learning_rate_without_per_weight_scaling(name):
    rates = _constant_gradient_rates(optimizers.get(name, learning_rate=0.03), steps=3)
    np.testing.assert_allclose(rates, 0.03, rtol=1e-6)


def test_adagrad_rate_only_falls():
    rates = _constant_gradient_rates(optimizers.Adagrad(learning_rate=0.1), steps=30)
    assert np.all(np.diff(rates) < 0)
    # After t steps s = t * g * g: the median of 0.1 / (sqrt(t) * |g|) over g = [0.5, 2, 1].
    expected = 0.1 / np.sqrt(30) * np.median(1 / np.array([0.5, 2.0, 1.0]))
    assert rates[-1] == pytest.approx(expected, rel=1e-5)


def test_rmsprop_rate_levels_off():
    rates = _constant_gradient_rates(optimizers.RMSprop(learning_rate=0.01, rho=0.9), steps=120)
    assert np.all(np.diff(rates) < 0)  # s = (1 - rho^t) g*g rises towards g*g ...
    assert abs(rates[-1] - rates[-2]) < 1e-6 * rates[-1]  # ... and stops there
    expected = np.median(0.01 / (np.array([0.5, 2.0, 1.0]) + 1e-7))
    assert rates[-1] == pytest.approx(expected, rel=1e-5)


def test_adam_rate_is_flat_under_a_constant_gradient():
    # The bias correction makes v^ = g * g exactly from the first step on.
    rates = _constant_gradient_rates(optimizers.Adam(learning_rate=0.01), steps=10)
    expected = np.median(0.01 / (np.array([0.5, 2.0, 1.0]) + 1e-7))
    np.testing.assert_allclose(rates, expected, rtol=1e-4)


def _rates_along(optimizer, gradients) -> np.ndarray:
    """The reading after each update with `gradients`, one per step."""
    variable = keras.Variable(np.zeros(len(gradients[0]), dtype=np.float32))
    optimizer.build([variable])
    rates = []
    for g in gradients:
        optimizer.apply_gradients([(tf.constant(g, dtype=tf.float32), variable)])
        rates.append(float(optimizer.effective_learning_rate()))
    return np.array(rates)


def test_amsgrad_rate_does_not_rise_back_when_the_gradients_shrink():
    # Ten large gradients, then twenty small ones: Adam's v falls and its rate rises back;
    # AMSGrad keeps the largest v, v_10 = (1 - b2^10) * 4, and only its correction still moves.
    gradients = [(2.0, -2.0, 2.0)] * 10 + [(0.1, -0.1, 0.1)] * 20
    adam = _rates_along(optimizers.Adam(learning_rate=0.01, beta_2=0.9), gradients)
    amsgrad = _rates_along(optimizers.Adam(learning_rate=0.01, beta_2=0.9, amsgrad=True), gradients)
    assert adam[-1] > 2 * adam[9]
    np.testing.assert_allclose(amsgrad[:10], adam[:10], rtol=1e-5)  # while v rises, v_max is v
    t = np.arange(11, 31)
    v_max = (1 - 0.9**10) * 4.0
    np.testing.assert_allclose(
        amsgrad[10:], 0.01 / (np.sqrt(v_max / (1 - 0.9**t)) + 1e-7), rtol=1e-5
    )
    assert amsgrad[-1] < adam[-1] / 2


def test_adamw_rate_is_adams_the_decay_aside():
    gradients = [(0.5, -2.0, 1.0), (1.5, 0.3, -0.7), (0.2, -1.0, 2.0)] * 3
    adam = _rates_along(optimizers.Adam(learning_rate=0.01), gradients)
    adamw = _rates_along(optimizers.AdamW(learning_rate=0.01, weight_decay_rate=0.5), gradients)
    np.testing.assert_allclose(adamw, adam, rtol=1e-6)


def test_adamax_rate_is_the_rate_over_the_running_maximum_of_abs_g():
    # u = max(b2 * u, |g| + eps): a constant gradient keeps u at |g| + eps from the first step.
    rates = _constant_gradient_rates(optimizers.Adamax(learning_rate=0.002), steps=5)
    expected = np.median(0.002 / (np.array([0.5, 2.0, 1.0]) + 1e-7))
    np.testing.assert_allclose(rates, expected, rtol=1e-5)
    # After one large gradient, u fades by b2 per step until |g| + eps catches up.
    optimizer = optimizers.Adamax(learning_rate=0.002, beta_2=0.5)
    rates = _rates_along(optimizer, [(4.0, 4.0, 4.0)] + [(1.0, 1.0, 1.0)] * 3)
    u = np.array([4.0, 2.0, 1.0 + 1e-7, 1.0 + 1e-7]) + [1e-7, 5e-8, 0.0, 0.0]
    np.testing.assert_allclose(rates, 0.002 / u, rtol=1e-5)


def test_adadelta_rate_reads_both_averages():
    optimizer = optimizers.Adadelta(rho=0.9, epsilon=1e-6)
    rates = _constant_gradient_rates(optimizer, steps=5)
    a = optimizer._grad_averages[0].numpy().astype(np.float64)
    d = optimizer._update_averages[0].numpy().astype(np.float64)
    expected = np.median(1.0 * np.sqrt(d + 1e-6) / np.sqrt(a + 1e-6))
    assert rates[-1] == pytest.approx(expected, rel=1e-5)


def test_each_weight_counts_once_across_variables():
    small = keras.Variable(np.zeros(1, dtype=np.float32))
    large = keras.Variable(np.zeros(3, dtype=np.float32))
    optimizer = optimizers.Adagrad(learning_rate=1.0, initial_accumulator_value=0.0)
    optimizer.build([small, large])
    optimizer.apply_gradients([(tf.constant([1.0]), small), (tf.constant([2.0, 2.0, 2.0]), large)])
    # Rates 1/1 for the one weight and 1/2 for the three: the median of the four is 0.5.
    assert float(optimizer.effective_learning_rate()) == pytest.approx(0.5, rel=1e-5)


@pytest.mark.parametrize("name", list(optimizers.CLASSES))
def test_traces_under_xla_and_reads_before_build(name):
    conformance.check_effective_rate(name)


def test_large_models_read_an_even_sample_close_to_the_full_median():
    from trainers.optimizers.base import MEDIAN_SAMPLE, median_over_weights

    rng = np.random.default_rng(0)
    # Two variables of different sizes and spreads, 9,610 weights in all, as in a 64-128-10 MLP.
    first = rng.lognormal(-3.0, 1.0, size=(64, 128)).astype(np.float32)
    second = rng.lognormal(-1.0, 0.5, size=(1418,)).astype(np.float32)
    everything = np.concatenate([first.ravel(), second])
    assert everything.size > MEDIAN_SAMPLE

    sampled = float(median_over_weights(lambda w: w, [first, second]))
    stride = -(-everything.size // MEDIAN_SAMPLE)
    assert sampled == pytest.approx(np.median(everything[::stride]), rel=1e-6)  # what it reads
    assert sampled == pytest.approx(np.median(everything), rel=0.1)  # and what that stands for
    # Up to the sample size every weight is read.
    small = everything[:MEDIAN_SAMPLE]
    assert float(median_over_weights(lambda w: w, [small])) == pytest.approx(
        np.median(small), rel=1e-6
    )
