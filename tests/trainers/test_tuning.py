"""The benchmark's protocol and statistics (`trainers.tuning`): the trials each optimizer gets,
the choice of the best, and the figures of the report, checked against brute force and
numpy/scipy on small cases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from trainers import tuning
from trainers.errors import ConfigError
from trainers.summary import SummaryRow


def test_the_default_space_is_the_learning_rate_over_five_decades_around_the_default():
    (axis,) = tuning.default_space("adam")
    assert (axis.name, axis.log) == ("learning_rate", True)
    assert axis.low == pytest.approx(1e-5) and axis.high == pytest.approx(1.0)
    grid = tuning.trials(tuning.default_space("sgd"), 6, "grid", seed=0)
    rates = [t["learning_rate"] for t in grid]
    np.testing.assert_allclose(rates, [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0])  # both ends, log


def test_a_grid_spends_the_budget_on_the_listed_values_times_the_rates():
    axes = tuning.space("momentum", [tuning.parse_axis("momentum", "momentum=0,0.9")])
    grid = tuning.trials(axes, 8, "grid", seed=0)
    assert len(grid) == 8  # 4 rates x 2 momenta: the same budget as SGD's 8 rates
    assert sorted({t["momentum"] for t in grid}) == [0.0, 0.9]
    assert len({t["learning_rate"] for t in grid}) == 4
    three = tuning.space("momentum", [tuning.parse_axis("momentum", "momentum=0,0.5,0.9")])
    with pytest.raises(ConfigError, match="3 listed values does not fit a budget of 2"):
        tuning.trials(three, 2, "grid", 0)


def test_quasi_random_trials_are_reproducible_from_the_seed_and_fair_across_optimizers():
    sgd = tuning.trials(tuning.default_space("sgd"), 8, "random", seed=3)
    again = tuning.trials(tuning.default_space("sgd"), 8, "random", seed=3)
    other = tuning.trials(tuning.default_space("sgd"), 8, "random", seed=4)
    assert sgd == again and sgd != other
    adam = tuning.trials(tuning.default_space("adam"), 8, "random", seed=3)
    # The same rule puts every optimizer's trials at the same places in its own range.
    for a, b in zip(sgd, adam, strict=True):
        assert math.log(a["learning_rate"] / 1e-4) == pytest.approx(
            math.log(b["learning_rate"] / 1e-5)
        )
    assert all(1e-4 <= t["learning_rate"] <= 10.0 for t in sgd)
    # Spread over the range, not bunched: every decade of the five holds a trial.
    decades = {math.floor(math.log10(t["learning_rate"])) for t in sgd}
    assert decades >= {-4, -3, -2, -1, 0}


def test_a_searched_hyperparameter_is_checked_against_its_catalog_range():
    axis = tuning.parse_axis("adam", "beta_1=0.8:0.99")
    assert (axis.low, axis.high, axis.values) == (0.8, 0.99, ())
    for bad, words in (
        ("beta_1=0.9:1.5", "beta_1"),
        ("beta_3=0.1:0.2", "one of: learning_rate, beta_1, beta_2, epsilon"),
        ("beta_1=0.9:0.8", "low end"),
        ("beta_1", "NAME=LOW:HIGH"),
        ("beta_1=a,b", "NAME=LOW:HIGH"),
    ):
        with pytest.raises(ConfigError, match=words):
            tuning.parse_axis("adam", bad)


def row(status="completed", final_val_loss=0.5, metric="accuracy", final_val_metric=0.9):
    return SummaryRow(
        "r", "sgd", 0.1, "mse", 32, status, 3, 0.5, 0.4, final_val_loss, 0.4, metric, 0.8,
        final_val_metric, 1.0, None,
    )  # fmt: skip


def test_the_best_trial_is_the_lowest_cost_a_diverged_one_never_wins():
    rows = [row(final_val_loss=0.3), row("diverged", math.nan), row(final_val_loss=0.2)]
    assert tuning.best_index(rows, "final_val_loss") == 2
    assert tuning.score(rows[1], "final_val_loss") == math.inf
    # An accuracy: the higher the better.
    rows = [row(final_val_metric=0.7), row(final_val_metric=0.95)]
    assert tuning.best_index(rows, "final_val_metric") == 1
    assert tuning.best_index([row("failed", None)], "final_val_loss") is None


def test_expected_best_of_k_equals_the_mean_over_every_draw_of_k():
    costs = [0.9, 0.3, 0.5, 0.7, 0.4, math.inf]
    for k in range(1, len(costs) + 1):
        draws = [min(c) for c in itertools.combinations(costs, k)]
        assert tuning.expected_best_of_k(costs, k) == pytest.approx(np.mean(draws))
    assert tuning.expected_best_of_k(costs, len(costs)) == 0.3


def test_the_median_interval_is_scipys_bootstrap_and_a_miss_counts_as_the_worst():
    from scipy.stats import bootstrap

    values = [0.31, 0.28, 0.35, 0.30, 0.42]
    median, low, high = tuning.median_interval(values, seed=1)
    expected = bootstrap(
        (np.asarray(values),),
        np.median,
        n_resamples=tuning.RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(1),
    ).confidence_interval
    assert median == np.median(values)
    assert (low, high) == (expected.low, expected.high)
    assert min(values) <= low <= median <= high <= max(values)
    assert tuning.median_interval([0.2, 0.2, 0.2]) == (0.2, 0.2, 0.2)
    # Two of three seeds diverged: the median is a miss, the interval reaches the good one.
    median, low, high = tuning.median_interval([0.2, math.nan, math.inf])
    assert median == math.inf and low == 0.2 and high == math.inf
    assert tuning.overlap((0.3, 0.25, 0.35), (0.4, 0.34, 0.5))
    assert not tuning.overlap((0.3, 0.25, 0.33), (0.4, 0.34, 0.5))


def test_the_band_is_the_per_column_bootstrap_of_the_median():
    rng = np.random.default_rng(0)
    curves = rng.uniform(0.1, 1.0, size=(5, 7))
    median, low, high = tuning.band(curves, seed=2)
    np.testing.assert_array_equal(median, np.median(curves, axis=0))
    for column in range(7):
        _, one_low, one_high = tuning.median_interval(curves[:, column], seed=2)
        assert low[column] <= median[column] <= high[column]
        assert curves[:, column].min() <= low[column] and high[column] <= curves[:, column].max()
        # Column by column, near the interval of that column alone (resampled differently).
        assert abs(low[column] - one_low) <= np.ptp(curves[:, column])
        assert abs(high[column] - one_high) <= np.ptp(curves[:, column])


def test_time_to_target_is_read_off_the_epoch_clock():
    # 10 steps an epoch; the clock reads 2 s, 5 s, 6 s at the ends of epochs 1-3.
    assert tuning.seconds_to_target(5, 10, [2.0, 5.0, 6.0]) == pytest.approx(1.0)
    assert tuning.seconds_to_target(10, 10, [2.0, 5.0, 6.0]) == pytest.approx(2.0)
    assert tuning.seconds_to_target(15, 10, [2.0, 5.0, 6.0]) == pytest.approx(3.5)
    assert tuning.seconds_to_target(None, 10, [2.0]) == math.inf


def test_the_performance_profile_counts_problems_within_a_factor_of_the_best():
    costs = {
        "a": {"sgd": 100.0, "adam": 50.0},
        "b": {"sgd": 30.0, "adam": 90.0},
        "c": {"sgd": math.inf, "adam": 40.0},
        "d": {"sgd": math.inf, "adam": math.inf},  # nobody solved it
    }
    profile = tuning.performance_profile(costs, [1.0, 2.0, 3.0])
    assert profile["adam"] == [0.5, 0.5, 0.75]  # best on a and c; b within 3x
    assert profile["sgd"] == [0.25, 0.5, 0.5]  # best on b; a within 2x; never c or d
