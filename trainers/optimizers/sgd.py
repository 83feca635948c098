"""Plain stochastic gradient descent: the baseline every other optimizer is compared with."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers.base import DescentOptimizer


@keras.saving.register_keras_serializable(package="descent")
class SGD(DescentOptimizer):
    """Gradient descent: each weight moves against its gradient, scaled by the learning rate.

    Update rule, for each weight `w` with gradient `g`:

    ```python
    w = w - learning_rate * g
    ```

    Robbins & Monro (1951), "A Stochastic Approximation Method". Whether it sees one sample, a
    mini-batch or the whole set per step is the batch size's choice, not the optimizer's.
    """

    catalog_name = "sgd"

    def update_step(self, gradient, variable, learning_rate):
        """Move `variable` by `-learning_rate * gradient`."""
        lr, gradient = self.cast(variable, learning_rate, gradient)
        self.assign_sub(variable, ops.multiply(lr, gradient))

    def effective_learning_rate(self):
        """The step size per unit of gradient, the same for every weight: `learning_rate` itself."""
        return ops.cast(self.learning_rate, "float32")
