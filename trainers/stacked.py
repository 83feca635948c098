"""Members of a fused group with the same network, trained as one stacked network.

Side by side (`trainers.fused`), K members cost K sets of operations per step, each a few
microseconds of framework work on the small models Descent trains. Members that share their
architecture and their loss are stacked instead: each weight becomes one variable of shape
(K, ...), the forward pass one batched matmul per layer, the loss and the metric one
vectorized computation (`tf.vectorized_map` of the member's own functions). The members of
one optimizer rule (`rule_key`: its class and switches) have their own stacked variables,
joined along the member axis for the forward pass, and their update is one call of that
optimizer's own `update_step` on each of them, with every hyperparameter that differs between
members given as one value per member (`DescentOptimizer.stack`). A step then costs about
what one member's step costs, plus one update per rule.

Each member's numbers are still its own: the gradient of the sum of the members' losses with
respect to member k's slice is the gradient of member k's loss, as no operation mixes members;
the updates are elementwise; so each member's step losses, metrics, update sizes and weights
are those of the member trained alone, up to the order in which a batched matmul and a
reduction add their terms (the tests compare them to rtol 1e-5; they agree to about 1e-7).

A member whose loss turns non-finite is frozen: its flag in `alive` goes down after that step,
and from then on every assignment (weights, optimizer state, metrics, step records) leaves its
slice as it was. The member models (`Member.model`) stay the runs' own Keras models: `sync`
copies each member's slice of the weights, the optimizer state and its step count back into
them, so what is saved, exported and reported is the member's own model.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from trainers import compat
from trainers.catalog import optimizer_info
from trainers.optimizers.base import DescentOptimizer, is_schedule
from trainers.session import Member

SEP = ":"  # a member's log names in a group's logs: "<index>:<name>"

# Keras optimizer settings that act across a model's variables or steps: a member using any
# of them trains side by side instead.
_GLOBAL_SETTINGS = (
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "loss_scale_factor",
    "gradient_accumulation_steps",
)


def _layer_plan(model: keras.Model) -> tuple | None:
    """The network as a chain of steps a stack can run, or None if it is not one.

    A plain chain of an input, optional Flatten and Dense layers in float32, without
    regularizers or constraints (they would act on the whole stacked variable). Descent's own
    MLPs are such chains; a CNN or a user's model with anything else trains side by side.
    """
    if model.losses or len(model.inputs) != 1 or len(model.outputs) != 1:
        return None
    plan = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Flatten):
            plan.append(("flatten",))
            continue
        if type(layer) is not keras.layers.Dense:
            return None
        if any(
            getattr(layer, name, None) is not None
            for name in (
                "kernel_regularizer",
                "bias_regularizer",
                "activity_regularizer",
                "kernel_constraint",
                "bias_constraint",
            )
        ):
            return None
        if getattr(layer, "lora_enabled", False) or layer.dtype_policy.name != "float32":
            return None
        plan.append(("dense", keras.activations.serialize(layer.activation), layer.use_bias))
    if not plan or plan[-1][0] != "dense":
        return None
    # Every layer must take the one before it: in a model built as a chain, the layers come in
    # order and each has one input.
    previous = model.inputs[0]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if layer.input is not previous:
            return None
        previous = layer.output
    return tuple(plan)


def _fixed_settings(optimizer: DescentOptimizer) -> tuple:
    """The optimizer's hyperparameters that are not numbers (a switch such as `ewma`): members
    must share them to share one update rule."""
    info = optimizer_info(optimizer.catalog_name)
    return tuple(
        (p.name, getattr(optimizer, p.name))
        for p in info.params
        if p.kind not in ("float", "int") and p.name != "learning_rate"
    )


def _numeric_settings(optimizer: DescentOptimizer) -> list[str]:
    info = optimizer_info(optimizer.catalog_name)
    return [p.name for p in info.params if p.kind in ("float", "int") and p.name != "learning_rate"]


def rule_key(run: Member) -> tuple:
    """What members must share to be updated by one stacked optimizer: its class and its
    non-numeric settings (learning rates, schedules and numeric hyperparameters may differ)."""
    optimizer = run.model.optimizer
    return (type(optimizer), _fixed_settings(optimizer))


def stack_key(run: Member) -> tuple | None:
    """What members must share to be stacked together (None: this one cannot be stacked).

    The network's shape (layers, widths, activations, input shape), the loss and its options,
    the metric and what the step recorder records, and an optimizer of Descent's that acts on
    each variable alone. Seeds, optimizers (`rule_key`: each rule updates its own slice),
    learning rates, schedules and hyperparameters may differ.
    """
    model = run.model
    optimizer = model.optimizer
    if not isinstance(optimizer, DescentOptimizer) or run.config.distribute != "none":
        return None
    if any(getattr(optimizer, name, None) for name in _GLOBAL_SETTINGS) or optimizer.use_ema:
        return None
    if not callable(getattr(run.metric, "_fn", None)):
        return None
    plan = _layer_plan(model)
    if plan is None:
        return None
    shapes = tuple(tuple(v.shape) for v in model.trainable_variables)
    if len(shapes) != sum(1 + step[2] for step in plan if step[0] == "dense"):
        return None
    return (
        plan,
        shapes,
        tuple(model.inputs[0].shape[1:]),
        run.loss_name,
        tuple(sorted(run.config.loss_options.items())),
        type(run.metric),
        tuple(sorted(run.metric._fn_kwargs.items())),
        run.recorder.columns,
        run.recorder.from_optimizer,
    )


class MemberRates(keras.optimizers.schedules.LearningRateSchedule):
    """Each member's learning rate at a step, as one vector: its own schedule or constant."""

    def __init__(self, rates: list):
        self.rates = rates

    def __call__(self, step):
        values = []
        for rate in self.rates:
            if is_schedule(rate):
                value = (
                    rate(step)
                    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule)
                    else rate()
                )
                values.append(ops.cast(value, "float32"))
            else:
                values.append(ops.convert_to_tensor(rate, dtype="float32"))
        return ops.stack(values)

    def get_config(self):
        return {}


class _MemberMeans(keras.metrics.Metric):
    """One running mean per member (Keras's `Mean`, along a leading member axis)."""

    def __init__(self, members: int, name: str):
        super().__init__(name=name)
        self.total = self.add_variable(shape=(members,), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(members,), initializer="zeros", name="count")

    def add(self, sums, counts, alive=None):
        """Add `sums` (members,) over `counts` (a number, or (members,)) samples, for the
        members that are alive."""
        counts = ops.broadcast_to(ops.cast(counts, "float32"), ops.shape(sums))
        if alive is not None:
            sums = ops.where(alive, sums, 0.0)
            counts = ops.where(alive, counts, 0.0)
        self.total.assign(self.total + sums)
        self.count.assign(self.count + counts)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError("use add()")

    def result(self):
        return ops.divide_no_nan(self.total, self.count)


class _Rule:
    """The members of a stack that one optimizer updates (one `rule_key`): members
    `start`..`stop` of the stack, their stacked weights, their flags (`alive`), their update
    sizes (`sizes`, where recorded) and the optimizer over those weights."""

    def __init__(self, start: int, runs: list[Member]):
        self.start, self.stop, self.runs = start, start + len(runs), list(runs)
        self.weights: list = []
        self.alive = None
        self.sizes = None
        self.optimizer: DescentOptimizer | None = None


class StackedMembers(keras.Model):
    """Members with one `stack_key`, trained as one network with a leading member axis.

    `indices` are the members' places in their group (the "<index>:" of their log names).
    The members are put in order of their optimizer's rule (`rule_key`; `indices` and `runs`
    follow that order): each rule's members have their own stacked variables and their own
    optimizer over them, and the forward and backward passes run once for all, over the
    rules' variables joined along the member axis. `train_step` and `test_step` return each
    member's logs under those names, as the member's own steps would (its loss, its metric,
    and in training its step recorder's buffer and count); `sync()` writes every member's
    slice back into its own model and optimizer.
    """

    def __init__(self, indices: list[int], runs: list[Member]):
        import tensorflow as tf

        super().__init__(name=f"stack_{indices[0]}")
        by_rule: dict[tuple, list[int]] = {}
        for position, run in enumerate(runs):
            by_rule.setdefault(rule_key(run), []).append(position)
        order = [position for group in by_rule.values() for position in group]
        self.indices = [indices[p] for p in order]
        runs = [runs[p] for p in order]
        count = len(runs)
        self.count_members = count
        first = runs[0]
        self.plan = _layer_plan(first.model)
        compat.set_untracked(self, "runs", list(runs))
        recorder = first.recorder
        self.capacity, self.columns = recorder.capacity, recorder.columns
        rules, start = [], 0
        for group in by_rule.values():
            rules.append(_Rule(start, runs[start : start + len(group)]))
            start += len(group)
        compat.set_untracked(self, "rules", rules)
        self.stacked = []
        for number, rule in enumerate(rules):
            for position in range(len(first.model.trainable_variables)):
                values = np.stack(
                    [np.asarray(r.model.trainable_variables[position]) for r in rule.runs]
                )
                made = self.add_weight(
                    shape=values.shape, initializer="zeros", name=f"stacked_{number}_{position}"
                )
                made.assign(values)
                rule.weights.append(made)
                self.stacked.append(made)
            # Plain TensorFlow variables, kept out of Keras's tracking (`state()` lists them).
            rule.alive = tf.Variable(
                np.ones(len(rule.runs), dtype=bool), trainable=False, name=f"alive_{number}"
            )
            if self.columns == 2:
                rule.sizes = tf.Variable(
                    np.zeros(len(rule.runs), dtype=np.float32), trainable=False
                )
            rule.optimizer = self._stacked_optimizer(rule)
        compat.set_untracked(
            self, "steps_done", tf.Variable(np.zeros(count, dtype=np.int64), trainable=False)
        )
        from trainers import losses as descent_losses

        compat.set_untracked(
            self, "loss_fn", descent_losses.get(first.loss_name, **first.config.loss_options)
        )
        compat.set_untracked(self, "metric_fn", first.metric._fn)
        compat.set_untracked(self, "metric_kwargs", dict(first.metric._fn_kwargs))
        self.loss_means = _MemberMeans(count, "loss")
        self.metric_means = _MemberMeans(count, first.metric.name)
        self.metric_name = first.metric.name
        compat.set_untracked(
            self,
            "buffer",
            tf.Variable(
                np.zeros((self.capacity, count, self.columns), dtype=np.float32), trainable=False
            ),
        )
        compat.set_untracked(
            self, "recorded", tf.Variable(np.zeros(count, dtype=np.int32), trainable=False)
        )
        self.built = True

    @staticmethod
    def _stacked_optimizer(rule: _Rule) -> DescentOptimizer:
        """One optimizer of the rule's class over its stacked variables, its state made from
        the members' (so a state that starts at a member's own value, AdaGrad's, does)."""
        own = [r.model.optimizer for r in rule.runs]
        first = own[0]
        rates = []
        for optimizer in own:
            rate = optimizer._learning_rate
            rates.append(rate if is_schedule(rate) else np.float32(np.asarray(rate)))
        params = optimizer_info(first.catalog_name).params
        settings = {p.name: getattr(first, p.name) for p in params}
        settings["learning_rate"] = MemberRates(rates)
        optimizer = type(first)(**settings)
        hyper = {name: [getattr(o, name) for o in own] for name in _numeric_settings(first)}
        # Built before it is stacked: a state's initializer may read a hyperparameter (AdaGrad's
        # starting value), a number until then; the state is the members' own just below.
        optimizer.build(rule.weights)
        optimizer.stack(len(own), hyper, rule.alive)
        for attribute in first.state:
            stacked_state = getattr(optimizer, attribute)
            for position, variable in enumerate(stacked_state):
                values = [np.asarray(getattr(o, attribute)[position]) for o in own]
                variable.assign(np.stack(values))
        if rule.sizes is not None:
            optimizer.record_update_sizes(rule.sizes)
        return optimizer

    def _joined(self, variables) -> list:
        """Each of the rules' variables (`attribute` of a rule: a list per rule) joined along
        the member axis, one tensor per position."""
        if len(variables) == 1:
            return list(variables[0])
        return [ops.concatenate(list(same), axis=0) for same in zip(*variables, strict=True)]

    def _alive(self):
        """Every member's flag, in the stack's order."""
        return self._joined([[rule.alive.value()] for rule in self.rules])[0]

    # The forward pass ------------------------------------------------------------------------

    def call(self, inputs, training=False):
        """The members' outputs, shape (members, batch, units)."""
        x = inputs
        weights = iter(self._joined([rule.weights for rule in self.rules]))
        shared = True  # the input is the same for every member until the first Dense layer
        for step in self.plan:
            if step[0] == "flatten":
                x = (
                    ops.reshape(x, (ops.shape(x)[0], -1))
                    if shared
                    else ops.reshape(x, (self.count_members, ops.shape(x)[1], -1))
                )
                continue
            _, activation, use_bias = step
            kernel = next(weights)
            if shared:
                # One matmul of the shared input with every member's kernel side by side,
                # (batch, in) @ (in, members * out): as fast as an einsum forward, and twice
                # as fast backward on a CPU.
                members, width, units = kernel.shape
                side_by_side = ops.reshape(ops.transpose(kernel, (1, 0, 2)), (width, -1))
                x = ops.reshape(ops.matmul(x, side_by_side), (-1, members, units))
                x = ops.transpose(x, (1, 0, 2))
                shared = False
            else:
                x = ops.matmul(x, kernel)
            if use_bias:
                x = x + ops.expand_dims(next(weights), 1)
            x = keras.activations.get(activation)(x)
        return x

    def _per_member(self, function, y, y_pred):
        """`function(y, y_pred[k])` for every member k, vectorized."""
        import tensorflow as tf

        return tf.vectorized_map(lambda pred: function(y, pred), y_pred)

    def _member_losses(self, y, y_pred):
        return ops.cast(self._per_member(self.loss_fn, y, y_pred), "float32")

    def _update_metric(self, y, y_pred, alive=None):
        values = self._per_member(
            lambda t, p: self.metric_fn(t, p, **self.metric_kwargs), y, y_pred
        )
        values = ops.cast(values, "float32")
        values = ops.reshape(values, (self.count_members, -1))
        samples = ops.shape(values)[1]
        self.metric_means.add(ops.sum(values, axis=1), samples, alive)

    # The steps -------------------------------------------------------------------------------

    def train_step(self, data):
        import tensorflow as tf

        x, y = data[0], data[1]
        alive = self._alive()
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            losses = self._member_losses(y, y_pred)
            total = ops.sum(losses)
        gradients = tape.gradient(total, self.stacked)
        given = 0
        for rule in self.rules:
            count = len(rule.weights)
            rule.optimizer.apply(gradients[given : given + count], rule.weights)
            given += count
        batch = ops.shape(x)[0]
        self.loss_means.add(losses * ops.cast(batch, "float32"), batch, alive)
        self._update_metric(y, y_pred, alive)
        self._record(losses, alive)
        self.steps_done.assign_add(ops.cast(alive, "int64"))
        still = tf.logical_and(alive, tf.math.is_finite(losses))
        for rule in self.rules:
            rule.alive.assign(still[rule.start : rule.stop])
        return self._logs(training=True)

    def _record(self, losses, alive):
        """Each alive member's row of the step recorder: its loss, and its update's size."""
        import tensorflow as tf

        row = ops.expand_dims(losses, 1)
        if self.columns == 2:
            sizes = self._joined([[rule.sizes.value()] for rule in self.rules])[0]
            row = ops.stack([losses, sizes], axis=1)
        members = ops.arange(self.count_members, dtype="int32")
        at = ops.stack([self.recorded.value() % self.capacity, members], axis=1)
        buffer = self.buffer.value()
        row = ops.where(ops.expand_dims(alive, 1), row, tf.gather_nd(buffer, at))
        self.buffer.assign(tf.tensor_scatter_nd_update(buffer, at, row))
        self.recorded.assign_add(ops.cast(alive, "int32"))

    def test_step(self, data):
        x, y = data[0], data[1]
        y_pred = self(x, training=False)
        losses = self._member_losses(y, y_pred)
        batch = ops.shape(x)[0]
        self.loss_means.add(losses * ops.cast(batch, "float32"), batch)
        self._update_metric(y, y_pred)
        return self._logs(training=False)

    def _logs(self, training: bool) -> dict:
        """The members' results as vectors, under "<stack name>:<name>": one tensor each for
        the whole stack (slicing it per member in the graph would cost 4 operations per
        member at every step); `FusedModel.expand` hands each member its part."""
        prefix = f"{self.name}{SEP}"
        logs = {
            f"{prefix}loss": self.loss_means.result(),
            f"{prefix}{self.metric_name}": self.metric_means.result(),
        }
        if training:
            logs[f"{prefix}step_loss"] = self.buffer.value()
            logs[f"{prefix}step_loss_count"] = self.recorded.value()
        return logs

    def member_parts(self, name: str, values) -> dict:
        """One stack result `name` (without the stack's prefix), as each member's own: a
        number per member, or the step recorder's rows (capacity, members, columns)."""
        values = np.asarray(values)
        return {
            f"{index}{SEP}{name}": values[:, position] if values.ndim == 3 else values[position]
            for position, index in enumerate(self.indices)
        }

    def reset_metrics(self):
        self.loss_means.reset_state()
        self.metric_means.reset_state()
        self.recorded.assign(np.zeros(self.count_members, dtype=np.int32))

    def state(self) -> list:
        """Every variable a chunk of steps changes."""
        found = [*self.stacked, self.steps_done, self.buffer, self.recorded]
        for rule in self.rules:
            found += [rule.alive, *rule.optimizer.variables]
            if rule.sizes is not None:
                found.append(rule.sizes)
        return found + self.loss_means.variables + self.metric_means.variables

    # Back to the members' own models ----------------------------------------------------------

    def sync_members(self):
        """Write each member's slice of the weights, the optimizer state and its step count
        into its own model and optimizer (`FusedModel.sync` runs it for every stack in one
        compiled call). Each stacked variable is read once and split, not sliced once per
        member: K reads of a whole stacked variable cost K times its size in copies."""
        import tensorflow as tf

        pairs = []
        for rule in self.rules:
            pairs += [
                (stacked, [run.model.trainable_variables[position] for run in rule.runs])
                for position, stacked in enumerate(rule.weights)
            ]
            for attribute in rule.optimizer.state:
                for position, stacked in enumerate(getattr(rule.optimizer, attribute)):
                    own = [getattr(run.model.optimizer, attribute)[position] for run in rule.runs]
                    pairs.append((stacked, own))
        for stacked, own in pairs:
            for variable, value in zip(own, tf.unstack(stacked.value), strict=True):
                variable.assign(value)
        for variable, value in zip(
            [run.model.optimizer.iterations for run in self.runs],
            tf.unstack(self.steps_done.value()),
            strict=True,
        ):
            variable.assign(value)


def stacks(runs: list[Member]) -> list[list[int]]:
    """The positions of `runs` in stacks of two or more (by `stack_key`), in order of their
    first member; runs that stack with no other are left out."""
    by_key: dict[tuple, list[int]] = {}
    for position, run in enumerate(runs):
        key = stack_key(run)
        if key is not None:
            by_key.setdefault(key, []).append(position)
    return [group for group in by_key.values() if len(group) > 1]


__all__ = ["MemberRates", "StackedMembers", "rule_key", "stack_key", "stacks"]
