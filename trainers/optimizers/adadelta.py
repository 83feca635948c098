"""AdaDelta: steps scaled by the ratio of recent update sizes to recent gradient sizes."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers._common import (
    DescentOptimizer,
    current_state,
    defaults,
    median_over_weights,
)

_DEFAULTS = defaults("adadelta")


@keras.saving.register_keras_serializable(package="descent")
class Adadelta(DescentOptimizer):
    """AdaDelta: RMSprop whose rate is the root of a running average of past squared updates.

    Update rule, for each weight `w` with gradient `g`:

    ```python
    a = rho * a + (1 - rho) * g * g
    u = sqrt(d + epsilon) / sqrt(a + epsilon) * g
    d = rho * d + (1 - rho) * u * u
    w = w - learning_rate * u
    ```

    `a` and `d` start at 0; `epsilon` sits inside both roots, as in the paper and in Keras.
    The units of `u` are those of `w`, so `learning_rate` is 1.0 in the paper. Zeiler (2012),
    "ADADELTA: An Adaptive Learning Rate Method".

    Args:
        learning_rate: A float > 0, a `keras.optimizers.schedules.LearningRateSchedule`, or a
            callable taking no arguments that returns the rate. Defaults to `1.0`.
        rho: In [0, 1), how much of the running averages `a` and `d` is kept each step.
            Defaults to `0.95`.
        epsilon: A float > 0 that keeps the roots and the division finite. Defaults to `1e-7`.
        **kwargs: Keras's base optimizer keywords (`name`, `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`, `gradient_accumulation_steps`).
    """

    catalog_name = "adadelta"

    def __init__(
        self,
        learning_rate=_DEFAULTS["learning_rate"],
        rho=_DEFAULTS["rho"],
        epsilon=_DEFAULTS["epsilon"],
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, rho=rho, epsilon=epsilon, **kwargs)

    def build(self, var_list):
        """Create the running averages of squared gradients `a` and squared updates `d`."""
        if self.built:
            return
        super().build(var_list)
        self._grad_averages, self._update_averages = self.add_optimizer_variables(
            var_list, ["grad_average", "update_average"]
        )

    def update_step(self, gradient, variable, learning_rate):
        """Update `a`, take the step `u` that the two averages give, then fold `u` into `d`."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        rho = ops.cast(self.rho, variable.dtype)
        epsilon = ops.cast(self.epsilon, variable.dtype)
        index = self._get_variable_index(variable)
        a = self._grad_averages[index]
        d = self._update_averages[index]

        # The averages are updated in place: x + (1 - rho) * (y - x) is rho * x + (1 - rho) * y
        # in one operation fewer. `u` reads `d` before its update, as the rule says.
        self.assign_add(a, ops.multiply(ops.subtract(ops.square(gradient), a), 1.0 - rho))
        ratio = ops.divide(ops.sqrt(ops.add(d, epsilon)), ops.sqrt(ops.add(a, epsilon)))
        u = ops.multiply(ratio, gradient)
        self.assign_add(d, ops.multiply(ops.subtract(ops.square(u), d), 1.0 - rho))
        self.assign_sub(variable, ops.multiply(lr, u))

    def effective_learning_rate(self):
        """`learning_rate * sqrt(d + epsilon) / sqrt(a + epsilon)` median over weights."""
        lr = ops.cast(self.learning_rate, "float32")
        a_list = current_state(self, "_grad_averages", 0.0)
        d_list = current_state(self, "_update_averages", 0.0)
        return median_over_weights(
            lambda a, d: lr * ops.sqrt(d + self.epsilon) / ops.sqrt(a + self.epsilon),
            a_list,
            d_list,
        )
