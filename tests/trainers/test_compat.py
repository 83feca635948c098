"""The Keras and TensorFlow internals Descent touches (all in `trainers.compat`) are where the
installed versions keep them; if an upgrade moves one, this says which and where to fix it."""

import keras
import pytest

from trainers import compat


def test_every_internal_we_touch_is_where_compat_expects_it():
    problems = compat.problems()
    assert problems == [], "\n".join(problems)


def test_a_moved_internal_is_named_with_the_module_to_update(monkeypatch):
    monkeypatch.setattr(compat, "LOSS_TRACKER", "_tracker_moved_in_a_new_keras")
    problems = compat.problems()
    assert len(problems) == 1
    assert "_tracker_moved_in_a_new_keras" in problems[0]
    assert "trainers/compat.py" in problems[0] and keras.__version__ in problems[0]
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(RuntimeError, match="trainers/compat.py"):
        compat.replace_loss_tracker(model, keras.metrics.Mean(name="loss"))


def test_an_untracked_attribute_is_not_saved_with_the_optimizer():
    optimizer = keras.optimizers.SGD()
    optimizer.build([keras.Variable(1.0)])
    before = len(optimizer.variables)
    compat.set_untracked(optimizer, "_probe", keras.Variable(0.0))
    assert len(optimizer.variables) == before
    optimizer.tracked = keras.Variable(0.0)  # what Keras does without compat
    assert len(optimizer.variables) == before + 1
