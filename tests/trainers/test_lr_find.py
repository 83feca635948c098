"""The learning-rate range test (`trainers.lr_find`): its rates, smoothing, stop rule and
suggestion rules against EQUATIONS.md's definitions computed here directly; the engine
against a direct computation of the first step's loss, each seed trained together exactly as
alone, and the weights and optimizer state put back bit for bit."""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import pytest

from trainers import build, lr_find
from trainers.config import RunConfig
from trainers.control import JobControl
from trainers.errors import ConfigError
from trainers.session import build_member


def test_rates_grow_exponentially_from_the_first_to_the_last():
    xs = lr_find.rates(1e-6, 1.0, 61)
    assert len(xs) == 61 and xs[0] == pytest.approx(1e-6) and xs[-1] == pytest.approx(1.0)
    for i in (0, 7, 30, 60):
        assert xs[i] == pytest.approx(1e-6 * (1.0 / 1e-6) ** (i / 60), rel=1e-12)
    ratios = xs[1:] / xs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-10)  # one factor per step


@pytest.mark.parametrize(
    ("low", "high", "steps", "words"),
    [
        (0.0, 1.0, 100, "positive"),
        (1e-3, 1e-4, 100, "above its lowest"),
        (1e-7, math.inf, 100, "positive"),
        (1e-7, 10.0, 5, "20 to 2000 steps"),
    ],
)
def test_a_bad_range_is_refused_with_what_to_use(low, high, steps, words):
    with pytest.raises(ConfigError, match=words):
        lr_find.rates(low, high, steps)


def test_smoothing_is_the_debiased_moving_average_of_the_definition():
    losses = np.random.default_rng(0).uniform(0.5, 2.0, 50)
    expected, s = [], 0.0
    for i, loss in enumerate(losses):
        s = 0.98 * s + 0.02 * loss
        expected.append(s / (1 - 0.98 ** (i + 1)))
    np.testing.assert_allclose(lr_find.smooth(losses), expected, rtol=1e-12)
    assert lr_find.smooth([3.0])[0] == pytest.approx(3.0)  # debiased: the first is the loss


def test_the_test_stops_at_a_loss_not_finite_or_at_four_times_the_best():
    assert lr_find.stop_index([1.0] * 30) is None
    assert lr_find.stop_index([1.0] * 10 + [math.nan] + [1.0] * 5) == 10
    assert lr_find.stop_index([1.0] * 10 + [math.inf]) == 10
    # A jump: the smoothed loss passes 4x its best some steps later, at the first such step.
    losses = [1.0] * 50 + [1000.0] * 20
    at = lr_find.stop_index(losses)
    smoothed = lr_find.smooth(losses)
    assert at is not None and 50 <= at < 70
    assert smoothed[at] > 4 * smoothed[: at + 1].min() and smoothed[at - 1] <= 4.0


def test_each_rule_finds_its_point_on_a_curve_of_known_shape():
    xs = lr_find.rates(1e-5, 1.0, 101)  # log10 rate from -5 to 0, 0.05 apart
    t = np.log10(xs)
    # Flat, then falling as a tanh centred at 1e-3 (steepest there), with its least at
    # index 80 (1e-1), then rising.
    curve = 2.0 - np.tanh((t + 3.0) / 0.4)
    curve[80:] = curve[80] + (t[80:] - t[80]) ** 2 * 10
    found = lr_find.suggestions(xs, curve)
    assert found["steepest"] == pytest.approx(1e-3, rel=1e-6)
    assert found["minimum/10"] == pytest.approx(xs[80] / 10, rel=1e-9)
    # The curve falls strictly from index 1 (tanh never quite flat) to 80: the middle, 40.
    falling = np.flatnonzero(np.diff(curve) < 0)
    start, end = falling[0], falling[-1] + 1
    assert found["valley"] == pytest.approx(xs[start + (end - start) // 2], rel=1e-9)


def test_the_longest_falling_stretch_is_the_valley_not_the_first():
    xs = lr_find.rates(1e-4, 1.0, 40)
    curve = np.concatenate([[5, 4, 3, 3.5], np.linspace(3.4, 1.0, 20), np.linspace(1.1, 3, 16)])
    found = lr_find.suggestions(xs, curve)
    # From point 3 (3.5) down to point 23 (1.0): 20 steps, the middle at point 13.
    assert found["valley"] == pytest.approx(xs[3 + 20 // 2], rel=1e-9)
    assert lr_find.suggestions(xs[:2], curve[:2]) == dict.fromkeys(lr_find.RULES)


def _member(config: RunConfig, data, loss_name: str):
    member = build_member(config, data, loss_name, steps_per_execution=1)
    member.model.optimizer.build(member.model.trainable_variables)
    return member


def _setup(config: RunConfig):
    config = config.validate()
    data = build.load_dataset(config)
    return config, data, build.check_run(config, data)


def test_weights_and_optimizer_state_are_put_back_exactly_after_the_test():
    """From a model trained a while (Adam's moments and step count not at their start)."""
    config, data, loss_name = _setup(RunConfig("moons", optimizer="adam", batch_size=32, seed=3))
    member = _member(config, data, loss_name)
    member.model.fit(data.x_train, member.y_train, batch_size=32, epochs=2, verbose=0)
    rate_before = float(member.model.optimizer.learning_rate.numpy())
    before = lr_find.checksum(member.model)
    steps_before = int(member.model.optimizer.iterations.numpy())
    assert steps_before > 0
    dataset = lr_find._step_batches(data.x_train, member.y_train, 32, 0, 60)
    (curve,) = lr_find.range_test_models(
        [member.model], [member.recorder], dataset, lr_find.rates(1e-5, 10.0, 60), seeds=[3]
    )
    assert len(curve.losses) > 20  # it trained
    assert lr_find.checksum(member.model) == before
    assert int(member.model.optimizer.iterations.numpy()) == steps_before
    assert float(member.model.optimizer.learning_rate.numpy()) == rate_before


def test_the_first_steps_loss_is_the_loss_of_the_first_batch_at_the_initial_weights():
    config, data, loss_name = _setup(RunConfig("digits", optimizer="sgd", batch_size=64, seed=1))
    member = _member(config, data, loss_name)
    dataset = lr_find._step_batches(data.x_train, member.y_train, 64, 5, 20)
    x0, y0 = next(iter(dataset))
    direct = float(member.model.compute_loss(x0, y0, member.model(x0, training=True)))
    (curve,) = lr_find.range_test_models(
        [member.model], [member.recorder], dataset, lr_find.rates(1e-6, 1e-5, 20), seeds=[1]
    )
    assert curve.losses[0] == pytest.approx(direct, rel=1e-5)
    # Batch i is rows i*64 .. of epoch 0's order: the run's own order.
    order = build.epoch_order(len(data.x_train), 5, 0).numpy()
    np.testing.assert_array_equal(x0.numpy(), data.x_train[order[:64]])


def test_seeds_tested_together_give_each_seed_its_curve_alone():
    config = RunConfig("moons", optimizer="momentum", batch_size=16, seed=0)
    together = lr_find.run_range_test(config, eta_min=1e-4, eta_max=10.0, steps=80, seeds=[0, 1, 2])
    alone = lr_find.run_range_test(
        dataclasses.replace(config, seed=1, data_seed=0),
        eta_min=1e-4,
        eta_max=10.0,
        steps=80,
        seeds=[1],
    )
    assert together.seeds == [0, 1, 2]
    curve = together.curves[1]
    np.testing.assert_allclose(curve.losses, alone.curves[0].losses, rtol=1e-5)
    assert curve.ended == alone.curves[0].ended
    assert not np.allclose(together.curves[0].losses[:5], curve.losses[:5])  # other weights
    rates, median, low, high = together.band()
    shortest = min(len(c.losses) for c in together.curves)
    assert len(rates) == shortest
    stack = np.stack([c.smoothed[:shortest] for c in together.curves])
    np.testing.assert_allclose(median, np.median(stack, axis=0))
    assert np.all(low <= median) and np.all(median <= high)


def test_a_rate_too_large_ends_the_test_where_the_loss_blows_up():
    config = RunConfig("sine", optimizer="sgd", batch_size=32, seed=0)
    test = lr_find.run_range_test(config, eta_min=1e-4, eta_max=100.0, steps=120)
    (curve,) = test.curves
    assert curve.ended in ("diverged", "exploded")
    assert len(curve.losses) < 120 and curve.rates[-1] < 100.0
    last = curve.losses[-1]
    if curve.ended == "diverged":
        assert not np.isfinite(last)
    else:
        assert curve.smoothed[-1] > 4 * np.nanmin(curve.smoothed)
    # Each rule's rate lies inside the range that was run, below where it blew up.
    for rate in test.suggested().values():
        assert rate is not None and 1e-5 <= rate <= curve.rates[-1]


def test_stop_ends_the_test_between_steps_and_still_puts_everything_back():
    config, data, loss_name = _setup(RunConfig("moons", optimizer="rmsprop", batch_size=32))
    member = _member(config, data, loss_name)
    before = lr_find.checksum(member.model)
    control = JobControl()

    def stop_after_ten(step, _losses):
        if step == 9:
            control.stop()

    dataset = lr_find._step_batches(data.x_train, member.y_train, 32, 0, 100)
    (curve,) = lr_find.range_test_models(
        [member.model],
        [member.recorder],
        dataset,
        lr_find.rates(1e-5, 1.0, 100),
        seeds=[0],
        control=control,
        on_step=stop_after_ten,
    )
    assert curve.ended == "stopped" and len(curve.losses) == 10
    assert lr_find.checksum(member.model) == before


def test_repeated_seeds_are_refused():
    with pytest.raises(ConfigError, match="seeds repeat"):
        lr_find.run_range_test(RunConfig("moons"), seeds=[1, 1])


def test_the_figure_shows_the_median_curve_and_a_dot_at_each_suggestion():
    config = RunConfig("moons", optimizer="adam", batch_size=32)
    test = lr_find.run_range_test(config, steps=60, seeds=[0, 1])
    figure = lr_find.figure(test)
    rates, median, low, high = test.band()
    line = figure.series[0]
    np.testing.assert_allclose(line.xs, rates)
    np.testing.assert_allclose(line.ys, median)
    np.testing.assert_allclose(line.low, low)
    np.testing.assert_allclose(line.high, high)
    dots = {s.label.split(":")[0]: s for s in figure.series[1:]}
    for rule, rate in test.suggested().items():
        assert dots[rule].xs == [rate] and dots[rule].dots
    assert figure.log_x
    keras.backend.clear_session()


def test_a_seed_whose_loss_turns_nan_ends_at_that_step_and_the_band_leaves_it_out():
    """SGD on a regression at rates up to 1e8, with a stop rule it never meets (factor so
    large only a loss that is not a number ends it): the squared error overflows."""
    config = RunConfig("sine", optimizer="sgd", batch_size=32, seed=0)
    test = lr_find.run_range_test(
        config, eta_min=1e-3, eta_max=1e8, steps=60, seeds=[0, 1], stop_factor=1e300
    )
    assert [curve.ended for curve in test.curves] == ["diverged", "diverged"]
    for curve in test.curves:
        if curve.ended == "diverged":
            assert not np.isfinite(curve.losses[-1])  # the step it stopped at is kept
            assert np.isnan(curve.smoothed[-1]) and np.isfinite(curve.smoothed[:-1]).all()
    rates, median, low, high = test.band()
    assert np.isfinite(median).all() and np.isfinite(low).all() and np.isfinite(high).all()
