"""AdamW: Adam with weight decay decoupled from the gradient (Loshchilov & Hutter)."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.adam import Adam


@keras.saving.register_keras_serializable(package="descent")
class AdamW(Adam):
    """AdamW: every step shrinks the weights by `learning_rate * weight_decay_rate`, then
    takes Adam's step.

    Update rule at step `t = 1, 2, ...`, for each weight `w` with gradient `g` and
    `lambda = weight_decay_rate`:

    ```python
    w = w * (1 - learning_rate * lambda)
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)  # amsgrad=True: v_max = max(v_max, v) in v's place
    w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    ```

    Adam with an L2 penalty adds `lambda * w` to `g`, so the penalty's gradient is divided by
    `sqrt(v_hat)` like the rest and weights with large gradients are barely decayed; here the
    decay is the same share of every weight. The same rule as torch.optim.AdamW, whose
    `weight_decay` is `lambda` (Keras's `weight_decay` keyword, given as well, would decay the
    weights a second time). Loshchilov & Hutter (2019), "Decoupled Weight Decay
    Regularization".
    """

    catalog_name = "adamw"

    def update_step(self, gradient, variable, learning_rate):
        """Adam's step plus the decay `learning_rate * lambda * w`, in one move of `variable`
        (so the update size recorded is that of the whole step)."""
        lr, gradient, decay = self.cast(variable, learning_rate, gradient, self.weight_decay_rate)
        # The decay reads w before this step, as the rule's first line does.
        shrink = ops.multiply(variable, ops.multiply(lr, decay))
        self.assign_sub(variable, ops.add(shrink, self.moment_step(variable, gradient, lr)))
