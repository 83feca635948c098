"""AdaGrad: a learning rate per weight that shrinks with all the gradients that weight has seen."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.base import DescentOptimizer, current_state, median_over_weights


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
    """

    catalog_name = "adagrad"
    state = {"_accumulators": "accumulator"}

    def state_initializer(self):
        """`s` starts at s0, `initial_accumulator_value`."""
        return keras.initializers.Constant(self.initial_accumulator_value)

    def update_step(self, gradient, variable, learning_rate):
        """Add `gradient ** 2` to `s`, then step by the gradient over `sqrt(s) + epsilon`."""
        lr, gradient, epsilon = self.cast(variable, learning_rate, gradient, self.epsilon)
        s = self.state_of("_accumulators", variable)

        self.assign_add(s, ops.square(gradient))  # in place: one operation fewer than s + g * g
        step = ops.divide(ops.multiply(lr, gradient), ops.add(ops.sqrt(s), epsilon))
        self.assign_sub(variable, step)

    def effective_learning_rate(self):
        """`learning_rate / (sqrt(s) + epsilon)` median over weights, from the current `s`."""
        lr = ops.cast(self.learning_rate, "float32")
        states = current_state(self, "_accumulators", self.initial_accumulator_value)
        return median_over_weights(lambda s: ops.divide(lr, ops.sqrt(s) + self.epsilon), states)
