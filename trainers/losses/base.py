"""What every Descent loss shares: options checked against the catalog, a config, shape alignment.

A loss is a per-sample function in `keras.ops` plus a thin `keras.losses.Loss` subclass. The class
only stores its options and calls the function; reduction and sample weights stay with Keras's base
class, exactly as for Keras's own losses.
"""

from __future__ import annotations

import keras
from keras import ops

from trainers import catalog, compat
from trainers.catalog import loss_info

# Keyword arguments every loss takes from `keras.losses.Loss`, next to its own options.
KERAS_DEFAULTS = {"reduction": "sum_over_batch_size", "name": None, "dtype": None}
BASE_KEYWORDS = tuple(KERAS_DEFAULTS)


class CatalogLoss(keras.losses.Loss):
    """A `keras.losses.Loss` whose options are declared in `trainers.catalog.LOSSES`.

    Subclasses set `catalog_name` and `function`, the per-sample function called as
    `function(y_true, y_pred, **options)`; the default name is the catalog name (e.g. "mse").
    A subclass whose entry has options gets a constructor taking them (with the catalog's
    defaults, checked against its ranges), and its docstring gets its "Args:" from the entry.

    Args:
        reduction: How per-sample values become one number, as in `keras.losses.Loss`:
            "sum_over_batch_size" (default, the mean over the batch), "mean", "sum",
            "mean_with_sample_weight", or None / "none" for the per-sample values.
        name: Name of the loss object. Defaults to the catalog name.
        dtype: dtype of the computation. Defaults to `keras.config.floatx()`.
    """

    catalog_name = ""
    function = None
    """The per-sample loss, `function(y_true, y_pred, **options)` (a `staticmethod`)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        catalog.fill_from_entry(cls, loss_info, _catalog_constructor, _arguments_doc)

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name or self.catalog_name, reduction=reduction, dtype=dtype)
        # Remember whether a dtype was asked for, so a config made under float32 does not pin it.
        self._dtype_requested = dtype is not None

    def call(self, y_true, y_pred):
        return type(self).function(y_true, y_pred, **self.options())

    def _check(self, option: str, value):
        """`value` validated against the catalog's range for `option` (ValueError naming it)."""
        params = {p.name: p for p in loss_info(self.catalog_name).params}
        return params[option].check(value, owner=self.catalog_name)

    def options(self) -> dict:
        """This loss's own options (those declared in the catalog) and their values."""
        return {p.name: getattr(self, p.name) for p in loss_info(self.catalog_name).params}

    def get_config(self) -> dict:
        config = super().get_config()
        config["dtype"] = compat.dtype_policy_name(self) if self._dtype_requested else None
        config.update(self.options())
        return config

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"<{type(self).__name__}({options}) reduction={self.reduction!r}>"


def _arguments_doc(info) -> str:
    """The catalog's formula of the loss (per sample), then its "Args:" section."""
    lines = ["Per sample, as the catalog writes it:", "", "```", info.equation, "```", ""]
    lines.append("Args:")
    for p in info.params:
        lines.append(f"    {p.name}: {p.help}, in {p.range_text()}. Defaults to `{p.default}`.")
    lines += [
        '    reduction: See `CatalogLoss`. Defaults to "sum_over_batch_size".',
        f'    name: Defaults to "{info.name}".',
        "    dtype: Defaults to `keras.config.floatx()`.",
    ]
    return "\n".join(lines)


def _catalog_constructor(info):
    """`__init__(self, <option>=<default>, ..., reduction=..., name=None, dtype=None)`."""
    made = catalog.signature(info.params, KERAS_DEFAULTS)

    def __init__(self, *args, **kwargs):  # noqa: N807 (the constructor it is)
        values = catalog.bound_arguments(made, self, *args, **kwargs)
        CatalogLoss.__init__(self, **{k: values.pop(k) for k in KERAS_DEFAULTS})
        for option, value in values.items():
            setattr(self, option, self._check(option, value))

    __init__.__signature__ = made
    return __init__


def align(y_true, y_pred):
    """Tensors of `y_true` and `y_pred` whose ranks agree, `y_true` cast to `y_pred`'s dtype.

    When the ranks differ by one and the longer shape ends in an axis of size 1 (a model's
    (n, 1) output against targets of shape (n,), or the reverse), that axis is added to a rank-1
    tensor or squeezed from the longer one, as Keras's own losses do. The last axis is the
    output axis: a rank-1 pair is one sample with several outputs.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if pred_rank == true_rank + 1 and y_pred.shape[-1] == 1:
        if true_rank == 1:
            y_true = ops.expand_dims(y_true, -1)
        else:
            y_pred = ops.squeeze(y_pred, -1)
    elif true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        if pred_rank == 1:
            y_pred = ops.expand_dims(y_pred, -1)
        else:
            y_true = ops.squeeze(y_true, -1)
    return y_true, y_pred


def safe_sqrt(x):
    """sqrt(x) for x > 0 and 0 otherwise, with gradient 0 (not infinity) where x is 0.

    The inner `where` keeps the unused branch away from sqrt(0), whose infinite derivative would
    otherwise turn the masked-out gradient into 0 * inf = nan.
    """
    positive = ops.greater(x, 0)
    root = ops.sqrt(ops.where(positive, x, ops.ones_like(x)))
    return ops.where(positive, root, ops.zeros_like(x))
