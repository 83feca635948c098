"""AdaGrad: a learning rate per weight that shrinks with all the gradients that weight has seen."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers._common import (
    DescentOptimizer,
    current_state,
    defaults,
    median_over_weights,
)

_DEFAULTS = defaults("adagrad")


@keras.saving.register_keras_serializable(package="descent")
class Adagrad(DescentOptimizer):
    """AdaGrad: divides each step by the root of the sum of that weight's squared gradients.

    Update rule, for each weight `w` with gradient `g`:

    ```python
    s = s + g * g
    w = w - learning_rate * g / (sqrt(s) + epsilon)
    ```

    `s` starts at `initial_accumulator_value` and only grows, so the effective rate only falls.
    `epsilon` sits outside the root (Keras's own Adagrad puts it inside). Duchi, Hazan & Singer
    (2011), "Adaptive Subgradient Methods for Online Learning and Stochastic Optimization".

    Args:
        learning_rate: A float > 0, a `keras.optimizers.schedules.LearningRateSchedule`, or a
            callable taking no arguments that returns the rate. Defaults to `0.01`.
        initial_accumulator_value: s0 >= 0, the starting value of `s`. Defaults to `0.0`.
        epsilon: A float > 0 that keeps the division finite. Defaults to `1e-7`.
        **kwargs: Keras's base optimizer keywords (`name`, `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`, `gradient_accumulation_steps`).
    """

    catalog_name = "adagrad"

    def __init__(
        self,
        learning_rate=_DEFAULTS["learning_rate"],
        initial_accumulator_value=_DEFAULTS["initial_accumulator_value"],
        epsilon=_DEFAULTS["epsilon"],
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            initial_accumulator_value=initial_accumulator_value,
            epsilon=epsilon,
            **kwargs,
        )

    def build(self, var_list):
        """Create the sum of squared gradients `s`, one tensor at s0 per model variable."""
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list,
            "accumulator",
            initializer=keras.initializers.Constant(self.initial_accumulator_value),
        )

    def update_step(self, gradient, variable, learning_rate):
        """Add `gradient ** 2` to `s`, then step by the gradient over `sqrt(s) + epsilon`."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        epsilon = ops.cast(self.epsilon, variable.dtype)
        s = self._accumulators[self._get_variable_index(variable)]

        self.assign_add(s, ops.square(gradient))  # in place: one operation fewer than s + g * g
        step = ops.divide(ops.multiply(lr, gradient), ops.add(ops.sqrt(s), epsilon))
        self.assign_sub(variable, step)

    def effective_learning_rate(self):
        """`learning_rate / (sqrt(s) + epsilon)` median over weights, from the current `s`."""
        lr = ops.cast(self.learning_rate, "float32")
        states = current_state(self, "_accumulators", self.initial_accumulator_value)
        return median_over_weights(lambda s: ops.divide(lr, ops.sqrt(s) + self.epsilon), states)
