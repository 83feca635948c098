"""The learning rate, explained: a rising or flat loss said live, and a divergence's rate to try
read from the run's own losses (synthetic curves, then real runs)."""

import math

import numpy as np
import pytest

from trainers import advice
from trainers.advice import LossWatch, nice_below, rate_after_divergence, smoothed
from trainers.config import RunConfig
from trainers.events import Advice
from trainers.session import TrainingSession


def watch(initial=1.0, steps_per_epoch=20, start_rate=0.01, default_rate=0.01):
    return LossWatch(
        initial_loss=initial,
        steps_per_epoch=steps_per_epoch,
        start_rate=start_rate,
        default_rate=default_rate,
        optimizer="SGD",
    )


def feed(w: LossWatch, losses, steps_per_epoch=20, rate=0.01):
    """Feed `losses` epoch by epoch; every finding, with the epoch it came at."""
    found = []
    for epoch, start in enumerate(range(0, len(losses), steps_per_epoch), start=1):
        chunk = np.asarray(losses[start : start + steps_per_epoch])
        w.add(chunk)
        found += [(epoch, f) for f in w.epoch_ended(epoch, float(chunk.mean()), rate)]
    return found


def test_the_smoothing_is_debiased():
    # No climb from 0 at the start: a constant curve stays constant, the first value is kept.
    assert smoothed(np.full(50, 0.7), 10) == pytest.approx(np.full(50, 0.7))
    values = np.array([2.0, 1.0, 1.0])
    assert smoothed(values, 10)[0] == 2.0
    # In pieces or at once, the same numbers.
    average = advice.DebiasedAverage(10)
    pieces = np.concatenate([average.add(values[:1]), average.add(values[1:])])
    assert pieces == pytest.approx(smoothed(values, 10))


def test_a_loss_that_falls_then_climbs_back_is_said_to_rise_once():
    falling = np.linspace(1.0, 0.1, 100)
    climbing = np.linspace(0.1, 0.6, 100)
    found = feed(watch(), np.concatenate([falling, climbing, climbing[::-1]]))
    assert [f.kind for _, f in found] == ["rising"]
    epoch, finding = found[0]
    assert 5 < epoch <= 10  # while it climbs, not before
    assert "learning rate 0.01" in finding.text and "too high" in finding.text
    assert finding.rate == 0.01 and finding.suggested_rate == pytest.approx(0.001)


def test_an_epoch_above_the_untrained_loss_is_said_to_rise():
    found = feed(watch(initial=0.8), np.full(20, 2.4), rate=10)
    assert [(e, f.kind) for e, f in found] == [(1, "rising")]
    assert "from 0.8 to 2.4 by epoch 1 at learning rate 10" in found[0][1].text


def test_noise_around_a_plateau_is_not_a_rise():
    rng = np.random.default_rng(0)
    falling = np.linspace(1.0, 0.1, 200)
    plateau = 0.1 * rng.exponential(1.0, 2000)  # batch-1 losses: heavy-tailed noise
    assert feed(watch(steps_per_epoch=200), np.concatenate([falling, plateau]), 200) == []


def test_a_loss_that_barely_moves_at_a_small_rate_is_said_to_be_flat():
    still = 0.693 + 1e-4 * np.sin(np.arange(100))
    found = feed(watch(initial=0.693, start_rate=1e-9), still, rate=1e-9)
    assert [(e, f.kind) for e, f in found] == [(2, "flat")]
    finding = found[0][1]
    assert "learning rate 1e-09" in finding.text and "too low" in finding.text
    assert finding.suggested_rate == 0.01 and "Try 0.01, its default" in finding.text
    # At the optimizer's default rate a flat loss is not the rate's fault: nothing said.
    assert feed(watch(initial=0.693), still, rate=0.01) == []
    # Nor after too few steps to tell.
    few = watch(initial=0.693, steps_per_epoch=5, start_rate=1e-9)
    assert feed(few, still[:10], 5, rate=1e-9) == []


def test_a_schedule_s_rate_is_said_as_a_starting_rate():
    found = feed(watch(initial=0.8, start_rate=10), np.full(20, 2.4), rate=5)
    assert "at learning rate 5" in found[0][1].text
    assert "Try a starting rate of 1 (a tenth)" in found[0][1].text


@pytest.mark.parametrize(
    "value, nice", [(0.307, 0.2), (0.117, 0.1), (1.0, 1.0), (0.0999, 0.05), (7e-5, 5e-5)]
)
def test_rates_are_rounded_down_to_one_two_five(value, nice):
    assert nice_below(value) == pytest.approx(nice)


def exploding(start: float, growth: float, falling: int = 5, rising: int = 4) -> np.ndarray:
    """A loss that falls for `falling` steps, then grows `growth`-fold a step, then inf."""
    down = start * 0.9 ** np.arange(falling)
    up = down[-1] * growth ** np.arange(1, rising + 1)
    return np.concatenate([down, up, [np.inf]])


def test_a_fast_explosion_gets_a_bigger_cut_than_a_tenth():
    losses = exploding(1.0, growth=400)
    cut = rate_after_divergence(np.arange(1, len(losses) + 1), losses, 10.0, span=1)
    # growth 400 a step: rate * h = 1 + 20, the rate to try 10 / (2 * 21) = 0.238 -> 0.2
    assert cut.lowest_step == 5 and cut.growth == pytest.approx(400)
    assert cut.suggested == pytest.approx(0.2)
    assert "step 5" in cut.reason() and "400x" in cut.reason()


def test_a_slow_creep_is_cut_by_about_four_not_ten():
    losses = exploding(1.0, growth=1.01, rising=300)
    cut = rate_after_divergence(np.arange(1, len(losses) + 1), losses, 0.5, span=1)
    assert cut.suggested == pytest.approx(0.1)  # 0.5 / 4.01 = 0.125 -> 0.1, not 0.05


def test_a_loss_that_jumps_straight_to_infinity_is_cut_a_hundredfold():
    losses = np.array([1.0, 0.8, 0.7, np.inf])
    cut = rate_after_divergence(np.arange(1, 5), losses, 3.0)
    assert cut.growth is None and cut.suggested == pytest.approx(0.02)  # 3 / 100 -> 0.02
    never = rate_after_divergence(np.arange(1, 3), np.array([np.nan, np.nan]), 1.0)
    assert never.lowest_step is None and never.suggested == pytest.approx(0.01)


# ---------------------------------------------------------------------------------- real runs
def advised(**settings):
    said = []
    result = TrainingSession(
        RunConfig(**settings), lambda e: said.append(e) if isinstance(e, Advice) else None
    ).run()
    return result, said


def test_a_real_run_at_rate_10_is_told_its_loss_rises():
    result, said = advised(
        dataset="moons", optimizer="sgd", hyperparameters={"learning_rate": 10}, epochs=3
    )
    assert result.status == "completed"  # it does not diverge: it climbs and stays up
    assert [a.kind for a in said] == ["rising"]
    assert said[0].rate == 10 and said[0].suggested_rate == pytest.approx(1)
    assert "learning rate 10" in said[0].text and "Try 1" in said[0].text


def test_a_real_run_at_rate_1e_9_is_told_its_loss_is_flat():
    result, said = advised(
        dataset="moons", optimizer="sgd", hyperparameters={"learning_rate": 1e-9}, epochs=3
    )
    assert [a.kind for a in said] == ["flat"]
    assert said[0].rate == pytest.approx(1e-9) and said[0].suggested_rate == 0.01
    assert "1e-09" in said[0].text


def test_a_sound_run_is_told_nothing():
    result, said = advised(dataset="moons", optimizer="adam", epochs=5)
    assert result.status == "completed" and said == []


def test_after_a_divergence_the_rate_to_try_comes_from_the_run_and_does_not_diverge():
    sine = {"dataset": "sine", "optimizer": "sgd", "epochs": 5}
    result, _ = advised(**sine, hyperparameters={"learning_rate": 10})
    assert result.status == "diverged"
    cut = rate_after_divergence(
        result.step_numbers, result.step_losses, 10, span=advice.smoothing_span(5)
    )
    assert f"Try a rate of {cut.suggested:g}." in result.message
    assert cut.reason() in result.message
    assert not math.isclose(cut.suggested, 1.0)  # not the fixed tenth ...
    tenth, _ = advised(**sine, hyperparameters={"learning_rate": 1.0})
    assert tenth.status == "diverged"  # ... which diverges again here
    rerun, _ = advised(**sine, hyperparameters={"learning_rate": cut.suggested})
    assert rerun.status == "completed"
    assert rerun.final("loss") < result.info.initial_logs["loss"]
