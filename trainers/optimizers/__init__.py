"""Our optimizers, each written from its published update rule as a Keras optimizer.

`get(name, **hyperparameters)` builds one by name and `available()` describes them all; the
classes are registered with Keras under the package "descent", so a saved `.keras` model that
uses one reloads after `import trainers.keras_objects`.
"""

from trainers.optimizers.adadelta import Adadelta
from trainers.optimizers.adagrad import Adagrad
from trainers.optimizers.adam import Adam
from trainers.optimizers.momentum import Momentum
from trainers.optimizers.nesterov import Nesterov
from trainers.optimizers.registry import CLASSES, available, get
from trainers.optimizers.rmsprop import RMSprop
from trainers.optimizers.sgd import SGD

__all__ = [
    "CLASSES",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Momentum",
    "Nesterov",
    "RMSprop",
    "available",
    "get",
]
