"""Lion: steps of one size for every weight, along the sign of a momentum blend."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.base import DescentOptimizer


@keras.saving.register_keras_serializable(package="descent")
class Lion(DescentOptimizer):
    """Lion (EvoLved Sign Momentum): the sign of a blend of momentum and gradient.

    Update rule, for each weight `w` with gradient `g` and `lambda = weight_decay_rate`:

    ```python
    c = beta_1 * m + (1 - beta_1) * g
    w = w - learning_rate * (sign(c) + lambda * w)
    m = beta_2 * m + (1 - beta_2) * g
    ```

    `m` starts at 0. The direction `c` blends in more of the new gradient (`beta_1 = 0.9`) than
    the momentum kept for later steps does (`beta_2 = 0.99`). Every weight moves by
    `learning_rate` (plus its decay), whatever the size of its gradient, so the rate is 3-10x
    smaller than AdamW's and `lambda` as much larger. The weight decay is decoupled, read from
    `w` before the step. Chen et al. (2023), "Symbolic Discovery of Optimization Algorithms";
    keras.optimizers.Lion is the same rule, its decay Keras's `weight_decay` keyword.
    """

    catalog_name = "lion"
    state = {"_momentums": "momentum"}

    def update_step(self, gradient, variable, learning_rate):
        """Step along the sign of `c` (and the decay), then fold `gradient` into `m`."""
        lr, gradient, beta_1, beta_2, decay = self.cast(
            variable, learning_rate, gradient, self.beta_1, self.beta_2, self.weight_decay_rate
        )
        m = self.state_of("_momentums", variable)

        # m + (1 - beta) * (g - m) is beta * m + (1 - beta) * g, one operation fewer.
        blend = ops.add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - beta_1))
        direction = ops.add(ops.sign(blend), ops.multiply(variable, decay))
        self.assign_sub(variable, ops.multiply(lr, direction))
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - beta_2))

    def effective_learning_rate(self):
        """The step size per weight, the same for every one (`sign(c)` is +-1): `learning_rate`."""
        return ops.cast(self.learning_rate, "float32")
