"""Nesterov momentum: momentum that corrects its course with the gradient it is heading into."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.momentum import Momentum


@keras.saving.register_keras_serializable(package="descent")
class Nesterov(Momentum):
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

    `v` starts at 0, and is made and read as Momentum's (`build`, `effective_learning_rate`).
    Nesterov (1983), "A method of solving a convex programming problem with
    convergence rate O(1/k^2)"; in this form for deep learning, Sutskever, Martens, Dahl & Hinton
    (2013), "On the importance of initialization and momentum in deep learning".
    """

    catalog_name = "nesterov"

    def update_step(self, gradient, variable, learning_rate):
        """Fold `gradient` into the velocity, then step along the look-ahead direction."""
        lr, gradient, beta = self.cast(variable, learning_rate, gradient, self.momentum)
        # The average weighs the new gradient by 1 - beta; heavy-ball adds it whole.
        new_weight = ops.subtract(1.0, beta) if self.ewma else ops.ones((), variable.dtype)
        v = self.state_of("_velocities", variable)

        weighted_gradient = ops.multiply(new_weight, gradient)
        new_v = ops.add(ops.multiply(beta, v), weighted_gradient)
        self.assign(v, new_v)
        look_ahead = ops.add(ops.multiply(beta, new_v), weighted_gradient)
        self.assign_sub(variable, ops.multiply(lr, look_ahead))
