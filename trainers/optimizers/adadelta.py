"""AdaDelta: steps scaled by the ratio of recent update sizes to recent gradient sizes."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.base import DescentOptimizer, current_state, median_over_weights


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
    """

    catalog_name = "adadelta"
    state = {"_grad_averages": "grad_average", "_update_averages": "update_average"}

    def update_step(self, gradient, variable, learning_rate):
        """Update `a`, take the step `u` that the two averages give, then fold `u` into `d`."""
        lr, gradient, rho, epsilon = self.cast(
            variable, learning_rate, gradient, self.rho, self.epsilon
        )
        a = self.state_of("_grad_averages", variable)
        d = self.state_of("_update_averages", variable)

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
