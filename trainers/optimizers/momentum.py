"""Gradient descent with momentum: steps follow an average of recent gradients."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.base import DescentOptimizer


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
    """

    catalog_name = "momentum"
    state = {"_velocities": "velocity"}

    def update_step(self, gradient, variable, learning_rate):
        """Fold `gradient` into the velocity, then move `variable` along it."""
        lr, gradient, beta = self.cast(variable, learning_rate, gradient, self.momentum)
        v = self.state_of("_velocities", variable)

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
