"""RMSprop: AdaGrad with a fading memory, so the per-weight rate follows recent gradients."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.base import DescentOptimizer, current_state, median_over_weights


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
    """

    catalog_name = "rmsprop"
    state = {"_velocities": "velocity"}

    def update_step(self, gradient, variable, learning_rate):
        """Fold `gradient ** 2` into `s`, then step by the gradient over `sqrt(s) + epsilon`."""
        lr, gradient, rho, epsilon = self.cast(
            variable, learning_rate, gradient, self.rho, self.epsilon
        )
        s = self.state_of("_velocities", variable)

        # s + (1 - rho) * (g ** 2 - s) is rho * s + (1 - rho) * g ** 2, one operation fewer.
        self.assign_add(s, ops.multiply(ops.subtract(ops.square(gradient), s), 1.0 - rho))
        step = ops.divide(ops.multiply(lr, gradient), ops.add(ops.sqrt(s), epsilon))
        self.assign_sub(variable, step)

    def effective_learning_rate(self):
        """`learning_rate / (sqrt(s) + epsilon)` median over weights, from the current `s`."""
        lr = ops.cast(self.learning_rate, "float32")
        states = current_state(self, "_velocities", 0.0)
        return median_over_weights(lambda s: ops.divide(lr, ops.sqrt(s) + self.epsilon), states)
