"""Adam: momentum on the gradient and RMSprop's scaling, both bias-corrected; AMSGrad as an
option (`amsgrad=True`)."""

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

    # amsgrad=True: the largest v so far takes v's place in v_hat
    v_max = max(v_max, v)
    v_hat = v_max / (1 - beta_2 ** t)
    ```

    `m`, `v` and `v_max` start at 0; the bias corrections undo that start in the first steps.
    `epsilon` is added to the corrected root, as in Algorithm 1 of the paper (Keras's own Adam
    folds the corrections into the learning rate instead). Kingma & Ba (2014), "Adam: A Method
    for Stochastic Optimization". AMSGrad keeps the maximum of `v` itself and corrects it with
    this step's `t`, as torch.optim.Adam(amsgrad=True) does: gradients that shrink after large
    ones no longer raise a weight's rate (only the fading correction still does). Reddi, Kale
    & Kumar (2018), "On the Convergence of Adam and Beyond".
    """

    catalog_name = "adam"

    @property
    def state(self) -> dict[str, str]:
        """`m` and `v` per model variable, and `v_max` with `amsgrad`."""
        state = {"_momentums": "momentum", "_velocities": "velocity"}
        if self.amsgrad:
            state["_max_velocities"] = "max_velocity"
        return state

    def update_step(self, gradient, variable, learning_rate):
        """Move `variable` by the step `moment_step` gives."""
        lr, gradient = self.cast(variable, learning_rate, gradient)
        self.assign_sub(variable, self.moment_step(variable, gradient, lr))

    def moment_step(self, variable, gradient, lr):
        """Update `m` and `v` (and `v_max`) for `variable`, correct their bias for step `t`,
        and return the step `lr * m_hat / (sqrt(v_hat) + epsilon)`; `gradient` and `lr` are
        already cast (`cast`).

        The same values as the rule above, in fewer operations on whole weight tensors (this
        runs for every variable at every step): `m + (1 - beta_1) * (g - m)` is `beta_1 * m +
        (1 - beta_1) * g`, and the corrections are applied as scalars, with
        `sqrt(v_hat) = sqrt(v) / sqrt(1 - beta_2 ** t)` and
        `learning_rate * m_hat = (learning_rate / (1 - beta_1 ** t)) * m`.
        """
        dtype = variable.dtype
        beta_1, beta_2, epsilon = self.cast(variable, self.beta_1, self.beta_2, self.epsilon)
        # The counter is incremented after the update, so this step is t = iterations + 1.
        t = ops.cast(self.iterations + 1, "float64")
        m = self.state_of("_momentums", variable)
        v = self.state_of("_velocities", variable)

        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1.0 - beta_2))
        if self.amsgrad:
            v_max = self.state_of("_max_velocities", variable)
            self.assign(v_max, ops.maximum(v_max, v))
            v = v_max
        # The corrections in float64: `1 - beta ** t` loses digits to cancellation (beta_2 =
        # 0.999 leaves three), so float32's `power`, which gives a lone number and the values
        # of a stacked run (`stack`) by different routines, would differ by 1e-5 between them.
        beta_1_t = ops.power(ops.cast(beta_1, "float64"), t)
        beta_2_t = ops.power(ops.cast(beta_2, "float64"), t)
        rate = ops.cast(ops.cast(lr, "float64") / (1.0 - beta_1_t), dtype)
        root_scale = ops.cast(1.0 / ops.sqrt(1.0 - beta_2_t), dtype)
        return ops.divide(
            ops.multiply(m, rate), ops.add(ops.multiply(ops.sqrt(v), root_scale), epsilon)
        )

    def effective_learning_rate(self):
        """`learning_rate / (sqrt(v_hat) + epsilon)`, the rate applied to `m_hat`, median over
        weights. `v_hat` is `v` (or `v_max`) corrected for the steps taken so far (at least 1)."""
        lr = ops.cast(self.learning_rate, "float32")
        t = ops.maximum(ops.cast(self.iterations, "float32"), 1.0)
        correction = 1.0 - ops.power(ops.cast(self.beta_2, "float32"), t)
        attribute = "_max_velocities" if self.amsgrad else "_velocities"
        states = current_state(self, attribute, 0.0)
        return median_over_weights(
            lambda v: ops.divide(lr, ops.sqrt(v / correction) + self.epsilon), states
        )
