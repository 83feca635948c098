"""Extension points: an optimizer, a loss and a dataset registered at run time are offered
everywhere the catalog is read (the window's lists and forms, the CLI's help and `list`, the
Compare tab), train for real, and pass the same conformance checks as our own.

This is what adding one to Descent takes: for an optimizer, its class and its catalog entry (here
registered at run time; a built-in one is an entry in `trainers/catalog.py` naming its module),
one test record, and an explanation page of prose (without one, a page is made from the entry).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from keras import ops

import trainers.keras_objects  # noqa: F401  (Keras and our classes, as the window loads them)
from tests.trainers.optimizers import conformance
from tests.trainers.optimizers.records import RECORDS, OptimizerRecord
from trainers import catalog, losses, optimizers
from trainers.catalog import DatasetInfo, LossInfo, OptimizerInfo, Param
from trainers.config import RunConfig
from trainers.datasets.base import RawData
from trainers.losses.base import CatalogLoss
from trainers.optimizers.base import DescentOptimizer, defaults

SIGN_SGD = OptimizerInfo(
    "sign_sgd",
    "Sign SGD",
    "w <- w - eta * sign(g)",
    "Steps by the sign of the gradient alone: every weight moves eta, whatever its slope.",
    (Param("learning_rate", 0.01, "eta", low=0.0, low_open=True, log_scale=True),),
)


class SignSGD(DescentOptimizer):
    """Sign SGD: `w = w - learning_rate * sign(g)` (Bernstein et al. 2018, signSGD).

    ```python
    w = w - learning_rate * sign(g)
    ```

    Args:
        learning_rate: A float > 0. Defaults to `0.01`.
    """

    catalog_name = "sign_sgd"

    def __init__(self, learning_rate=SIGN_SGD.params[0].default, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        self.assign_sub(variable, ops.multiply(lr, ops.sign(ops.cast(gradient, variable.dtype))))

    def effective_learning_rate(self):
        return ops.cast(self.learning_rate, "float32")


def sign_sgd_rule(w0, grads, learning_rate):
    """The NumPy reference of the rule: written from the equation, not from the class."""
    w, path = np.array(w0, dtype=np.float64), []
    for g in grads:
        w = w - learning_rate * np.sign(np.asarray(g, dtype=np.float64))
        path.append(w)
    return path


QUARTIC = LossInfo(
    "quartic",
    "Mean quartic error",
    "mean(e^4)",
    "Punishes large errors even more than MSE.",
    ("regression",),
)


class Quartic(CatalogLoss):
    """Mean quartic error: `mean(e^4)` per sample."""

    catalog_name = "quartic"

    def call(self, y_true, y_pred):
        return ops.mean(ops.power(y_true - y_pred, 4), axis=-1)


def ring_loader(info, options, seed):
    """Points on a ring (class 1) and in its middle (class 0), `samples` of them."""
    rng = np.random.default_rng(seed)
    n = options["samples"]
    y = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 1, 2.0, 0.5) + rng.normal(0, options["noise"], n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return RawData(x, y.astype(np.int64), "binary", ("inner", "ring"), ("x1", "x2"))


RING = DatasetInfo(
    "ring_test",
    "Ring (test)",
    "generated",
    "binary",
    "A ring around a small disc, registered by a test",
    (
        Param("samples", 200, "points", kind="int", low=4, high=10_000),
        Param("noise", 0.1, "noise", low=0.0, high=10.0),
    ),
    loader=ring_loader,
)


@pytest.fixture
def registered():
    """The three throwaway entries in the catalog (and the optimizer's test record), for one
    test; gone again afterwards."""
    entries = (
        dataclasses.replace(SIGN_SGD, implementation=SignSGD),
        dataclasses.replace(QUARTIC, implementation=Quartic),
        RING,
    )
    for entry in entries:
        catalog.register(entry)
    RECORDS["sign_sgd"] = OptimizerRecord(
        sign_sgd_rule,
        cases={"sign_sgd": {"learning_rate": 0.05}},
        non_default={"learning_rate": 0.2},
        fit={"learning_rate": 0.05},
    )
    yield entries
    RECORDS.pop("sign_sgd")
    for entry in entries:
        catalog.unregister(entry)


def test_registering_refuses_a_taken_name_and_unregistering_takes_it_away(registered):
    with pytest.raises(ValueError, match="already has optimizer 'sign_sgd'"):
        catalog.register(registered[0])
    catalog.unregister(registered[2])
    assert "ring_test" not in {d.name for d in catalog.DATASETS}
    catalog.register(registered[2])


def test_the_window_and_the_compare_tab_offer_them(qtbot, registered, tmp_path):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDoubleSpinBox

    from gui.compare.choices import CompareChoices
    from gui.training import SidePanel

    panel = SidePanel(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(panel)
    assert panel.optimizer_combo.findData("sign_sgd") >= 0
    assert panel.select_by_data(panel.optimizer_combo, "sign_sgd")
    assert set(panel.optimizer_form.values()) == {"learning_rate"}
    rate = panel.optimizer_form.findChild(QDoubleSpinBox, "learningRateSpin")
    assert rate.value() == pytest.approx(0.01)
    assert panel.equation_label.text() == SIGN_SGD.equation
    assert panel.select_dataset("ring_test")
    assert panel.task == "binary" and set(panel.dataset_form.values()) == {"samples", "noise"}
    assert panel.select_dataset("sine")  # a regression set: the new loss is offered for it
    assert panel.loss_combo.findData("quartic") >= 0
    config = panel.build_config()
    assert config.optimizer == "sign_sgd" and config.dataset == "sine"

    choices = CompareChoices()
    qtbot.addWidget(choices)
    offered = [choices.optimizer_list.item(i).text() for i in range(choices.optimizer_list.count())]
    assert "Sign SGD" in offered
    choices.show_losses("regression")
    names = [choices.loss_list.item(i).text() for i in range(choices.loss_list.count())]
    assert "Mean quartic error" in names
    choices.set_optimizers(["sign_sgd", "adam"])
    runs = choices.planned_runs(RunConfig(dataset="sine"))
    assert [label for label, _ in runs] == ["Adam lr=0.001", "Sign SGD lr=0.01"]  # list order

    import assets

    page = assets.explanation("sign_sgd")  # no prose page: one made from the entry
    assert "Sign SGD" in page and SIGN_SGD.equation in page


def test_the_command_line_lists_and_helps_with_them(registered, capsys):
    from trainers.cli import main
    from trainers.cli.parser import build_parser

    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    for text in ("sign_sgd", "Sign SGD", "quartic", "ring_test"):
        assert text in listed
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    assert "sign_sgd" in train.format_help()


def test_they_train_for_real(registered):
    from trainers.session import TrainingSession

    result = TrainingSession(
        RunConfig(dataset="ring_test", optimizer="sign_sgd", epochs=3, hidden_layers=(8,))
    ).run()
    assert result.status == "completed"
    assert result.history["loss"][-1] < result.info.initial_logs["loss"]
    result = TrainingSession(RunConfig(dataset="sine", loss="quartic", epochs=2)).run()
    assert result.status == "completed" and result.info.loss == "quartic"


def test_the_new_optimizer_passes_the_conformance_checks(registered):
    assert optimizers.CLASSES["sign_sgd"] is SignSGD
    assert defaults("sign_sgd") == {"learning_rate": 0.01}
    conformance.check_defaults_from_catalog("sign_sgd")
    conformance.check_config_round_trip("sign_sgd")
    for jit in (False, True):
        conformance.check_matches_rule("sign_sgd", "sign_sgd", {"learning_rate": 0.05}, jit)
        conformance.check_fit_lowers_the_loss("sign_sgd", jit)
    cases = conformance.invalid_cases("sign_sgd")
    assert ("learning_rate", 0.0) in cases
    for argument, value in cases:
        conformance.check_invalid_refused("sign_sgd", argument, value)
    conformance.check_effective_rate("sign_sgd")
    conformance.check_quick_plugin_checks("sign_sgd")


def test_the_new_loss_and_dataset_load_through_the_registries(registered):
    from trainers import datasets

    loss = losses.get("quartic")
    assert isinstance(loss, Quartic) and losses.CLASSES["quartic"] is Quartic
    value = float(loss(np.array([[1.0], [0.0]]), np.array([[0.0], [2.0]])))
    assert value == pytest.approx((1.0 + 16.0) / 2)
    assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()
    data = datasets.get("ring_test", samples=100, seed=3)
    assert data.task == "binary" and len(data.x_train) + len(data.x_val) == 100
    with pytest.raises(Exception, match="samples"):
        datasets.get("ring_test", samples=2)
