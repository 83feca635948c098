"""Adamax: Adam with a fading maximum of |g| in place of the root of the average of g^2."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.base import DescentOptimizer, current_state, median_over_weights


@keras.saving.register_keras_serializable(package="descent")
class Adamax(DescentOptimizer):
    """Adamax: a running average of gradients divided by a running maximum of their sizes.

    Update rule at step `t = 1, 2, ...`, for each weight `w` with gradient `g`:

    ```python
    m = beta_1 * m + (1 - beta_1) * g
    u = max(beta_2 * u, abs(g) + epsilon)
    w = w - learning_rate / (1 - beta_1 ** t) * m / u
    ```

    `m` and `u` start at 0. `u` is the infinity norm's limit of Adam's `v ** (1/p)`, which
    needs no bias correction; `epsilon` sits inside the maximum, as in torch.optim.Adamax, so
    `u >= epsilon` from the first step on. Since `|m| / (1 - beta_1 ** t)` is an average of
    past `|g|` and `u` bounds them, no step is much longer than `learning_rate`. Kingma & Ba
    (2014), "Adam: A Method for Stochastic Optimization", section 7.1.
    """

    catalog_name = "adamax"
    state = {"_momentums": "momentum", "_norms": "norm"}

    def update_step(self, gradient, variable, learning_rate):
        """Update `m` and `u`, then step by `m / u` at the bias-corrected rate."""
        dtype = variable.dtype
        lr, gradient, beta_1, beta_2, epsilon = self.cast(
            variable, learning_rate, gradient, self.beta_1, self.beta_2, self.epsilon
        )
        t = ops.cast(self.iterations + 1, "float64")  # incremented after the update
        m = self.state_of("_momentums", variable)
        u = self.state_of("_norms", variable)

        # m + (1 - beta_1) * (g - m) is beta_1 * m + (1 - beta_1) * g, one operation fewer.
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - beta_1))
        self.assign(u, ops.maximum(ops.multiply(u, beta_2), ops.add(ops.abs(gradient), epsilon)))
        # The correction in float64, as Adam's: `1 - beta_1 ** t` loses digits to cancellation.
        beta_1_t = ops.power(ops.cast(beta_1, "float64"), t)
        rate = ops.cast(ops.cast(lr, "float64") / (1.0 - beta_1_t), dtype)
        self.assign_sub(variable, ops.divide(ops.multiply(m, rate), u))

    def effective_learning_rate(self):
        """`learning_rate / u`, the rate applied to `m_hat = m / (1 - beta_1 ** t)`, median
        over weights. Before the first step `u` is 0 and `epsilon` stands in for it, its least
        value once a step is taken (Adam reads `learning_rate / epsilon` there too)."""
        lr = ops.cast(self.learning_rate, "float32")
        states = current_state(self, "_norms", 0.0)
        return median_over_weights(lambda u: ops.divide(lr, ops.maximum(u, self.epsilon)), states)
