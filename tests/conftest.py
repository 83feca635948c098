"""Shared test set-up: offscreen Qt, no downloads, quiet TensorFlow."""

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Tests never download: the Keras dataset loaders refuse to fetch when this is set.
os.environ["DESCENT_OFFLINE"] = "1"
# Runs are recorded in a run library: one for this test session, never the user's own.
os.environ["DESCENT_RUNS_DIR"] = tempfile.mkdtemp(prefix="descent-runs-")
# Nor the user's plugin folder (platformdirs' config folder): a plugin there is not the tests'.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="descent-config-")
# Nor the user's message log (trainers.messages).
os.environ["DESCENT_LOG_DIR"] = tempfile.mkdtemp(prefix="descent-log-")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
