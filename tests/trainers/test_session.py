"""The training session: true per-step losses, events, stop/pause from another thread,
divergence, reproducibility, and refusing a loss that does not fit the task."""

import threading

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.listening import Heard, run_in_thread
from trainers import advice, losses, models, optimizers
from trainers.build import epoch_order, load_dataset
from trainers.config import RunConfig
from trainers.control import JobControl
from trainers.errors import ConfigError
from trainers.events import (
    Boundary,
    EpochEnded,
    Failed,
    Finished,
    OptimizerSteps,
    RunKey,
    Started,
    Status,
    Steps,
)
from trainers.session import TrainingSession


class Recorder(Heard):
    """Keeps every event, and every step's number and loss."""

    def __init__(self):
        super().__init__()
        self.steps = []
        self.losses = []

    def take(self, event):
        match event:
            case Status(text=text):
                self.events.append(("status", text))
            case Started(info=info):
                self.events.append(("started", info))
            case Steps(steps=steps, losses=losses):
                self.steps.extend(steps.tolist())
                self.losses.extend(losses.tolist())
            case EpochEnded(epoch=epoch, logs=logs):
                self.events.append(("epoch", epoch, logs))
            case Finished(result=result):
                self.events.append(("finished", result))
            case Failed(message=message, result=result):
                self.events.append(("failed", message, result))


def hand_run_losses(config: RunConfig) -> np.ndarray:
    """The loss of every update from a plain GradientTape loop on the same model, weights,
    optimizer and batch order: what the step curve must show."""
    config = config.validate()
    data = load_dataset(config)
    loss_name = config.loss
    keras.backend.clear_session()
    keras.utils.set_random_seed(config.seed)
    model = models.build_model(
        data, loss_name, hidden_layers=config.hidden_layers, activation=config.activation
    )
    optimizer = optimizers.get(config.optimizer, **config.hyperparameters)
    loss_fn = losses.get(loss_name)
    y = models.prepare_labels(data.y_train, data.task, loss_name, data.n_classes)
    batch = len(data.x_train) if config.batch_size == "full" else config.batch_size
    values = []
    for epoch in range(config.epochs):
        order = epoch_order(len(y), config.seed, epoch).numpy()
        for begin in range(0, len(order), batch):
            index = order[begin : begin + batch]
            xb, yb = data.x_train[index], y[index]
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb, training=True))
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights, strict=True))
            values.append(float(loss))
    return np.array(values)


@pytest.mark.parametrize(
    "batch_size, steps_per_execution",
    [(32, 1), (32, 4), (32, "auto"), ("full", 1), (50, 3)],
)
def test_step_losses_match_a_hand_run_loop(batch_size, steps_per_execution):
    # 400 samples, 320 for training: batch 50 leaves a short last batch (320 = 6 * 50 + 20),
    # and 3 steps per call leaves a short last chunk (7 steps = 3 + 3 + 1).
    config = RunConfig(
        dataset="moons",
        loss="binary_crossentropy",
        optimizer="adam",
        hyperparameters={"learning_rate": 0.01},
        epochs=3,
        batch_size=batch_size,
        steps_per_execution=steps_per_execution,
        seed=3,
    )
    result = TrainingSession(config).run()
    expected = hand_run_losses(config)
    assert result.status == "completed"
    assert len(result.step_losses) == len(expected)
    np.testing.assert_array_equal(result.step_numbers, np.arange(1, len(expected) + 1))
    np.testing.assert_allclose(result.step_losses, expected, rtol=2e-5, atol=1e-6)
    # The epoch loss is the sample-weighted mean of that epoch's step losses.
    steps = result.info.steps_per_epoch
    n, b = result.info.n_train, result.info.batch_size
    sizes = np.array([min(b, n - i * b) for i in range(steps)])
    first_epoch = np.sum(result.step_losses[:steps] * sizes) / n
    assert result.history["loss"][0] == pytest.approx(first_epoch, rel=1e-5)


def test_events_arrive_in_order_with_history():
    listener = Recorder()
    key = RunKey(job=7, member=0)
    result = TrainingSession(RunConfig(dataset="iris", epochs=4), listener, key=key).run()
    assert listener.keys == {key}  # every event names the run it is about
    kinds = listener.kinds()
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("epoch") == 4
    info = next(e[1] for e in listener.events if e[0] == "started")
    assert info.task == "multiclass" and info.loss == "sparse_categorical_crossentropy"
    assert info.total_steps == 4 * info.steps_per_epoch
    epochs = [e for e in listener.events if e[0] == "epoch"]
    assert [e[1] for e in epochs] == [1, 2, 3, 4]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(epochs[-1][2])
    assert listener.steps == list(range(1, info.total_steps + 1))
    assert result.history["loss"] == [e[2]["loss"] for e in epochs]
    assert result.history["loss"][-1] < result.history["loss"][0]


def test_same_seed_same_step_losses_other_seed_differs():
    config = RunConfig(dataset="spirals", epochs=2, optimizer="momentum", seed=7)
    a = TrainingSession(config).run().step_losses
    b = TrainingSession(config).run().step_losses
    c = (
        TrainingSession(RunConfig(dataset="spirals", epochs=2, optimizer="momentum", seed=8))
        .run()
        .step_losses
    )
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_each_epoch_has_its_own_order_and_a_seed_fixes_them():
    first = [epoch_order(100, 0, e).numpy() for e in range(3)]
    again = [epoch_order(100, 0, e).numpy() for e in range(3)]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
        assert sorted(a.tolist()) == list(range(100))
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(epoch_order(100, 1, 0).numpy(), first[0])


def training_in_thread(config: RunConfig):
    """A session of `config` started on a thread, once its first steps are in: the listener,
    the session, the thread and the box its result lands in."""
    listener = Recorder()
    session = TrainingSession(config, listener)
    thread, box = run_in_thread(session)
    assert listener.first_steps.wait(60)
    return listener, session, thread, box


def test_stop_from_another_thread_keeps_the_history():
    config = RunConfig(dataset="digits", epochs=500, batch_size=16, steps_per_execution=1)
    listener, session, thread, box = training_in_thread(config)
    session.control.stop()
    thread.join(60)
    assert not thread.is_alive()
    result = box["result"]
    assert result.status == "stopped"
    assert 0 < len(result.step_losses) < result.info.total_steps
    assert listener.kinds()[-1] == "finished"


def test_pause_holds_training_until_resume():
    config = RunConfig(dataset="moons", epochs=40, batch_size=8, steps_per_execution=1)
    listener, session, thread, box = training_in_thread(config)
    session.control.pause()
    assert listener.paused.wait(30)
    held = len(listener.steps)
    thread.join(0.5)  # while paused, half a second passes without a single new step
    assert len(listener.steps) == held and thread.is_alive()
    session.control.resume()
    thread.join(120)
    result = box["result"]
    assert result.status == "completed"
    assert len(result.step_losses) == result.info.total_steps


def test_time_paused_is_not_training_time():
    """The compare view's "by training time" axis: a pause of 1.5 s in epoch 3 is not in it."""
    config = RunConfig(dataset="moons", epochs=5, batch_size=8, steps_per_execution=1)
    control = JobControl()
    pause_s = 1.5

    def listener(event):
        if isinstance(event, EpochEnded) and event.epoch == 2:
            control.pause()
            threading.Timer(pause_s, control.resume).start()

    result = TrainingSession(config, listener, control=control).run()
    assert result.status == "completed" and result.duration_s > pause_s
    times = np.array(result.epoch_times)
    assert np.all(np.diff(times) > 0)
    # An epoch of moons is tens of milliseconds here; counted, the pause alone would be 1.5 s.
    assert times[2] - times[1] < pause_s / 2


def test_a_time_budget_ends_the_run_at_the_first_epoch_end_past_it():
    budget = 0.4
    config = RunConfig(dataset="moons", epochs=10_000, batch_size=8, time_budget_s=budget)
    result = TrainingSession(config).run()
    times = result.epoch_times
    assert result.status == "completed"
    assert 1 < result.epochs_done < 10_000 and len(times) == result.epochs_done
    assert times[-2] < budget <= times[-1]  # not one epoch more, not one less
    assert len(result.history["loss"]) == result.epochs_done
    assert "time budget of 0.4 s" in result.message and "of 10000" in result.message


@pytest.mark.parametrize("budget", [0, -1.0, float("nan"), "soon", True])
def test_a_time_budget_that_is_not_a_positive_number_is_refused(budget):
    with pytest.raises(ConfigError, match="time_budget_s"):
        RunConfig(time_budget_s=budget).validate()


def test_the_training_step_is_traced_before_the_training_clock_starts(monkeypatch):
    """Tracing (a second or more) is done before `Started`, after which the clock runs: no
    train or test step is traced again during training, short last batches and validation
    included, so the first epoch's seconds are updates, not tracing."""
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    said = []
    for name in ("train_step", "test_step"):
        step = getattr(TensorFlowTrainer, name)

        def traced(self, data, _step=step, _name=name):
            said.append(_name)  # Python in a step runs only while it is traced
            return _step(self, data)

        monkeypatch.setattr(TensorFlowTrainer, name, traced)

    def listener(event):
        if isinstance(event, Started):
            said.append("started")

    for spe in (1, 4):  # 300 training rows in batches of 32: a short last batch
        said.clear()
        config = RunConfig(dataset="moons", epochs=3, batch_size=32, steps_per_execution=spe)
        result = TrainingSession(config, listener).run()
        assert result.status == "completed" and result.info.n_val > 0
        assert "train_step" in said and "test_step" in said
        assert said[-1] == "started", said


def test_divergence_ends_the_run_with_a_message_and_keeps_the_history():
    listener = Recorder()
    too_fast = {"learning_rate": 1e4}
    config = RunConfig(dataset="diabetes", optimizer="sgd", loss="mse", epochs=20)
    config.hyperparameters = too_fast
    result = TrainingSession(config, listener).run()
    assert result.status == "diverged"
    assert "step" in result.message and "learning rate" in result.message
    span = advice.smoothing_span(result.info.steps_per_epoch)
    cut = advice.rate_after_divergence(result.step_numbers, result.step_losses, 1e4, span=span)
    assert f"Try a rate of {cut.suggested:g}." in result.message  # from the run's own losses
    assert len(result.step_losses) >= 1 and not np.isfinite(result.step_losses[-1])
    assert np.isfinite(result.step_losses[0])
    assert listener.kinds()[-1] == "failed"
    assert listener.events[-1][2] is result


def test_a_loss_that_does_not_fit_the_task_is_refused_with_the_ones_that_do():
    listener = Recorder()
    config = RunConfig(dataset="diabetes", loss="categorical_crossentropy")
    with pytest.raises(ConfigError) as info:
        TrainingSession(config, listener).run()
    message = str(info.value)
    assert "regression" in message and "Mean squared error" in message
    assert listener.kinds() == ["failed"]


def test_learning_rate_schedules_lower_the_rate():
    for schedule, options in [
        ("step", {"every": 1, "factor": 0.5}),
        ("exponential", {"decay_rate": 0.5}),
        ("cosine", {}),
    ]:
        config = RunConfig(dataset="moons", epochs=3, schedule=schedule, schedule_options=options)
        result = TrainingSession(config).run()
        assert result.status == "completed"
        rate = result.model.optimizer.learning_rate
        assert float(rate) < config.learning_rate()


class Inside:
    def __init__(self):
        self.steps, self.norms, self.rate_steps, self.rates = [], [], [], []
        self.boundaries = []

    def __call__(self, event):
        match event:
            case OptimizerSteps():
                self.steps.extend(event.steps.tolist())
                self.norms.extend(event.update_sizes.tolist())
                self.rate_steps.extend(event.rate_steps.tolist())
                self.rates.extend(event.rates.tolist())
            case Boundary(epoch=epoch, probabilities=probabilities):
                self.boundaries.append((epoch, probabilities))


def test_inspecting_the_optimizer_reports_every_update():
    listener = Inside()
    config = RunConfig(
        dataset="moons",
        optimizer="adagrad",
        epochs=3,
        steps_per_execution=4,
        hyperparameters={"learning_rate": 0.05},
    )
    result = TrainingSession(config, listener, inspect_optimizer=True).run()
    assert listener.steps == result.step_numbers.tolist()
    assert all(n > 0 for n in listener.norms)
    # Inspecting leaves the optimizer's own state as it is (it is saved with the model).
    plain = TrainingSession(config).run()
    names = [v.path for v in plain.model.optimizer.variables]
    assert [v.path for v in result.model.optimizer.variables] == names
    # AdaGrad's sum of squared gradients only grows, so its effective rate only falls.
    rates = np.array(listener.rates)
    assert np.all(rates[1:] <= rates[:-1] * (1 + 1e-6))
    assert listener.rates[-1] < listener.rates[0]
    # The rate is read once per chunk of 4 steps, after the chunk's last update (and after an
    # epoch's shorter last chunk): the last reading is the trained optimizer's rate.
    per_epoch = result.info.steps_per_epoch
    ends = [e * per_epoch + min(c + 4, per_epoch) for e in range(3) for c in range(0, per_epoch, 4)]
    assert listener.rate_steps == ends
    final = float(result.model.optimizer.effective_learning_rate())
    assert listener.rates[-1] == pytest.approx(final, rel=1e-6)
    # The first update's size is the distance between the initial and the updated weights
    # after one step: check it against a run of exactly one step.
    one = TrainingSession(
        RunConfig(
            dataset="moons",
            optimizer="adagrad",
            epochs=1,
            batch_size="full",
            hyperparameters={"learning_rate": 0.05},
        ),
        (single := Inside()),
        inspect_optimizer=True,
    ).run()
    moved = np.sqrt(
        sum(
            np.sum((a - b) ** 2)
            for a, b in zip(one.model.get_weights(), one.initial_weights, strict=True)
        )
    )
    assert single.norms == [pytest.approx(moved, rel=1e-4)]


def test_sgd_effective_rate_is_its_learning_rate():
    listener = Inside()
    config = RunConfig(
        dataset="iris", optimizer="sgd", epochs=1, hyperparameters={"learning_rate": 0.05}
    )
    TrainingSession(config, listener, inspect_optimizer=True).run()
    assert listener.rates == pytest.approx([0.05] * len(listener.rates))


def test_decision_regions_for_2d_classification_only():
    listener = Inside()
    result = TrainingSession(
        RunConfig(dataset="blobs", epochs=2), listener, boundary_resolution=20
    ).run()
    assert [epoch for epoch, _ in listener.boundaries] == [0, 1, 2]
    probabilities = listener.boundaries[-1][1]
    assert probabilities.shape == (20, 20, 3)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)
    xs, ys = result.info.grid_axes
    assert len(xs) == len(ys) == 20 and result.info.points[0].shape[1] == 2
    none = Inside()
    TrainingSession(RunConfig(dataset="iris", epochs=1), none, boundary_resolution=20).run()
    assert none.boundaries == []


def test_runs_leave_no_traced_gradients_in_tensorflows_registry():
    from tensorflow.python.framework import ops as tf_ops

    registry = tf_ops._gradient_registry._registry

    def custom() -> set:
        return {name for name in registry if name.startswith("CustomGradient-")}

    before = custom()
    for optimizer in ("adam", "sgd"):
        result = TrainingSession(RunConfig(dataset="moons", epochs=1, optimizer=optimizer)).run()
        assert result.ok
        assert custom() == before  # each run's train step registered some; all were dropped
    # The model trained before the entries were dropped still evaluates and predicts.
    x = np.zeros((4, 2), dtype="float32")
    assert np.isfinite(result.model.predict(x, verbose=0)).all()
