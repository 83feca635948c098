"""Keras's own optimizers as references (`trainers.catalog.KERAS_BUILTINS`): their forms are
their constructors' arguments, they train in a comparison and a benchmark beside ours, and a
schedule-free one is evaluated and saved at the average of its iterates."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

from trainers import catalog, compat, plans
from trainers.compare import CompareSession
from trainers.config import RunConfig
from trainers.session import TrainingSession


@pytest.mark.parametrize("info", catalog.KERAS_BUILTINS, ids=lambda info: info.name)
def test_each_form_is_its_constructors_arguments_with_their_defaults(info):
    cls = info.load()
    assert cls.__module__.startswith("keras.")
    assert info.display_name.endswith(f"({catalog.KERAS_BUILTIN})")
    arguments = inspect.signature(cls.__init__).parameters
    for param in info.params:
        assert param.name in arguments, f"{cls.__name__} has no argument {param.name}"
        assert arguments[param.name].default == param.default, param.name
    assert info not in catalog.OPTIMIZERS  # not in the side panel, nor in our rules' tables
    assert catalog.optimizer_info(info.name) is info


def test_keras_builtins_compare_with_ours_from_the_same_weights():
    base = RunConfig(dataset="moons", epochs=2, seed=3)
    names = ["adam", "keras_adamw", "keras_lion", "keras_muon"]
    session = CompareSession(plans.plan(base, optimizers=names), engine="auto")
    rows = session.run()
    assert [row.optimizer for row in rows] == names
    assert [row.status for row in rows] == ["completed"] * 4
    results = [result for _, result in session.results]
    for other in results[1:]:  # one start for all
        for a, b in zip(results[0].initial_weights, other.initial_weights, strict=True):
            np.testing.assert_array_equal(a, b)
    assert all(np.isfinite(row.final_loss) for row in rows)


def test_a_schedule_free_run_is_evaluated_and_saved_at_its_averaged_weights():
    config = RunConfig(
        dataset="moons", optimizer="keras_schedulefreeadamw", epochs=3, batch_size="16", seed=1
    )
    result = TrainingSession(config).run()
    assert result.status == "completed"
    model = result.model
    optimizer = model.optimizer
    # the model left at x, the average: y (where it trained) is (1 - b1) z + b1 x
    x = [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]
    z = [
        keras.ops.convert_to_numpy(optimizer._momentums[optimizer._get_variable_index(v)])
        for v in model.trainable_variables
    ]
    beta = float(optimizer.beta_1)
    y = [(1 - beta) * zi + beta * xi for zi, xi in zip(z, x, strict=True)]
    assert max(float(np.abs(a - b).max()) for a, b in zip(x, y, strict=True)) > 1e-4
    # the last validation loss is the loss at x, not at y
    from trainers import build, models

    data = build.load_dataset(config.validate())
    y_val = models.prepare_labels(data.y_val, data.task, "binary_crossentropy", data.n_classes)
    at_x = model.evaluate(data.x_val, y_val, verbose=0, return_dict=True)["loss"]
    assert result.history["val_loss"][-1] == pytest.approx(at_x, rel=1e-5)
    for variable, value in zip(model.trainable_variables, y, strict=True):
        variable.assign(value)
    at_y = model.evaluate(data.x_val, y_val, verbose=0, return_dict=True)["loss"]
    assert at_y != pytest.approx(at_x, rel=1e-4)
    assert compat.schedule_free_average(optimizer, model.trainable_variables)[0] == pytest.approx(
        x[0], rel=1e-5, abs=1e-6
    )
