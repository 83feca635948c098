"""Descent's engine: optimizers, losses, datasets, models and the training session.

Keras and NumPy only, never Qt: everything here runs the same from the command line and from the
window. Importing the package registers our optimizer and loss classes with Keras, so a saved
`.keras` model that uses them reloads with `keras.saving.load_model` after `import trainers`.
"""

import os

# Quiet TensorFlow's C++ start-up chatter, and pin the backend our classes are written for,
# unless the user chose otherwise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from trainers import (  # noqa: E402
    catalog,
    datasets,  # noqa: E402
    errors,
    losses,
    optimizers,
)

__all__ = ["catalog", "datasets", "errors", "losses", "optimizers"]
