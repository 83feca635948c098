"""The learning rate, explained: a loss that rises, a loss that barely moves, and the rate to try
after a divergence, each said in words with the rate in use and what to try.

Plain Python and NumPy (no TensorFlow). The training session feeds a `LossWatch` every chunk of
step losses and asks it at each epoch's end; it answers with `trainers.events.Advice` events,
each kind at most once a run:

- "rising": the smoothed step loss has stayed clearly above its lowest point (50% above it and
  back up at least a quarter of the way it had come down) for a sustained stretch (two
  smoothing spans and half an epoch), or an epoch's mean loss is 10% above the untrained
  model's. Suggested: a tenth of the rate.
- "flat": after 2 epochs and 20 steps, no epoch's loss has moved 1% from the untrained model's,
  at a rate of a tenth of the optimizer's default or less. Suggested: the default.

The smoothing is TensorBoard's: an exponential moving average started at 0 and divided by
1 - weight^n, so it neither climbs from 0 nor lags at the start; its span (1 / (1 - weight)) is
half an epoch, between 5 and 100 steps.

`rate_after_divergence` reads the rate to try from the run's own losses; see there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trainers.events import Advice, RunKey

SPAN_LIMITS = (5, 100)  # the smoothing span in steps: half an epoch, within these
RISE = 0.5  # a rising loss is 50% above its lowest smoothed value ...
CLIMB = 0.25  # ... and back up a quarter of the way it had come down from the start
EPOCH_RISE = 0.1  # or an epoch's mean loss is 10% above the untrained model's
FLAT = 0.01  # a flat loss moved less than 1% of the untrained model's ...
FLAT_AFTER = (2, 20)  # ... after at least 2 epochs and 20 steps ...
LOW_RATE = 0.1  # ... at a rate of at most a tenth of the optimizer's default
IMMEDIATE_CUT = 100.0  # no growth to measure: the loss blew up within a step of its lowest
CUT_LIMITS = (4.0, 1000.0)


def smoothing_span(steps_per_epoch: int) -> int:
    """The smoothing span for a run: half an epoch, within SPAN_LIMITS."""
    low, high = SPAN_LIMITS
    return int(min(max(steps_per_epoch // 2, low), high))


class DebiasedAverage:
    """TensorBoard's smoothing of a curve, fed in pieces: `add(values)` returns their smoothed
    values. An exponential moving average of weight 1 - 1/span, started at 0 and divided by
    1 - weight^n after n values."""

    def __init__(self, span: float):
        self.weight = 1.0 - 1.0 / max(span, 1.0)
        self.total = 0.0
        self.scale = 1.0  # weight^n

    def add(self, values) -> np.ndarray:
        weight, total, scale = self.weight, self.total, self.scale
        out = []
        for value in np.asarray(values, dtype=np.float64).tolist():
            total = weight * total + (1.0 - weight) * value
            scale *= weight
            out.append(total / (1.0 - scale))
        self.total, self.scale = total, scale
        return np.array(out, dtype=np.float64)


def smoothed(losses, span: float) -> np.ndarray:
    """`losses` smoothed as `DebiasedAverage` does, all at once."""
    return DebiasedAverage(span).add(losses)


def nice_below(value: float) -> float:
    """The largest of 1, 2 or 5 times a power of ten that is not above `value` (> 0)."""
    exponent = math.floor(math.log10(value))
    mantissa = value / 10.0**exponent
    for step in (5.0, 2.0, 1.0):
        if mantissa >= step * (1 - 1e-9):
            return float(f"{step * 10.0**exponent:.12g}")
    return float(f"{10.0 ** (exponent - 1) * 5:.12g}")


class LossWatch:
    """Follows one run's losses and says, at an epoch's end, whether its rate looks too high
    (the loss rising) or too low (the loss barely moving); each kind at most once."""

    def __init__(
        self,
        *,
        initial_loss: float,
        steps_per_epoch: int,
        start_rate: float,
        default_rate: float,
        optimizer: str,
        key: RunKey | None = None,
    ):
        """`initial_loss` is the untrained model's (epoch 0), `start_rate` the run's starting
        learning rate, `default_rate` the optimizer's default and `optimizer` its name; `key`
        names the run in the advice."""
        self.key = key or RunKey()
        self.initial = float(initial_loss)
        self.start_rate = start_rate
        self.default_rate = default_rate
        self.optimizer = optimizer
        span = smoothing_span(steps_per_epoch)
        self.average = DebiasedAverage(span)
        self.hold = max(2 * span, steps_per_epoch // 2)  # steps a rise must last
        self.steps = 0
        self.now = math.nan  # the smoothed loss now
        self.lowest = math.inf  # and its lowest so far
        self.above = 0  # steps in a row the smoothed loss has been clearly above its lowest
        self.moved = 0.0  # the largest change of an epoch's loss from the initial loss
        self.found: set[str] = set()

    def add(self, losses) -> None:
        """The losses of the next steps (finite ones: a divergence ends the run instead)."""
        for value in self.average.add(losses).tolist():
            self.steps += 1
            self.now = value
            self.lowest = min(self.lowest, value)
            up = value - self.lowest
            climbed = up > RISE * abs(self.lowest) and up > CLIMB * (self.initial - self.lowest)
            self.above = self.above + 1 if climbed else 0

    def epoch_ended(self, epoch: int, loss: float, rate: float) -> list[Advice]:
        """Epoch `epoch` (1-based) ended with mean loss `loss` at learning rate `rate` (in use
        now): what is newly found, if anything."""
        findings = []
        if not math.isfinite(loss):
            return findings
        self.moved = max(self.moved, abs(loss - self.initial))
        name = self.optimizer
        if "rising" not in self.found:
            text = None
            if loss > self.initial + EPOCH_RISE * abs(self.initial):
                text = f"The loss has risen from {self.initial:.3g} to {loss:.3g} by epoch {epoch}"
            elif self.above >= self.hold:
                text = (
                    f"The loss has risen from {self.lowest:.3g} to {self.now:.3g} and stayed "
                    f"up for {self.above} steps"
                )
            if text:
                suggested = self.start_rate / 10
                findings.append(
                    Advice(
                        self.key,
                        "rising",
                        f"{text} at learning rate {rate:g}: the rate is too high for {name}. "
                        f"Try {self._start(suggested, rate)} (a tenth).",
                        rate,
                        suggested,
                    )
                )
        epochs, steps = FLAT_AFTER
        if (
            "flat" not in self.found
            and epoch >= epochs
            and self.steps >= steps
            and self.moved < FLAT * abs(self.initial)
            and rate <= LOW_RATE * self.default_rate
        ):
            findings.append(
                Advice(
                    self.key,
                    "flat",
                    f"After {epoch} epochs the loss has barely moved ({self.initial:.4g} -> "
                    f"{loss:.4g}) at learning rate {rate:g}: the rate is too low for {name}. "
                    f"Try {self._start(self.default_rate, rate)}, its default.",
                    rate,
                    self.default_rate,
                )
            )
        self.found.update(f.kind for f in findings)
        return findings

    def _start(self, suggested: float, rate: float) -> str:
        """`suggested` as the rate to try: said to be a starting rate when a schedule has
        moved the rate in use (`rate`) away from the start."""
        if math.isclose(rate, self.start_rate, rel_tol=1e-6):
            return f"{suggested:g}"
        return f"a starting rate of {suggested:g}"


@dataclass(frozen=True)
class Divergence:
    """The rate to try after a divergence (`rate_after_divergence`) and why: the step at which
    the smoothed loss was lowest and how much the loss grew in the step after it (None when
    it went straight to a non-finite value)."""

    rate: float
    suggested: float
    lowest_step: int | None
    growth: float | None

    def reason(self) -> str:
        """Why this rate, in a few words."""
        if self.lowest_step is None:
            return "the first loss was already not finite"
        if self.growth is None:
            return f"the loss blew up within a step of its lowest point (step {self.lowest_step})"
        return (
            f"after its lowest point (step {self.lowest_step}) the loss grew {self.growth:.3g}x "
            f"in one step"
        )


def rate_after_divergence(steps, losses, rate: float, *, span: float = 10) -> Divergence:
    """The learning rate to try after a run at (starting) rate `rate` diverged, from its step
    `losses` (at `steps`) up to and including the first non-finite one.

    Near its lowest point the loss is about quadratic along its steepest direction, of
    curvature h: gradient descent multiplies the error along it by (1 - rate * h) each step and
    the loss by g = (1 - rate * h)^2, which is above 1 once rate * h > 2. So the growth g of
    the loss in the step after the lowest point of the smoothed loss (`smoothed` with `span`)
    gives rate * h = 1 + sqrt(g). The rate rate / (1 + sqrt(g)) would make it 1, the fastest
    stable rate along that direction; half of that leaves room for the curvature growing as
    the weights move. The cut is kept within CUT_LIMITS (at least 4: a rate that diverged is
    never merely halved) and the rate rounded down to 1, 2 or 5 times a power of ten. A loss
    that went to infinity within a step of its lowest point (or was never finite) leaves no
    growth to measure: IMMEDIATE_CUT. A fixed tenth would repeat the divergence of a rate
    that blew up in its first steps (growth of hundreds), and cut too much one that crept up.
    With a schedule, every step's rate is the starting rate times the schedule's factor, so
    the cut applies to the starting rate as it is.
    """
    steps = np.asarray(steps)
    losses = np.asarray(losses, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(losses))
    finite = losses[: bad[0]] if len(bad) else losses
    lowest_step = growth = None
    cut = IMMEDIATE_CUT
    if len(finite):
        smooth = smoothed(finite, span)
        i = int(np.argmin(smooth))
        lowest_step = int(steps[i])
        if i + 1 < len(finite) and smooth[i] > 0 and finite[i + 1] > 0:
            growth = float(finite[i + 1] / smooth[i])
            cut = 2.0 * (1.0 + math.sqrt(max(growth, 1.0)))
    low, high = CUT_LIMITS
    cut = min(max(cut, low), high)
    return Divergence(rate, nice_below(rate / cut), lowest_step, growth)


__all__ = [
    "DebiasedAverage",
    "Divergence",
    "LossWatch",
    "nice_below",
    "rate_after_divergence",
    "smoothed",
    "smoothing_span",
]
