"""What every optimizer here shares: a base class that can report the size of each update,
catalog-checked arguments and a median over weights.

The ranges and defaults live in `trainers.catalog`, written once; the classes ask it here so the
window, the CLI and the Keras classes refuse the same values with the same message. A subclass
names its entry (`catalog_name`) and writes `build`, `update_step` and
`effective_learning_rate`; its constructor (keyword arguments with the catalog's defaults, as
`inspect.signature` shows them) and the "Args:" part of its docstring are made from the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from trainers import catalog, compat
from trainers.catalog import optimizer_info


class DescentOptimizer(keras.optimizers.Optimizer):
    """Keras's base optimizer, plus the size of each update on request.

    Every `update_step` here moves its variable once, by `self.assign_sub(variable, step)`.
    After `record_update_sizes(sink)`, each `apply` also sums `||step||^2 / 2` over the
    variables (one `l2_loss` each) and writes the sum into `sink`, a scalar variable: half the
    squared size of the whole update, read by the window's step recorder. One operation per
    variable, where comparing all the weights with a copy kept from the last step took a dozen
    per step (the training of a small model was 10% slower with them, 5% with this).
    Single-device runs only: under a distribution strategy the steps run per device, in
    Keras's cross-replica merge, and the recorder compares weights instead.
    """

    catalog_name = ""
    """The optimizer's entry in `trainers.catalog`: its hyperparameters, ranges and defaults."""
    state: dict[str, str] = {}
    """Its state per model variable: attribute -> Keras's variable name. `build` makes each
    list (one variable per model variable, at `state_initializer()`): `{"_velocities":
    "velocity"}` gives `self._velocities`."""
    _size_sink = None
    _step_sizes: list | None = None  # a list only while an apply() with a sink runs
    _members = 0  # > 0: the weights of that many runs stacked along a leading axis (`stack`)
    _alive = None  # while stacked: a (members,) boolean variable, False for a frozen member
    _masking = True  # while stacked: False in the update made when every member is alive

    def __init_subclass__(cls, **kwargs):
        """Give a subclass whose catalog entry exists its constructor and its "Args:" text."""
        super().__init_subclass__(**kwargs)
        catalog.fill_from_entry(cls, optimizer_info, catalog_constructor, arguments_doc)

    def __init__(self, learning_rate, **kwargs):
        """Check the catalog's hyperparameters of `catalog_name` in `kwargs` (a ValueError
        names the one out of range), keep them as attributes, and pass the learning rate and
        Keras's own keywords (`name`, `clipnorm`, ...) on to Keras's optimizer."""
        own = {p.name for p in optimizer_info(self.catalog_name).params} - {"learning_rate"}
        values = {name: kwargs.pop(name) for name in own if name in kwargs}
        hp = checked(self.catalog_name, type(self).__name__, learning_rate=learning_rate, **values)
        super().__init__(learning_rate=hp.pop("learning_rate"), **kwargs)
        for name, value in hp.items():
            setattr(self, name, value)

    def cast(self, variable, *values) -> tuple:
        """`values` (the rate, the gradient, hyperparameters) in `variable`'s dtype, for
        `update_step`: one tensor each. Stacked (`stack`), a value with one entry per member
        is spread along the variable's leading (member) axis: `member_shape`."""
        cast = tuple(ops.cast(value, variable.dtype) for value in values)
        if not self._members:
            return cast
        shape = self.member_shape(variable)
        ones = (self._members,) + (1,) * (len(shape) - 1)
        return tuple(
            ops.broadcast_to(ops.reshape(v, ones), shape) if len(v.shape) == 1 else v for v in cast
        )

    def member_shape(self, variable) -> tuple:
        """The shape given to a per-member value for stacked `variable`: (members, 1, ..., 1,
        last axis) for a variable of 3 axes or more, the variable's own shape otherwise.

        Never (members, 1, ..., 1), which would broadcast as well in one value per member:
        Keras 3.15's `ops.add` on TensorFlow reads a second operand with exactly one axis longer
        than 1 as a bias and adds it along axis 1 or the last axis when either is as long as
        that axis (`tf.nn.bias_add`), so `ops.add(ops.sqrt(s), epsilon)` would give member
        k's epsilon to row k of every member's kernel. With the last axis spread too, the
        value has two axes longer than 1 (or is as large as the variable) and adds as it
        should, at a cost of members x last-axis numbers, not the whole variable.
        """
        shape = tuple(variable.shape)
        if len(shape) >= 3 and shape[-1] > 1:
            return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)
        return shape

    def stack(self, members: int, hyperparameters: dict, alive) -> None:
        """Train the variables of `members` runs stacked along a new leading axis.

        The update rules are elementwise, so one call of `update_step` on a stacked variable
        of shape (members, ...) makes each member's update as its own optimizer would, given
        each hyperparameter in `hyperparameters` as one value per member (the learning rate
        comes from the schedule, one value per member as well: `MemberRates`). A member whose
        flag in `alive` (a boolean variable of shape (members,)) is down keeps its weights and
        state as they are: every assignment leaves its slice alone. `record_update_sizes`
        then writes one half squared size per member into a sink of shape (members,).
        """
        compat.set_untracked(self, "_members", int(members))
        compat.set_untracked(self, "_alive", alive)
        for name, values in hyperparameters.items():
            compat.set_untracked(self, name, np.asarray(values, dtype="float32"))

    def _kept(self, variable, value):
        """`value` where the member is alive, the variable's own value where it is frozen."""
        if not self._masking:
            return value
        shape = (self._members,) + (1,) * (len(variable.shape) - 1)
        return ops.where(ops.reshape(self._alive, shape), value, variable)

    def assign(self, variable, value):
        if self._members:
            value = self._kept(variable, value)
        super().assign(variable, value)

    def assign_add(self, variable, value):
        if self._members:
            super().assign(variable, self._kept(variable, ops.add(variable, value)))
        else:
            super().assign_add(variable, value)

    def state_of(self, attribute: str, variable):
        """The state `attribute` (one of `state`) kept for model `variable`."""
        return getattr(self, attribute)[self._get_variable_index(variable)]

    def state_initializer(self):
        """What the state starts at (Keras initializer): zeros unless the rule says otherwise."""
        return "zeros"

    def build(self, var_list):
        """Create the state of `state`, one variable per model variable."""
        if self.built:
            return
        super().build(var_list)
        if not self.state:
            return
        names = list(self.state.values())
        made = self.add_optimizer_variables(var_list, names, self.state_initializer())
        for attribute, variables in zip(self.state, made, strict=True):
            setattr(self, attribute, variables)

    def get_config(self):
        """Keras's config plus every catalog hyperparameter, so `from_config` round-trips."""
        config = super().get_config()
        for param in optimizer_info(self.catalog_name).params:
            if param.name != "learning_rate":
                config[param.name] = getattr(self, param.name)
        return config

    def record_update_sizes(self, sink) -> None:
        """Write half the squared size of every update into the scalar variable `sink`."""
        # Untracked: tracked, `sink` would become one of the optimizer's own variables, and be
        # saved with its state.
        compat.set_untracked(self, "_size_sink", sink)

    def assign_sub(self, variable, value):
        if self._members:
            super().assign(variable, self._kept(variable, ops.subtract(variable, value)))
        else:
            super().assign_sub(variable, value)
        if self._step_sizes is None:
            return
        value = ops.cast(value, "float32")
        if self._members:  # one half squared size per member
            axes = tuple(range(1, len(value.shape)))
            self._step_sizes.append(ops.sum(ops.square(value), axis=axes) * 0.5)
        else:
            import tensorflow as tf

            self._step_sizes.append(tf.nn.l2_loss(value))

    def apply(self, grads, trainable_variables=None):
        if not self._members:
            return self._apply_and_record(grads, trainable_variables)
        import tensorflow as tf

        def update(masking: bool):
            def run():
                compat.set_untracked(self, "_masking", masking)
                try:
                    self._apply_and_record(grads, trainable_variables)
                finally:
                    compat.set_untracked(self, "_masking", True)
                return tf.constant(True)

            return run

        # While every member is alive (until one diverges) no slice needs keeping: the update
        # without the masks, a quarter of a small stacked network's step.
        tf.cond(tf.reduce_all(self._alive), update(False), update(True))

    def _apply_and_record(self, grads, trainable_variables=None):
        if self._size_sink is None:
            return super().apply(grads, trainable_variables)
        compat.set_untracked(self, "_step_sizes", [])
        try:
            result = super().apply(grads, trainable_variables)
            parts = self._step_sizes
        finally:
            compat.set_untracked(self, "_step_sizes", None)
        self._size_sink.assign(ops.sum(ops.stack(parts), axis=0) if parts else 0.0)
        return result


KERAS_KEYWORDS = (
    "name, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum, "
    "ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps"
)


def arguments_doc(info) -> str:
    """The "Args:" section of an optimizer's docstring, from its catalog entry."""
    lines = ["Args:"]
    for p in info.params:
        text = f"{p.help}, in {p.range_text()}"
        if p.name == "learning_rate":
            text += "; or a `keras.optimizers.schedules.LearningRateSchedule`, or a callable"
        lines.append(f"    {p.name}: {text}. Defaults to `{p.default}`.")
    lines.append(f"    **kwargs: Keras's base optimizer keywords ({KERAS_KEYWORDS}).")
    return "\n".join(lines)


def catalog_constructor(info) -> Callable:
    """An `__init__(self, <hyperparameter>=<default>, ..., **kwargs)` for catalog entry
    `info`: it hands everything to `DescentOptimizer.__init__`, which checks the values."""
    made = catalog.signature(info.params, var_keyword=True)

    def __init__(self, *args, **kwargs):  # noqa: N807 (the constructor it is)
        values = catalog.bound_arguments(made, self, *args, **kwargs)
        DescentOptimizer.__init__(self, **values.pop("kwargs"), **values)

    __init__.__signature__ = made
    __init__.__doc__ = f"Build {info.display_name} with the hyperparameters of its catalog entry."
    return __init__


def defaults(optimizer: str) -> dict:
    """The catalog's default of every hyperparameter of `optimizer`, by name."""
    return optimizer_info(optimizer).defaults()


def is_schedule(learning_rate) -> bool:
    """True for a `LearningRateSchedule` or a callable: Keras evaluates those at each step."""
    return isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule) or callable(
        learning_rate
    )


def checked(optimizer: str, owner: str, **values) -> dict:
    """`values` converted and range-checked against the catalog entry of `optimizer`.

    Raises the catalog's ValueError, which names `owner`, the argument and the value received
    ("Adam: `beta_1` must be in [0, 1). Received: beta_1=1.5"). A learning rate that is a schedule
    or a callable is passed through unchecked: its values are only known step by step.
    """
    info = optimizer_info(optimizer)
    result = {}
    for name, value in values.items():
        if name == "learning_rate" and is_schedule(value):
            result[name] = value
        else:
            result[name] = info.param(name).check(value, owner)
    return result


MEDIAN_SAMPLE = 1024
"""Most weights the effective-rate median reads; larger models are sampled evenly."""


def median_over_weights(rate: Callable, *states: Sequence):
    """The median over weights of `rate(*states)`, an elementwise rate (a scalar tensor).

    Each of `states` is a list of per-variable tensors (aligned: the i-th of each belongs to the
    same variable). The median, not the mean: a weight whose gradient has always been zero (a
    dead ReLU unit) has the rate eta / eps, 1e5 times eta, and a handful of them would swamp a
    mean. Each weight counts once, whichever variable it sits in. Past `MEDIAN_SAMPLE` weights
    the median is that of every k-th weight (k = ceil(n / MEDIAN_SAMPLE)), an even sample across
    all variables. The sample is taken from the states before `rate` is applied, and the median
    is read from a partial `top_k`, not a sort: the window's optimizer probe calls this at every
    training step, so it costs a few small operations whatever the model. Shapes are static, so
    this traces under `tf.function` and XLA.
    """
    samples = [_even_sample(tensors) for tensors in states]
    if not samples or samples[0] is None:
        return ops.zeros((), dtype="float32")
    return _median(ops.cast(rate(*samples), "float32"))


def _even_sample(tensors: Sequence):
    """Every element of `tensors`, flattened into one vector, or an even sample of MEDIAN_SAMPLE
    of them at most (None for no tensors)."""
    flat = [ops.reshape(ops.cast(t, "float32"), (-1,)) for t in tensors]
    if not flat:
        return None
    values = flat[0] if len(flat) == 1 else ops.concatenate(flat, axis=0)
    count = sum(int(np.prod(f.shape)) for f in flat)
    if count > MEDIAN_SAMPLE:
        stride = -(-count // MEDIAN_SAMPLE)
        values = ops.take(values, np.arange(0, count, stride, dtype="int32"))
    return values


def _median(values):
    """The median of a vector of static length n: the middle of its n // 2 + 1 largest."""
    n = int(values.shape[0])
    largest, _ = ops.top_k(values, k=n // 2 + 1)
    if n % 2:
        return largest[-1]
    return (largest[-1] + largest[-2]) / 2.0


def current_state(optimizer: keras.optimizers.Optimizer, attribute: str, initial: float) -> list:
    """The state list `optimizer.<attribute>` as float32 tensors, for a read-only diagnostic.

    Variables Keras keeps no state for (`None` entries) are skipped. Before `build` there is no
    state yet: one scalar at the `initial` value stands in, so the reading before the first step
    is the one the freshly built state would give.
    """
    if not optimizer.built:
        return [ops.full((), initial, dtype="float32")]
    return [ops.cast(v, "float32") for v in getattr(optimizer, attribute) if v is not None]
