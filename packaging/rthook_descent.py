"""PyInstaller runtime hook: runs in the packaged app before any of its own code.

TensorFlow reads TF_CPP_MIN_LOG_LEVEL once, when its C++ library loads, so it must be set before
anything imports TensorFlow; 2 keeps its start-up chatter (INFO and WARNING) out of the
terminal, as `gui.app` and `trainers` do for `python main.py`. A value the user set wins.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
