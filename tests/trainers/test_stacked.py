"""The stacked optimizers of `trainers.stacked`: one optimizer over variables with a leading
member axis updates each member's slice as that member's own optimizer would, with its own
hyperparameters, schedule and update size, and leaves a frozen member's slice alone."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.test_fused import assert_same, train_alone, train_together
from trainers import build, catalog, optimizers
from trainers.config import RunConfig
from trainers.session import build_member
from trainers.stacked import MemberRates, StackedMembers, stack_key, stacks

# Three members: defaults, and two sets of other values. The shapes include axes as long as
# the number of members (3), where Keras's `ops.add` once took a per-member value for a bias.
SHAPES = [(3, 5), (5,), (5, 3), (3,), (1,)]
SETTINGS = {
    "sgd": [{}, {"learning_rate": 0.05}, {"learning_rate": 0.2}],
    "momentum": [{}, {"learning_rate": 0.03, "momentum": 0.8}, {"momentum": 0.5}],
    "nesterov": [{}, {"learning_rate": 0.02, "momentum": 0.7}, {"momentum": 0.3}],
    "adagrad": [
        {},
        {"learning_rate": 0.05, "initial_accumulator_value": 0.1, "epsilon": 1e-4},
        {"epsilon": 1e-3},
    ],
    "adadelta": [{}, {"learning_rate": 0.5, "rho": 0.9, "epsilon": 1e-5}, {"rho": 0.5}],
    "rmsprop": [{}, {"learning_rate": 0.003, "rho": 0.8, "epsilon": 1e-5}, {"epsilon": 1e-3}],
    "adam": [
        {},
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5},
        {"beta_1": 0.5, "epsilon": 1e-3},
    ],
    "adamw": [
        {},
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "weight_decay_rate": 0.3},
        {"beta_1": 0.5, "epsilon": 1e-3, "weight_decay_rate": 0.0},
    ],
    "adamax": [
        {},
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-5},
        {"beta_1": 0.5, "epsilon": 1e-3},
    ],
    "lion": [
        {},
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9, "weight_decay_rate": 0.5},
        {"beta_1": 0.5, "weight_decay_rate": 0.1},
    ],
}
# A switch such as AMSGrad is one rule for all its members: `rule_key`.
AMSGRAD = {"amsgrad": True, "beta_2": 0.9}
SETTINGS["adam-amsgrad"] = [{**member, **AMSGRAD} for member in SETTINGS["adam"]]
SETTINGS["adamw-amsgrad"] = [{**member, **AMSGRAD} for member in SETTINGS["adamw"]]
OPTIMIZERS = list(SETTINGS)


def _catalog_name(case: str) -> str:
    return case.split("-")[0]


def stacked_optimizer(name, own, weights, alive):
    """An optimizer of `name`'s class over `weights` (stacked), as `StackedMembers` makes it."""
    first = own[0]
    params = [p for p in catalog.optimizer_info(name).params if p.name != "learning_rate"]
    numeric = [p.name for p in params if p.kind in ("float", "int")]
    switches = {p.name: getattr(first, p.name) for p in params if p.name not in numeric}
    rates = [o._learning_rate for o in own]
    rates = [r if callable(r) else np.float32(np.asarray(r)) for r in rates]
    made = type(first)(learning_rate=MemberRates(rates), **switches)
    made.build(weights)
    made.stack(len(own), {n: [getattr(o, n) for o in own] for n in numeric}, alive)
    for attribute in first.state:
        for position, variable in enumerate(getattr(made, attribute)):
            variable.assign(np.stack([np.asarray(getattr(o, attribute)[position]) for o in own]))
    return made


@pytest.mark.parametrize("case", OPTIMIZERS)
def test_a_stacked_optimizer_updates_each_member_as_its_own_would(case):
    name = _catalog_name(case)
    rng = np.random.default_rng(3)
    own, own_weights, own_sinks = [], [], []
    for i, settings in enumerate(SETTINGS[case]):
        settings = dict(settings)
        if i == 2:  # one member follows a schedule
            rate = settings.get("learning_rate", optimizers.get(name).learning_rate)
            settings["learning_rate"] = keras.optimizers.schedules.CosineDecay(
                float(np.asarray(rate)), decay_steps=5
            )
        optimizer = optimizers.get(name, **settings)
        weights = [keras.Variable(rng.normal(size=s).astype("float32")) for s in SHAPES]
        optimizer.build(weights)
        sink = keras.Variable(0.0)
        optimizer.record_update_sizes(sink)
        own.append(optimizer)
        own_weights.append(weights)
        own_sinks.append(sink)
    stacked = [keras.Variable(np.stack([np.asarray(w[j]) for w in own_weights])) for j in range(5)]
    alive = tf.Variable(np.ones(3, dtype=bool))
    made = stacked_optimizer(name, own, stacked, alive)
    sink = keras.Variable(np.zeros(3, dtype="float32"))
    made.record_update_sizes(sink)
    for step in range(4):
        gradients = [rng.normal(size=(3, *s)).astype("float32") for s in SHAPES]
        if step == 2:
            alive.assign([True, False, True])  # member 1 frozen from its third step on
        made.apply([tf.constant(g) for g in gradients], stacked)
        for k in range(3):
            if step < 2 or k != 1:
                own[k].apply([tf.constant(g[k]) for g in gradients], own_weights[k])
                np.testing.assert_allclose(np.asarray(sink)[k], np.asarray(own_sinks[k]), rtol=1e-5)
        for k in range(3):
            for j in range(len(SHAPES)):
                np.testing.assert_allclose(
                    np.asarray(stacked[j])[k],
                    np.asarray(own_weights[k][j]),
                    rtol=1e-6,
                    atol=1e-7,
                    err_msg=f"{name}: member {k}, variable {j}, step {step}",
                )
            for attribute in own[k].state:
                for j, variable in enumerate(getattr(made, attribute)):
                    np.testing.assert_allclose(
                        np.asarray(variable)[k],
                        np.asarray(getattr(own[k], attribute)[j]),
                        rtol=1e-6,
                        atol=1e-7,
                        err_msg=f"{name}: {attribute} of member {k}, variable {j}",
                    )


def members(configs):
    configs = [c.validate() for c in configs]
    data = build.load_dataset(configs[0])
    built = []
    for config in configs:
        run = build_member(config, data, build.check_run(config, data))
        run.model.optimizer.build(run.model.trainable_variables)
        built.append(run)
    return built


def test_members_stack_when_they_share_network_and_loss_each_rule_its_own_slice():
    base = RunConfig(dataset="moons", epochs=1, optimizer="momentum")
    configs = [
        base,
        dataclasses.replace(base, optimizer="nesterov"),  # another rule
        dataclasses.replace(base, seed=4, hyperparameters={"learning_rate": 0.3}),  # same rule
        dataclasses.replace(base, hyperparameters={"ewma": False}),  # another rule
        dataclasses.replace(base, hidden_layers=(8,)),  # another network
        dataclasses.replace(base, activation="tanh"),  # another network
        dataclasses.replace(
            base, loss="binary_crossentropy", loss_options={"from_logits": True}
        ),  # another output layer
        dataclasses.replace(base, schedule="cosine", hyperparameters={"momentum": 0.5}),  # same
    ]
    built = members(configs)
    assert stacks(built) == [[0, 1, 2, 3, 7]]
    stack = StackedMembers([0, 1, 2, 3, 7], [built[p] for p in (0, 1, 2, 3, 7)])
    # Members of one rule side by side in the stack, each rule with its own optimizer.
    assert stack.indices == [0, 2, 7, 1, 3]
    assert [(rule.start, rule.stop) for rule in stack.rules] == [(0, 3), (3, 4), (4, 5)]
    assert [type(rule.optimizer).__name__ for rule in stack.rules] == [
        "Momentum",
        "Nesterov",
        "Momentum",
    ]
    assert [rule.optimizer.ewma for rule in stack.rules] == [True, True, False]


def test_amsgrad_is_a_rule_of_its_own_with_its_own_state():
    base = RunConfig(dataset="moons", epochs=1, optimizer="adam")
    amsgrad = {"amsgrad": True}
    configs = [
        base,
        dataclasses.replace(base, hyperparameters=amsgrad),  # another rule
        dataclasses.replace(base, optimizer="adamw"),  # another class
        dataclasses.replace(base, seed=3, hyperparameters={**amsgrad, "beta_2": 0.9}),  # same
    ]
    built = members(configs)
    assert stacks(built) == [[0, 1, 2, 3]]
    stack = StackedMembers([0, 1, 2, 3], built)
    assert stack.indices == [0, 1, 3, 2]
    assert [(type(r.optimizer).__name__, r.optimizer.amsgrad) for r in stack.rules] == [
        ("Adam", False),
        ("Adam", True),
        ("AdamW", False),
    ]
    assert "_max_velocities" in stack.rules[1].optimizer.state
    assert "_max_velocities" not in stack.rules[0].optimizer.state


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """A folder of two classes of 8x8 RGB pictures: bright and dark."""
    root = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for label, level in (("bright", 200), ("dark", 40)):
        (root / label).mkdir()
        for i in range(8):
            pixels = np.clip(rng.normal(level, 20, (8, 8, 3)), 0, 255).astype(np.uint8)
            (root / label / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    return root


def test_cnns_train_side_by_side_and_mlps_on_images_are_stacked_each_as_if_alone(pictures):
    base = RunConfig(
        dataset=str(pictures),
        dataset_options={"image_size": 8},
        hidden_layers=(8,),
        epochs=2,
        batch_size=4,
        steps_per_execution=2,
        data_seed=0,
        optimizer="adam",
    )
    cnn = dataclasses.replace(base, architecture="cnn")
    mlp = dataclasses.replace(base, architecture="mlp")
    configs = [cnn, dataclasses.replace(cnn, seed=1), mlp, dataclasses.replace(mlp, seed=1)]
    assert [stack_key(run) is None for run in members(configs)] == [True, True, False, False]
    together, heard = train_together(configs, stacks=[2])  # the two MLPs (Flatten first)
    for index, config in enumerate(configs):
        alone, heard_alone = train_alone(config.validate())
        assert_same(together[index], heard, index, alone, heard_alone)
