"""The smoothed loss: TensorBoard's debiased moving average of every step, fed in any chunks."""

import numpy as np
import pytest

from gui.plots import StepLossPlot, ema


def _tensorboard(values, alpha: float) -> np.ndarray:
    """TensorBoard's smoothing, one value at a time: the accumulator starts at 0 and each value
    is divided by the weight gathered; a non-finite value shows the last smoothed one."""
    decay = 1.0 - alpha
    last, count, smoothed, out = 0.0, 0, np.nan, []
    for value in values:
        if np.isfinite(value):
            last = last * decay + (1.0 - decay) * value
            count += 1
            smoothed = last / (1.0 - decay**count)
        out.append(smoothed)
    return np.array(out)


def _losses(n: int, seed: int = 0) -> np.ndarray:
    """A falling, noisy loss with a few diverged steps (NaN and inf)."""
    rng = np.random.default_rng(seed)
    losses = 2.0 * np.exp(-np.arange(n) / (n / 3.0)) + 0.2 * rng.random(n)
    losses[rng.integers(0, n, size=n // 500 + 1)] = np.nan
    losses[rng.integers(0, n, size=n // 1000 + 1)] = np.inf
    return losses


@pytest.mark.parametrize("alpha", [1.0, 0.6, 0.1, 0.01, 0.001])
def test_it_is_tensorboards_debiased_moving_average(alpha):
    losses = _losses(30_000)
    losses[:3] = [np.nan, 5.0, np.inf]  # nothing to show before the first finite loss
    smoothed, _ = ema(losses, alpha)
    expected = _tensorboard(losses, alpha)
    assert np.isnan(smoothed[0]) and smoothed[1] == pytest.approx(5.0, rel=1e-15)
    np.testing.assert_allclose(smoothed, expected, rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.3, 0.05, 0.002])
def test_chunks_give_the_same_numbers_as_one_call(alpha):
    losses = _losses(25_000, seed=1)
    whole, _ = ema(losses, alpha)
    rng = np.random.default_rng(2)
    cuts = np.sort(rng.choice(np.arange(1, len(losses)), size=60, replace=False))
    cuts = np.concatenate((cuts, [4096, 8192, 8193]))  # also at and beside the closed form's blocks
    pieces, state = [], None
    for chunk in np.split(losses, np.unique(cuts)):
        smoothed, state = ema(chunk, alpha, state)
        pieces.append(smoothed)
    np.testing.assert_array_equal(np.concatenate(pieces), whole)


def test_it_starts_at_the_first_loss_and_a_constant_stays_constant():
    for alpha in (0.5, 0.01, 0.001):
        first = ema(np.array([2.302585, 0.7, 0.6]), alpha)[0][0]
        assert first == pytest.approx(2.302585, rel=1e-15)  # no climb from 0
        constant, _ = ema(np.full(50_000, 0.693), alpha)
        np.testing.assert_allclose(constant, 0.693, rtol=1e-13)  # no lag at the start


def test_the_plot_smooths_every_step_as_it_arrives(qtbot):
    plot = StepLossPlot()
    qtbot.addWidget(plot)
    plot.set_smoothing(0.95)
    losses = _losses(40_000, seed=3)
    steps = np.arange(1, len(losses) + 1, dtype=np.float64)
    for chunk in np.array_split(np.arange(len(losses)), 17):  # as the worker sends them
        plot.append(steps[chunk], losses[chunk])
    expected = _tensorboard(losses, plot.alpha)
    np.testing.assert_allclose(plot.smoothed.ys, expected, rtol=1e-12)
    live = plot.smoothed.ys.copy()
    plot.set_smoothing(0.95)  # recomputed from the stored steps at once: the same line
    np.testing.assert_array_equal(plot.smoothed.ys, live)
