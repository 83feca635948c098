"""Adam: momentum on the gradient and RMSprop's scaling, both bias-corrected."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.base import DescentOptimizer, current_state, median_over_weights


@keras.saving.register_keras_serializable(package="descent")
class Adam(DescentOptimizer):
    """Adam: a running average of gradients divided by the root of one of squared gradients.

    Update rule at step `t = 1, 2, ...`, for each weight `w` with gradient `g`:

    ```python
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    ```

    `m` and `v` start at 0; the bias corrections undo that start in the first steps. `epsilon`
    is added to the corrected root, as in Algorithm 1 of the paper (Keras's own Adam folds the
    corrections into the learning rate instead). Kingma & Ba (2014), "Adam: A Method for
    Stochastic Optimization".
    """

    catalog_name = "adam"
    state = {"_momentums": "momentum", "_velocities": "velocity"}

    def update_step(self, gradient, variable, learning_rate):
        """Update `m` and `v`, correct their bias for step `t`, and step by their ratio.

        The same values as the rule above, in fewer operations on whole weight tensors (this
        runs for every variable at every step): `m + (1 - beta_1) * (g - m)` is `beta_1 * m +
        (1 - beta_1) * g`, and the corrections are applied as scalars, with
        `sqrt(v_hat) = sqrt(v) / sqrt(1 - beta_2 ** t)` and
        `learning_rate * m_hat = (learning_rate / (1 - beta_1 ** t)) * m`.
        """
        dtype = variable.dtype
        lr, gradient, beta_1, beta_2, epsilon = self.cast(
            variable, learning_rate, gradient, self.beta_1, self.beta_2, self.epsilon
        )
        # The counter is incremented after the update, so this step is t = iterations + 1.
        t = ops.cast(self.iterations + 1, "float64")
        m = self.state_of("_momentums", variable)
        v = self.state_of("_velocities", variable)

        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1.0 - beta_2))
        # The corrections in float64: `1 - beta ** t` loses digits to cancellation (beta_2 =
        # 0.999 leaves three), so float32's `power`, which gives a lone number and the values
        # of a stacked run (`stack`) by different routines, would differ by 1e-5 between them.
        beta_1_t = ops.power(ops.cast(beta_1, "float64"), t)
        beta_2_t = ops.power(ops.cast(beta_2, "float64"), t)
        rate = ops.cast(ops.cast(lr, "float64") / (1.0 - beta_1_t), dtype)
        root_scale = ops.cast(1.0 / ops.sqrt(1.0 - beta_2_t), dtype)
        step = ops.divide(
            ops.multiply(m, rate), ops.add(ops.multiply(ops.sqrt(v), root_scale), epsilon)
        )
        self.assign_sub(variable, step)

    def effective_learning_rate(self):
        """`learning_rate / (sqrt(v_hat) + epsilon)`, the rate applied to `m_hat`, median over
        weights. `v_hat` is `v` corrected for the steps taken so far (at least 1)."""
        lr = ops.cast(self.learning_rate, "float32")
        t = ops.maximum(ops.cast(self.iterations, "float32"), 1.0)
        correction = 1.0 - ops.power(ops.cast(self.beta_2, "float32"), t)
        states = current_state(self, "_velocities", 0.0)
        return median_over_weights(
            lambda v: ops.divide(lr, ops.sqrt(v / correction) + self.epsilon), states
        )
