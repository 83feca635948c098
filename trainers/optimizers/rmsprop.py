"""RMSprop: AdaGrad with a fading memory, so the per-weight rate follows recent gradients."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers._common import (
    DescentOptimizer,
    current_state,
    defaults,
    median_over_weights,
)

_DEFAULTS = defaults("rmsprop")


@keras.saving.register_keras_serializable(package="descent")
class RMSprop(DescentOptimizer):
    """RMSprop: divides each step by the root of a running average of squared gradients.

    Update rule, for each weight `w` with gradient `g`:

    ```python
    s = rho * s + (1 - rho) * g * g
    w = w - learning_rate * g / (sqrt(s) + epsilon)
    ```

    `s` starts at 0. `epsilon` sits outside the root (Keras's own RMSprop puts it inside).
    Hinton, Srivastava & Swersky (2012), "Neural Networks for Machine Learning", lecture 6e.

    Args:
        learning_rate: A float > 0, a `keras.optimizers.schedules.LearningRateSchedule`, or a
            callable taking no arguments that returns the rate. Defaults to `0.001`.
        rho: In [0, 1), how much of the running average of `g * g` is kept each step.
            Defaults to `0.9`.
        epsilon: A float > 0 that keeps the division finite. Defaults to `1e-7`.
        **kwargs: Keras's base optimizer keywords (`name`, `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`, `gradient_accumulation_steps`).
    """

    catalog_name = "rmsprop"

    def __init__(
        self,
        learning_rate=_DEFAULTS["learning_rate"],
        rho=_DEFAULTS["rho"],
        epsilon=_DEFAULTS["epsilon"],
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, rho=rho, epsilon=epsilon, **kwargs)

    def build(self, var_list):
        """Create the running average of squared gradients `s`, zero, per model variable."""
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        """Fold `gradient ** 2` into `s`, then step by the gradient over `sqrt(s) + epsilon`."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        rho = ops.cast(self.rho, variable.dtype)
        epsilon = ops.cast(self.epsilon, variable.dtype)
        s = self._velocities[self._get_variable_index(variable)]

        # s + (1 - rho) * (g ** 2 - s) is rho * s + (1 - rho) * g ** 2, one operation fewer.
        self.assign_add(s, ops.multiply(ops.subtract(ops.square(gradient), s), 1.0 - rho))
        step = ops.divide(ops.multiply(lr, gradient), ops.add(ops.sqrt(s), epsilon))
        self.assign_sub(variable, step)

    def effective_learning_rate(self):
        """`learning_rate / (sqrt(s) + epsilon)` median over weights, from the current `s`."""
        lr = ops.cast(self.learning_rate, "float32")
        states = current_state(self, "_velocities", 0.0)
        return median_over_weights(lambda s: ops.divide(lr, ops.sqrt(s) + self.epsilon), states)
