"""Nesterov momentum: momentum that corrects its course with the gradient it is heading into."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers._common import DescentOptimizer, defaults

_DEFAULTS = defaults("nesterov")


@keras.saving.register_keras_serializable(package="descent")
class Nesterov(DescentOptimizer):
    """Nesterov accelerated gradient: momentum with a look-ahead step.

    The gradient is meant to be taken at the look-ahead point `w - learning_rate * beta * v`; the
    usual rewriting below needs only the gradient at `w`. For each weight `w` with gradient `g`
    and `beta = momentum`:

    ```python
    # ewma=True (default): v is the exponentially weighted average of the gradients
    v = beta * v + (1 - beta) * g
    w = w - learning_rate * (beta * v + (1 - beta) * g)

    # ewma=False: heavy-ball form, as in keras.optimizers.SGD(momentum=beta, nesterov=True)
    # and PyTorch's SGD(nesterov=True)
    v = beta * v + g
    w = w - learning_rate * (beta * v + g)
    ```

    `v` starts at 0. Nesterov (1983), "A method of solving a convex programming problem with
    convergence rate O(1/k^2)"; in this form for deep learning, Sutskever, Martens, Dahl & Hinton
    (2013), "On the importance of initialization and momentum in deep learning".

    Args:
        learning_rate: A float > 0, a `keras.optimizers.schedules.LearningRateSchedule`, or a
            callable taking no arguments that returns the rate. Defaults to `0.01`.
        momentum: beta in [0, 1), the weight kept on the accumulated gradients. Defaults to `0.9`.
        ewma: True for the averaged form above, False for heavy-ball. Defaults to `True`.
        **kwargs: Keras's base optimizer keywords (`name`, `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`, `gradient_accumulation_steps`).
    """

    catalog_name = "nesterov"

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
        """Fold `gradient` into the velocity, then step along the look-ahead direction."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        beta = ops.cast(self.momentum, variable.dtype)
        # The average weighs the new gradient by 1 - beta; heavy-ball adds it whole.
        new_weight = ops.subtract(1.0, beta) if self.ewma else ops.ones((), variable.dtype)
        v = self._velocities[self._get_variable_index(variable)]

        weighted_gradient = ops.multiply(new_weight, gradient)
        new_v = ops.add(ops.multiply(beta, v), weighted_gradient)
        self.assign(v, new_v)
        look_ahead = ops.add(ops.multiply(beta, new_v), weighted_gradient)
        self.assign_sub(variable, ops.multiply(lr, look_ahead))

    def effective_learning_rate(self):
        """The step size per unit of the look-ahead direction, the same for every weight:
        `learning_rate` itself."""
        return ops.cast(self.learning_rate, "float32")
