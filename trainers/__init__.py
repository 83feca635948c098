"""Descent's engine: optimizers, losses, datasets, models and the training session.

Keras and NumPy only, never Qt: everything here runs the same from the command line and from the
window. Importing this package loads nothing heavy: `trainers.catalog`, `trainers.config`,
`trainers.errors` and the other plain-Python modules (see docs/architecture.md) work without
TensorFlow, so the window and `main.py --help` never wait for it. The modules that train import
Keras themselves.

A saved `.keras` model that uses our optimizers or losses reloads in plain Keras after one
import, which registers our classes with Keras::

    import keras
    import trainers.keras_objects

    model = keras.saving.load_model("runs/demo/model.keras")
"""

import os

__version__ = "0.1.0"

# Quiet TensorFlow's C++ start-up chatter, and pin the backend our classes are written for,
# unless the user chose otherwise. Set here, before any module of ours can import TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
