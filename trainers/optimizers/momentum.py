"""Gradient descent with momentum: steps follow an average of recent gradients."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers._common import DescentOptimizer, defaults

_DEFAULTS = defaults("momentum")


@keras.saving.register_keras_serializable(package="descent")
class Momentum(DescentOptimizer):
    """Momentum: each weight moves along a running average `v` of its gradients.

    Update rule, for each weight `w` with gradient `g` and `beta = momentum`:

    ```python
    # ewma=True (default): v is the exponentially weighted average of the gradients
    v = beta * v + (1 - beta) * g
    w = w - learning_rate * v

    # ewma=False: heavy-ball, as in keras.optimizers.SGD(momentum=beta) and PyTorch
    v = beta * v + g
    w = w - learning_rate * v
    ```

    Both forms follow the same path: heavy-ball with `learning_rate` equals the average with
    `learning_rate / (1 - beta)`. `v` starts at 0. Polyak (1964), "Some methods of speeding up the
    convergence of iteration methods".

    Args:
        learning_rate: A float > 0, a `keras.optimizers.schedules.LearningRateSchedule`, or a
            callable taking no arguments that returns the rate. Defaults to `0.01`.
        momentum: beta in [0, 1), the weight kept on the accumulated gradients. Defaults to `0.9`.
        ewma: True for the averaged form above, False for heavy-ball. Defaults to `True`.
        **kwargs: Keras's base optimizer keywords (`name`, `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`, `gradient_accumulation_steps`).
    """

    catalog_name = "momentum"

    def __init__(
        self,
        learning_rate=_DEFAULTS["learning_rate"],
        momentum=_DEFAULTS["momentum"],
        ewma=_DEFAULTS["ewma"],
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, momentum=momentum, ewma=ewma, **kwargs)

    def build(self, var_list):
        """Create the velocity `v`, one zero tensor per model variable."""
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        """Fold `gradient` into the velocity, then move `variable` along it."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        beta = ops.cast(self.momentum, variable.dtype)
        v = self._velocities[self._get_variable_index(variable)]

        if self.ewma:
            # The average weighs the new gradient by 1 - beta: v + (1 - beta) * (g - v) is
            # beta * v + (1 - beta) * g, in one operation fewer.
            self.assign_add(v, ops.multiply(ops.subtract(gradient, v), 1.0 - beta))
        else:  # heavy-ball adds it whole
            self.assign(v, ops.add(ops.multiply(beta, v), gradient))
        self.assign_sub(variable, ops.multiply(lr, v))

    def effective_learning_rate(self):
        """The step size per unit of `v`, the same for every weight: `learning_rate` itself."""
        return ops.cast(self.learning_rate, "float32")
