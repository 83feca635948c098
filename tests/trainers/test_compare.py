"""Comparisons: shared initial weights and data order, plans and labels, the summary row,
stop from another thread, and a diverging run that does not end the others."""

import csv
import dataclasses
import math
import threading
import time

import numpy as np
import pytest

from tests.made import completed_run, run_info
from tests.trainers.listening import Heard, run_in_thread
from trainers.compare import CompareSession
from trainers.config import RunConfig
from trainers.errors import ConfigError, DatasetError
from trainers.events import (
    EpochEnded,
    Failed,
    Finished,
    JobFinished,
    RunKey,
    Started,
    Status,
    Steps,
)
from trainers.plans import gd_variants, plan
from trainers.summary import (
    SummaryRow,
    first_step_at_or_below,
    summarize,
    write_summary_csv,
)


class Recorder(Heard):
    """Keeps every event of a comparison, by member."""

    def __init__(self):
        super().__init__()
        self.steps: dict[int, list[float]] = {}

    def take(self, event):
        index = event.key.member
        match event:
            case Status(text=text):
                self.events.append(("status", text))
            case Started(info=info, label=label):
                self.events.append(("started", index, label, info))
            case Steps(losses=losses):
                self.steps.setdefault(index, []).extend(losses.tolist())
            case EpochEnded(epoch=epoch, logs=logs, seconds=seconds):
                self.events.append(("epoch", index, epoch, logs, seconds))
            case Finished(result=result) | Failed(result=result) if index is not None:
                self.events.append(("finished", index, result))
            case JobFinished(rows=rows):
                self.events.append(("all", list(rows)))


# ------------------------------------------------------------------------------------ planning
def test_plan_is_the_product_of_the_axes_with_readable_labels():
    base = RunConfig(
        dataset="moons", optimizer="adam", hyperparameters={"beta_1": 0.8}, seed=5, batch_size=16
    )
    runs = plan(base, optimizers=["sgd", "adam"], learning_rates=[0.1, 0.01])
    assert [label for label, _ in runs] == [
        "SGD lr=0.1",
        "SGD lr=0.01",
        "Adam lr=0.1",
        "Adam lr=0.01",
    ]
    configs = [config for _, config in runs]
    assert [c.optimizer for c in configs] == ["sgd", "sgd", "adam", "adam"]
    # Another optimizer starts from its defaults; the base's own keeps the base's settings.
    assert configs[0].hyperparameters == {"learning_rate": 0.1}
    assert configs[3].hyperparameters == {"beta_1": 0.8, "learning_rate": 0.01}
    assert {c.seed for c in configs} == {5} and {c.batch_size for c in configs} == {16}
    assert base.hyperparameters == {"beta_1": 0.8}  # the base is left as it was
    for config in configs:
        config.validate()


def test_plan_labels_name_the_loss_and_batch_axes_and_keep_the_base_rate():
    base = RunConfig(dataset="moons", optimizer="adam", hyperparameters={"learning_rate": 0.05})
    runs = plan(base, optimizers=["sgd"], batch_sizes=["full", 1, "32"])
    assert [label for label, _ in runs] == [
        "SGD lr=0.05 · batch full",
        "SGD lr=0.05 · batch 1",
        "SGD lr=0.05 · batch 32",
    ]
    assert [c.batch_size for _, c in runs] == ["full", 1, 32]
    # With no rate given and none set in the base, each optimizer uses its own default.
    runs = plan(RunConfig(), optimizers=["sgd", "adam"])
    assert [label for label, _ in runs] == ["SGD lr=0.01", "Adam lr=0.001"]
    assert all(c.hyperparameters == {} for _, c in runs)
    runs = plan(
        RunConfig(dataset="sine", loss="huber", loss_options={"delta": 2.0}),
        losses=["mse", "huber"],
    )
    assert [label for label, _ in runs] == ["Adam lr=0.001 · mse", "Adam lr=0.001 · huber"]
    assert [c.loss_options for _, c in runs] == [{}, {"delta": 2.0}]


def test_plan_drops_repeats_keeps_the_base_without_axes_and_refuses_bad_axes():
    runs = plan(RunConfig(optimizer="sgd"), optimizers=["sgd", "SGD", "adam"])
    assert [c.optimizer for _, c in runs] == ["sgd", "adam"]
    assert [label for label, _ in plan(RunConfig(optimizer="momentum"))] == ["Momentum lr=0.01"]
    with pytest.raises(ConfigError, match="No optimizers"):
        plan(RunConfig(), optimizers=[])
    with pytest.raises(ConfigError, match="'nadam'.*adam"):
        plan(RunConfig(), optimizers=["sgd", "nadam"])
    with pytest.raises(ConfigError, match="'fast'"):
        plan(RunConfig(), learning_rates=["fast"])


def test_gd_variants_are_batch_stochastic_and_minibatch_descent():
    base = RunConfig(dataset="moons", optimizer="sgd", epochs=1, seed=2)
    runs = gd_variants(base)
    assert [label for label, _ in runs] == [
        "Batch GD (full)",
        "Stochastic GD (1)",
        "Mini-batch GD (32)",
    ]
    with pytest.raises(ConfigError, match="minibatch=1"):
        gd_variants(base, minibatch=1)
    session = CompareSession(runs)
    rows = session.run()
    assert [row.status for row in rows] == ["completed"] * 3
    results = [result for _, result in session.results]
    n_train = results[0].info.n_train
    assert n_train == 320
    expected = [1, n_train, math.ceil(n_train / 32)]
    assert [r.info.steps_per_epoch for r in results] == expected
    assert [len(r.step_losses) for r in results] == expected
    for result in results[1:]:
        for a, b in zip(results[0].initial_weights, result.initial_weights, strict=True):
            np.testing.assert_array_equal(a, b)


# -------------------------------------------------------------------- shared start, live events
@pytest.mark.parametrize("engine", ["fused", "sequential"])
def test_runs_share_initial_weights_and_data_order_and_differ_by_optimizer(engine):
    base = RunConfig(dataset="iris", epochs=2, batch_size=16, seed=3)
    runs = plan(base, optimizers=["sgd", "momentum", "adam"], learning_rates=[0.05])
    runs.append(("SGD again", runs[0][1]))  # an identical config: must give identical losses
    listener = Recorder()
    session = CompareSession(runs, listener, key=RunKey(job=3), engine=engine)
    rows = session.run()
    assert session.engine_used == engine

    assert [row.label for row in rows] == [label for label, _ in runs]
    # Each run is a member of job 3; the job's own events have no member.
    assert listener.keys == {RunKey(3, None)} | {RunKey(3, i) for i in range(len(runs))}
    results = [result for _, result in session.results]
    first = results[0]
    for result in results[1:]:
        assert len(result.initial_weights) == len(first.initial_weights)
        for a, b in zip(first.initial_weights, result.initial_weights, strict=True):
            np.testing.assert_array_equal(a, b)
        # The first step's loss comes from the initial weights on the first batch: equal
        # for every optimizer only if the first batch is the same.
        assert result.step_losses[0] == first.step_losses[0]
    np.testing.assert_array_equal(results[3].step_losses, first.step_losses)
    assert not np.allclose(results[0].step_losses, results[2].step_losses)
    assert not np.allclose(results[1].step_losses, results[2].step_losses)

    # Events: each run's start, epochs and end under its index (one run after another, or
    # interleaved when they train together), then all the rows.
    kinds = listener.kinds()
    assert kinds[-1] == "all" and len(kinds) == 4 * 4 + 1
    for index in range(len(runs)):
        own = [e[0] for e in listener.events if e[0] != "status" and e[1:2] == (index,)]
        assert own == ["started", "epoch", "epoch", "finished"]
    if engine == "sequential":
        assert kinds == ["started", "epoch", "epoch", "finished"] * 4 + ["all"]
    for index, result in enumerate(results):
        epochs = [e for e in listener.events if e[0] == "epoch" and e[1] == index]
        assert [e[2] for e in epochs] == [1, 2]
        assert [e[4] for e in epochs] == result.epoch_times
        assert [e[3]["loss"] for e in epochs] == result.history["loss"]
        assert listener.steps[index] == result.step_losses.tolist()
    assert listener.events[-1][1] == rows


def test_losses_with_other_output_layers_share_the_hidden_layers():
    base = RunConfig(dataset="moons", epochs=1, seed=4)
    runs = plan(base, losses=["binary_crossentropy", "sparse_categorical_crossentropy"])
    session = CompareSession(runs)
    session.run()
    binary, sparse = (result.initial_weights for _, result in session.results)
    for a, b in zip(binary[:-2], sparse[:-2], strict=True):  # two hidden layers: kernel, bias
        np.testing.assert_array_equal(a, b)
    assert binary[-2].shape == (16, 1) and sparse[-2].shape == (16, 2)


# ------------------------------------------------------------------------------------- summary
def crafted_result(history, steps=None, losses=None, metric="accuracy"):
    config = RunConfig(dataset="moons", optimizer="sgd", hyperparameters={"learning_rate": 0.1})
    info = run_info(config, metric=metric)
    return completed_run(info, history, [] if losses is None else losses, steps)


def test_summary_row_against_the_history_by_hand():
    history = {
        "loss": [0.9, 0.4, 0.6],
        "val_loss": [1.0, 0.7, 0.5],
        "accuracy": [0.5, 0.8, 0.7],
        "val_accuracy": [0.4, 0.6, 0.75],
    }
    row = summarize("SGD", crafted_result(history), None)
    assert row == SummaryRow(
        label="SGD",
        optimizer="sgd",
        learning_rate=0.1,
        loss="binary_crossentropy",
        batch_size=32,
        status="completed",
        epochs_done=3,
        final_loss=0.6,
        best_loss=0.4,
        final_val_loss=0.5,
        best_val_loss=0.5,
        metric="accuracy",
        final_metric=0.7,
        final_val_metric=0.75,
        wall_time_s=2.0,
        step_to_target=None,
    )
    assert list(row.as_dict()) == [f.name for f in SummaryRow.__dataclass_fields__.values()]
    diverged = summarize("x", crafted_result({"loss": [0.9, float("nan")]}), 0.1)
    assert diverged.best_loss == 0.9 and math.isnan(diverged.final_loss)
    assert diverged.final_val_loss is None and diverged.final_metric is None


def reference_first_step(losses, target):
    """The moving average written out: avg_1 = l_1, avg_k = 0.9 avg_(k-1) + 0.1 l_k."""
    average = losses[0]
    for k, loss in enumerate(losses):
        if k:
            average = 0.9 * average + 0.1 * loss
        if average <= target:
            return k + 1
    return None


def test_step_to_target_uses_a_moving_average_not_a_lucky_step():
    # One lucky batch at step 4 (loss 0) must not count; the average falls below 0.5 later.
    losses = [1.0, 1.0, 1.0, 0.0, 1.0, 1.0] + [0.2] * 20
    result = crafted_result({"loss": [1.0]}, losses=losses)
    # Averages: 1, 1, 1, 0.9, 0.91, 0.919, then 0.2 + 0.719 * 0.9^k: 0.5095 at step 14,
    # 0.4786 at step 15.
    assert summarize("x", result, 0.5).step_to_target == reference_first_step(losses, 0.5) == 15
    assert first_step_at_or_below(np.arange(1, 27), np.array(losses), 0.5) == 15
    # Step numbers are reported as recorded, not as positions.
    assert first_step_at_or_below(np.array([11, 12]), np.array([0.3, 0.3]), 0.5) == 11
    assert first_step_at_or_below(np.arange(1, 4), np.array([1.0, 0.9, 0.8]), 0.5) is None
    assert first_step_at_or_below(np.arange(1, 4), np.array([1.0, np.nan, 0.0]), 0.5) is None
    assert summarize("x", result, None).step_to_target is None


def test_summary_csv_has_one_row_per_run_and_every_field(tmp_path):
    rows = [
        summarize("SGD", crafted_result({"loss": [0.9, 0.4]}, losses=[0.2, 0.2]), 0.5),
        summarize("x", crafted_result({"loss": [float("nan")]}), 0.5),
    ]
    path = tmp_path / "summary.csv"
    write_summary_csv(rows, path)
    with open(path, newline="") as f:
        read = list(csv.DictReader(f))
    assert list(read[0]) == list(rows[0].as_dict())
    assert read[0]["label"] == "SGD" and float(read[0]["final_loss"]) == 0.4
    assert read[0]["step_to_target"] == "1" and read[0]["final_val_loss"] == ""
    assert read[1]["final_loss"] == "nan" and read[1]["step_to_target"] == ""


# --------------------------------------------------------------- control, divergence, bad input
def test_stop_from_another_thread_ends_the_comparison_and_skips_the_rest():
    config = RunConfig(dataset="digits", epochs=500, batch_size=16, steps_per_execution=1)
    runs = [("first", config), ("second", config), ("third", config)]
    listener = Recorder()
    session = CompareSession(runs, listener, engine="sequential")
    thread, box = run_in_thread(session, "rows")
    assert listener.first_steps.wait(60)
    session.control.stop()
    thread.join(60)
    assert not thread.is_alive()
    rows = box["rows"]
    assert [row.status for row in rows] == ["stopped", "skipped", "skipped"]
    assert [label for label, _ in session.results] == ["first"]
    result = session.results[0][1]
    assert 0 < len(result.step_losses) < result.info.total_steps
    assert listener.kinds() == ["started"] + ["epoch"] * result.epochs_done + ["finished", "all"]
    assert rows[1].final_loss is None and rows[1].epochs_done == 0


def test_stop_ends_every_run_of_a_fused_group_at_the_same_step():
    config = RunConfig(dataset="digits", epochs=500, batch_size=16, steps_per_execution=1)
    runs = [("first", config), ("second", dataclasses.replace(config, optimizer="sgd"))]
    listener = Recorder()
    session = CompareSession(runs, listener, engine="fused")
    thread, box = run_in_thread(session, "rows")
    assert listener.first_steps.wait(120)
    session.control.stop()
    thread.join(60)
    assert not thread.is_alive() and session.engine_used == "fused"
    assert [row.status for row in box["rows"]] == ["stopped", "stopped"]
    first, second = (result for _, result in session.results)
    assert 0 < len(first.step_losses) == len(second.step_losses) < first.info.total_steps


def test_pause_holds_a_fused_group_until_resume():
    config = RunConfig(
        dataset="moons", epochs=2000, batch_size=8, steps_per_execution=1, data_seed=0
    )
    runs = [("a", config), ("b", dataclasses.replace(config, seed=1))]  # the same data
    listener = Recorder()
    session = CompareSession(runs, listener, engine="fused")
    thread, box = run_in_thread(session, "rows")
    assert listener.first_steps.wait(120)
    session.control.pause()
    assert listener.paused.wait(30)

    def counts():
        return {index: len(steps) for index, steps in listener.steps.items()}

    held = counts()
    thread.join(0.5)  # half a second paused: not one step more for either run
    assert counts() == held and thread.is_alive()
    session.control.resume()
    deadline = time.monotonic() + 60
    while counts()[0] == held[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counts()[0] > held[0]  # going again
    session.control.stop()
    thread.join(60)
    assert [row.status for row in box["rows"]] == ["stopped", "stopped"]
    assert session.engine_used == "fused"


def test_pause_before_a_run_holds_it_until_resume():
    listener = Recorder()
    session = CompareSession([("only", RunConfig(dataset="moons", epochs=1))], listener)
    session.control.pause()
    thread = threading.Thread(target=session.run)
    thread.start()
    assert listener.paused.wait(60)
    assert "started" not in listener.kinds()
    session.control.resume()
    thread.join(120)
    assert not thread.is_alive()
    assert session.rows[0].status == "completed"


def test_a_diverging_run_does_not_stop_the_others():
    base = RunConfig(dataset="diabetes", optimizer="sgd", loss="mse", epochs=1)
    runs = plan(base, learning_rates=[1e4, 0.01])
    rows = CompareSession(runs, target_loss=0.9).run()
    assert [row.status for row in rows] == ["diverged", "completed"]
    assert rows[0].step_to_target is None
    assert rows[1].epochs_done == 1 and math.isfinite(rows[1].final_loss)


@pytest.mark.parametrize(
    "bad, error, words",
    [
        (RunConfig(dataset="moons", hyperparameters={"learning_rate": -1}), ConfigError, "-1"),
        (RunConfig(dataset="no/such/file.csv"), DatasetError, "file.csv"),
        (RunConfig(dataset="moons", loss="mse"), ConfigError, "binary"),
    ],
)
def test_a_bad_run_is_refused_by_label_before_anything_trains(bad, error, words):
    listener = Recorder()
    runs = [("good", RunConfig(dataset="moons", epochs=1)), ("the bad one", bad)]
    with pytest.raises(error) as info:
        CompareSession(runs, listener).run()
    assert "the bad one" in str(info.value) and words in str(info.value)
    assert listener.kinds() == []


def test_nothing_to_compare_is_refused():
    with pytest.raises(ConfigError, match="Nothing to compare"):
        CompareSession([]).run()


@pytest.mark.parametrize("engine", ["sequential", "fused"])
def test_without_models_kept_each_run_is_freed_as_soon_as_it_has_trained(engine):
    """What a benchmark asks: each run's (or fused group's) model and traced steps are no
    longer referenced once `on_trained` is called, so they can be freed a part at a time."""
    import gc
    import weakref

    models: list[weakref.ref] = []
    calls: list[int] = []
    freed: list[int] = []

    def listener(event):
        if isinstance(event, Finished) and event.result.model is not None:
            models.append(weakref.ref(event.result.model))

    def on_trained():
        freed.append(gc.collect())
        calls.append(sum(ref() is not None for ref in models))

    runs = [
        (f"seed {seed}", RunConfig("moons", epochs=2, hidden_layers=(4,), seed=seed, data_seed=0))
        for seed in range(3)
    ]
    session = CompareSession(
        runs, listener, engine=engine, keep_models=False, on_trained=on_trained
    )
    rows = session.run()
    assert [row.status for row in rows] == ["completed"] * 3
    assert session.engine_used == engine
    assert len(models) == 3
    if engine == "sequential":
        assert calls == [0, 0, 0]  # none left alive
    else:
        # The group's traced train and test functions are freed one at a time (each call
        # frees a piece, no one call the lot), then the members' models with their results.
        assert calls[-1] == 0 and len(calls) >= 3
        assert all(count > 0 for count in freed[:2])
        assert max(freed) < 0.8 * sum(freed)
    assert all(result.model is None for _label, result in session.results)
    assert all(len(result.history["loss"]) == 2 for _label, result in session.results)
