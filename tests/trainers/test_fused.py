"""Runs trained together in one compiled step (`trainers.fused`) are each the run trained
alone: the same step losses, epoch metrics, update sizes, effective rates and final weights,
for every optimizer and loss, with a schedule, a short last batch and several steps per call.
A member that diverges is frozen at its step and the others are not touched."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from trainers import build
from trainers.compare import CompareSession
from trainers.config import RunConfig
from trainers.control import JobControl
from trainers.events import EpochEnded, OptimizerSteps, RunKey, Steps
from trainers.fused import FusedGroup, Timing
from trainers.session import TrainingSession

OPTIMIZERS = [
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "adadelta",
    "rmsprop",
    "adam",
    "adamw",
    "adamax",
    "lion",
]
RTOL = 1e-5  # the tolerance in float32; in practice the two agree to the last bit


class Heard:
    """Per member: step losses, update sizes, effective rates and epoch logs, as reported."""

    def __init__(self):
        self.steps: dict = {}
        self.sizes: dict = {}
        self.rates: dict = {}
        self.epochs: dict = {}

    def __call__(self, event):
        member = event.key.member
        match event:
            case Steps(losses=losses):
                self.steps.setdefault(member, []).extend(losses.tolist())
            case OptimizerSteps(update_sizes=sizes, rate_steps=at, rates=rates):
                self.sizes.setdefault(member, []).extend(sizes.tolist())
                self.rates.setdefault(member, []).extend(
                    zip(at.tolist(), rates.tolist(), strict=True)
                )
            case EpochEnded(epoch=epoch, logs=logs):
                self.epochs.setdefault(member, []).append((epoch, dict(logs)))


def train_together(configs: list[RunConfig], inspect: bool = True, stacks=None):
    """Train `configs` as one fused group; `stacks`: the stack sizes the group must make."""
    configs = [c.validate() for c in configs]
    data = build.load_dataset(configs[0])
    losses = [build.check_run(c, data) for c in configs]
    heard = Heard()
    members = [(RunKey(1, i), f"run {i}", c) for i, c in enumerate(configs)]
    group = FusedGroup(
        members, data, losses, heard, JobControl(), key=RunKey(1), inspect_optimizer=inspect
    )
    results = group.run()
    if stacks is not None:
        assert group.stack_sizes == stacks
    return results, heard


def train_alone(config: RunConfig, inspect: bool = True):
    heard = Heard()
    result = TrainingSession(config, heard, key=RunKey(2, 0), inspect_optimizer=inspect).run()
    return result, heard


def assert_same(together, heard_together, index, alone, heard_alone):
    assert together.status == alone.status, (together.message, alone.message)
    np.testing.assert_allclose(together.step_losses, alone.step_losses, rtol=RTOL)
    np.testing.assert_array_equal(together.step_numbers, alone.step_numbers)
    assert together.history.keys() == alone.history.keys()
    for name, values in alone.history.items():
        np.testing.assert_allclose(together.history[name], values, rtol=RTOL, err_msg=name)
    for a, b in zip(together.model.get_weights(), alone.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-7)
    assert together.info.initial_logs == pytest.approx(alone.info.initial_logs, rel=RTOL)
    # What the views are told, not only what the result keeps.
    only = heard_alone.steps[0]
    np.testing.assert_allclose(heard_together.steps[index], only, rtol=RTOL)
    if heard_alone.sizes:
        np.testing.assert_allclose(heard_together.sizes[index], heard_alone.sizes[0], rtol=RTOL)
        # Rates are read once per chunk: at the same steps, with the same values.
        at_together, rates_together = zip(*heard_together.rates[index], strict=True)
        at_alone, rates_alone = zip(*heard_alone.rates[0], strict=True)
        assert at_together == at_alone
        np.testing.assert_allclose(rates_together, rates_alone, rtol=RTOL)
    assert [e for e, _ in heard_together.epochs[index]] == [e for e, _ in heard_alone.epochs[0]]


def test_every_optimizer_trained_together_equals_each_trained_alone():
    # 320 training rows in batches of 48: six full batches and a short one of 32; 4 steps per
    # call, so each epoch's last call is short too. One member follows a cosine schedule and
    # one has raw scores (from_logits) and so an output layer of its own.
    base = RunConfig(dataset="moons", epochs=3, batch_size=48, steps_per_execution=4, data_seed=0)
    configs = [
        dataclasses.replace(base, optimizer=name, seed=i) for i, name in enumerate(OPTIMIZERS)
    ]
    configs[0] = dataclasses.replace(configs[0], schedule="cosine")
    configs.append(
        dataclasses.replace(
            base,
            optimizer="adam",
            seed=9,
            loss="binary_crossentropy",
            loss_options={"from_logits": True},
        )
    )
    together, heard = train_together(configs)
    for index, config in enumerate(configs):
        alone, heard_alone = train_alone(config.validate())
        assert_same(together[index], heard, index, alone, heard_alone)


# One setting changed from the default for each numeric hyperparameter: stacked members get
# them as one value per member.
OTHER_SETTINGS = {
    "sgd": {"learning_rate": 0.05},
    "momentum": {"learning_rate": 0.03, "momentum": 0.8},
    "nesterov": {"learning_rate": 0.02, "momentum": 0.7},
    "adagrad": {"learning_rate": 0.05, "initial_accumulator_value": 0.1, "epsilon": 1e-4},
    "adadelta": {"learning_rate": 0.5, "rho": 0.9, "epsilon": 1e-5},
    "rmsprop": {"learning_rate": 0.003, "rho": 0.8, "epsilon": 1e-5},
    "adam": {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5},
    "adamw": {
        "learning_rate": 0.01,
        "beta_1": 0.8,
        "beta_2": 0.99,
        "epsilon": 1e-5,
        "weight_decay_rate": 0.2,
    },
    "adamax": {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5},
    "lion": {"learning_rate": 0.003, "beta_1": 0.8, "beta_2": 0.95, "weight_decay_rate": 0.5},
}


def test_members_with_one_network_are_stacked_and_each_equals_itself_alone():
    # Per optimizer, two members of the same network: seeds, learning rates and every other
    # numeric hyperparameter differ, one follows a cosine schedule. All 23 train as one stacked
    # network (weights of shape (23, ...) for the forward and backward passes), each rule
    # updating its own members' slice, each member as if alone: a short last batch, 4 steps
    # per call, update sizes and effective rates read as the views read them.
    base = RunConfig(dataset="moons", epochs=2, batch_size=48, steps_per_execution=4, data_seed=0)
    configs = []
    for i, name in enumerate(OPTIMIZERS):
        configs.append(dataclasses.replace(base, optimizer=name, seed=i, schedule="cosine"))
        configs.append(
            dataclasses.replace(
                base, optimizer=name, seed=10 + i, hyperparameters=OTHER_SETTINGS[name]
            )
        )
    # Heavy-ball momentum and AMSGrad are other rules (their own slice, their own optimizer).
    configs.append(
        dataclasses.replace(base, optimizer="momentum", seed=30, hyperparameters={"ewma": False})
    )
    for seed, name in ((31, "adam"), (32, "adamw")):
        configs.append(
            dataclasses.replace(
                base, optimizer=name, seed=seed, hyperparameters={"amsgrad": True, "beta_2": 0.9}
            )
        )
    together, heard = train_together(configs, stacks=[23])
    for index, config in enumerate(configs):
        alone, heard_alone = train_alone(config.validate())
        assert_same(together[index], heard, index, alone, heard_alone)


def test_stacked_members_of_every_loss_equal_themselves_alone():
    # Two members per regression loss, and two per cross-entropy (one pair with raw scores):
    # each pair is one stack, computing its loss and metric per member.
    sine = RunConfig(dataset="sine", epochs=1, batch_size=25, steps_per_execution=3, data_seed=0)
    iris = RunConfig(dataset="iris", epochs=2, batch_size=16, steps_per_execution=2, data_seed=0)
    jobs = [
        [
            dataclasses.replace(sine, loss=loss, optimizer="adam", seed=seed)
            for loss in ("mse", "mae", "rmse", "smooth_l1", "huber")
            for seed in (1, 2)
        ],
        [
            dataclasses.replace(iris, loss=loss, optimizer="rmsprop", seed=seed, loss_options=opts)
            for loss, opts in (
                ("categorical_crossentropy", {}),
                ("sparse_categorical_crossentropy", {}),
                ("sparse_categorical_crossentropy", {"from_logits": True}),
            )
            for seed in (1, 2)
        ],
    ]
    for configs in jobs:
        if configs[0].loss == "categorical_crossentropy":
            # The one-hot labels make a group of their own (`group_key`).
            groups = [configs[:2], configs[2:]]
        else:
            groups = [configs]
        for group in groups:
            together, heard = train_together(group, inspect=False, stacks=[2] * (len(group) // 2))
            for index, config in enumerate(group):
                alone, heard_alone = train_alone(config.validate(), inspect=False)
                assert_same(together[index], heard, index, alone, heard_alone)


def test_every_regression_loss_together_equals_alone():
    # The five losses in one group (their labels are the same), each member alone as well.
    base = RunConfig(dataset="sine", epochs=2, batch_size=25, steps_per_execution=3, data_seed=0)
    losses = ["mse", "mae", "rmse", "smooth_l1", "huber"]
    configs = [
        dataclasses.replace(base, loss=loss, optimizer=("sgd", "adam")[i % 2], seed=i)
        for i, loss in enumerate(losses)
    ]
    together, heard = train_together(configs, inspect=False)
    for index, config in enumerate(configs):
        alone, heard_alone = train_alone(config.validate(), inspect=False)
        assert_same(together[index], heard, index, alone, heard_alone)


def test_categorical_and_sparse_cross_entropy_train_in_their_own_groups_each_exactly():
    base = RunConfig(dataset="iris", epochs=2, batch_size=16, steps_per_execution=2)
    runs = [
        (f"{loss} {opt}", dataclasses.replace(base, loss=loss, optimizer=opt))
        for loss in ("categorical_crossentropy", "sparse_categorical_crossentropy")
        for opt in ("sgd", "rmsprop")
    ]
    session = CompareSession(runs, engine="fused")
    session.run()
    assert session.engine_used == "fused" and "groups of 2, 2" in session.engine_note
    for (_label, together), (_, config) in zip(session.results, runs, strict=True):
        alone = TrainingSession(config).run()
        np.testing.assert_allclose(together.step_losses, alone.step_losses, rtol=RTOL)
        np.testing.assert_allclose(together.history["val_loss"], alone.history["val_loss"])


def test_a_member_that_diverges_is_frozen_at_its_step_and_the_others_go_on_untouched():
    base = RunConfig(
        dataset="diabetes", optimizer="sgd", epochs=3, batch_size=32, steps_per_execution=4
    )
    wild = dataclasses.replace(base, hyperparameters={"learning_rate": 1e4})
    calm = dataclasses.replace(base, optimizer="adam")
    # The three share one stacked network, the SGD members one optimizer: the wild one's NaNs
    # must stay its own.
    together, heard = train_together([calm, wild, base], inspect=False, stacks=[3])
    diverged = together[1]
    assert diverged.status == "diverged" and "diverged" in diverged.message
    # Frozen at the first non-finite loss: no step recorded after it, and its weights are the
    # ones that step left (they no longer change).
    assert np.isfinite(diverged.step_losses[:-1]).all()
    assert not np.isfinite(diverged.step_losses[-1])
    assert len(diverged.step_losses) < together[0].info.total_steps
    for index in (0, 2):
        alone, heard_alone = train_alone([calm, wild, base][index].validate(), inspect=False)
        assert together[index].status == "completed"
        assert_same(together[index], heard, index, alone, heard_alone)


def test_compare_trains_in_fused_groups_by_default_and_sequentially_when_asked():
    base = RunConfig(dataset="moons", epochs=1, batch_size=32)
    runs = [("SGD", dataclasses.replace(base, optimizer="sgd")), ("Adam", base)]
    fused = CompareSession(runs)
    fused.run()
    assert fused.engine_used == "fused" and fused.engine_note.startswith("fused: 2 runs")
    one_by_one = CompareSession(runs, engine="sequential")
    one_by_one.run()
    assert one_by_one.engine_used == "sequential" and "--sequential" in one_by_one.engine_note
    for (_, a), (_, b) in zip(fused.results, one_by_one.results, strict=True):
        np.testing.assert_allclose(a.step_losses, b.step_losses, rtol=RTOL)
    # Runs with different batch sizes cannot share a step: each trains on its own.
    apart = CompareSession([runs[0], ("Adam 64", dataclasses.replace(base, batch_size=64))])
    apart.run()
    assert apart.engine_used == "sequential" and "share" in apart.engine_note


# ----------------------------------------------------------------------- the "auto" engine
def test_auto_weighs_the_group_against_each_run_set_up_and_trained_alone():
    # 8 members of 100 steps: together 0.8 ms a step; alone 0.05 ms a step, traced in 0.5 s.
    cheap_alone = Timing(together_step=8e-4, alone_step=5e-5, alone_setup=0.5, members=8, steps=100)
    assert cheap_alone.together == pytest.approx(0.08)
    assert cheap_alone.apart == pytest.approx(8 * (0.5 + 0.005))
    assert not cheap_alone.slower  # each run's own tracing costs more than the group's steps
    # A long job where the group's step costs more than eight steps alone: one after another.
    long_job = dataclasses.replace(cheap_alone, alone_setup=0.01, steps=100_000)
    assert long_job.slower
    assert "80 s together and 40 s one after another" in long_job.describe()


def test_auto_records_what_it_measured_and_trains_one_after_another_where_that_is_faster(
    monkeypatch,
):
    base = RunConfig(dataset="moons", epochs=1, batch_size=32)
    runs = [("SGD", dataclasses.replace(base, optimizer="sgd")), ("Adam", base)]
    auto = CompareSession(runs)
    auto.run()
    assert auto.engine_used == "fused" and "measured on the first chunk" in auto.engine_note
    fused_losses = [result.step_losses for _, result in auto.results]

    # Where the group measures slower, the job trains its members one after another instead,
    # with the same numbers, and its record says so and why.
    monkeypatch.setattr(Timing, "slower", property(lambda timing: True))
    heard = Heard()
    fallback = CompareSession(runs, heard, key=RunKey(2))
    fallback.run()
    assert fallback.engine_used == "sequential"
    assert fallback.engine_note.startswith("sequential: one run after another, faster here")
    assert "measured on the first chunk" in fallback.engine_note
    for member, ((_, result), losses) in enumerate(
        zip(fallback.results, fused_losses, strict=True)
    ):
        assert result.status == "completed"
        np.testing.assert_allclose(result.step_losses, losses, rtol=RTOL)
        # What the views heard is each run trained once: the timing reported no steps.
        np.testing.assert_allclose(heard.steps[member], losses, rtol=RTOL)
