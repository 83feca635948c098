"""Plain stochastic gradient descent: the baseline every other optimizer is compared with."""

from __future__ import annotations

import keras
from keras import ops

from trainers.optimizers._common import DescentOptimizer, defaults

_DEFAULTS = defaults("sgd")


@keras.saving.register_keras_serializable(package="descent")
class SGD(DescentOptimizer):
    """Gradient descent: each weight moves against its gradient, scaled by the learning rate.

    Update rule, for each weight `w` with gradient `g`:

    ```python
    w = w - learning_rate * g
    ```

    Robbins & Monro (1951), "A Stochastic Approximation Method". Whether it sees one sample, a
    mini-batch or the whole set per step is the batch size's choice, not the optimizer's.

    Args:
        learning_rate: A float > 0, a `keras.optimizers.schedules.LearningRateSchedule`, or a
            callable taking no arguments that returns the rate. Defaults to `0.01`.
        **kwargs: Keras's base optimizer keywords (`name`, `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`, `gradient_accumulation_steps`).
    """

    catalog_name = "sgd"

    def __init__(self, learning_rate=_DEFAULTS["learning_rate"], **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)

    def build(self, var_list):
        """SGD keeps no state of its own: only the base class's bookkeeping is set up."""
        if self.built:
            return
        super().build(var_list)

    def update_step(self, gradient, variable, learning_rate):
        """Move `variable` by `-learning_rate * gradient`."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        self.assign_sub(variable, ops.multiply(lr, gradient))

    def effective_learning_rate(self):
        """The step size per unit of gradient, the same for every weight: `learning_rate` itself."""
        return ops.cast(self.learning_rate, "float32")
