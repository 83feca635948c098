"""Every loss against an independent float64 NumPy reference of its equation (EQUATIONS.md).

Unweighted, sample-weighted and unreduced values, tape gradients against central finite
differences of the reference, and the extreme inputs that must stay finite.
"""

import numpy as np
import pytest
import tensorflow as tf

from trainers import losses

EPS = 1e-7  # keras.config.epsilon()
N = 8

# --------------------------------------------------------------------------- NumPy references


def ref_mse(t, p):
    return np.mean((t - p) ** 2, axis=-1)


def ref_mae(t, p):
    return np.mean(np.abs(t - p), axis=-1)


def ref_smooth_l1(t, p, delta=1.0):
    e = np.abs(t - p)
    return np.mean(np.where(e < delta, 0.5 * e**2 / delta, e - 0.5 * delta), axis=-1)


def ref_huber(t, p, delta=1.0):
    e = np.abs(t - p)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * (e - 0.5 * delta)), axis=-1)


def ref_binary(t, p, from_logits=False):
    if from_logits:
        p = 1.0 / (1.0 + np.exp(-p))
    p = np.clip(p, EPS, 1.0 - EPS)
    return np.mean(-(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)), axis=-1)


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


def ref_categorical(t, p, from_logits=False):
    p = _softmax(p) if from_logits else np.clip(p, EPS, 1.0 - EPS)
    return -np.sum(t * np.log(p), axis=-1)


def ref_sparse(t, p, from_logits=False):
    p = _softmax(p) if from_logits else np.clip(p, EPS, 1.0 - EPS)
    labels = np.asarray(t).reshape(-1).astype(int)
    return -np.log(p[np.arange(len(labels)), labels])


def reduce_ref(values, weights, reduction):
    """What `keras.losses.Loss` does with per-sample values, written out."""
    if weights is not None:
        values = values * weights
    if reduction in (None, "none"):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and weights is not None:
        return values.sum() / weights.sum()
    return values.sum() / values.size


def ref_loss(name, options, t, p, weights=None, reduction="sum_over_batch_size"):
    """The reference of loss `name`, reduced; RMSE is the root of the reduced batch MSE."""
    if name == "rmse":
        return np.sqrt(reduce_ref(ref_mse(t, p), weights, reduction))
    per_sample = {
        "mse": ref_mse,
        "mae": ref_mae,
        "smooth_l1": ref_smooth_l1,
        "huber": ref_huber,
        "binary_crossentropy": ref_binary,
        "categorical_crossentropy": ref_categorical,
        "sparse_categorical_crossentropy": ref_sparse,
    }[name](t, p, **options)
    return reduce_ref(per_sample, weights, reduction)


# ------------------------------------------------------------------------------------- inputs

# Errors at least 0.05 away from every kink used below (0, +-0.5, +-1, +-2.5), so a central
# difference of the reference is a fair gradient check.
_ERRORS = np.array(
    [-3.1, -1.7, -0.8, -0.3, 0.2, 0.65, 1.3, 2.9, -2.2, 0.4, 1.8, -0.15, 3.6, -0.62, 0.83, -1.2]
    + [0.1, -2.7, 1.45, 0.3, -0.4, 2.05, -0.9, 0.7]
)


def regression_inputs(rng):
    y_true = rng.normal(size=(N, 3))
    y_pred = y_true - rng.permutation(_ERRORS).reshape(N, 3)
    return y_true, y_pred


def binary_inputs(rng, from_logits):
    y_true = rng.integers(0, 2, size=(N, 1)).astype(float)
    y_pred = rng.normal(scale=2.0, size=(N, 1)) if from_logits else rng.uniform(0.05, 0.95, (N, 1))
    return y_true, y_pred


def _class_scores(rng, from_logits, k=4):
    logits = rng.normal(scale=2.0, size=(N, k))
    return logits if from_logits else _softmax(logits)


def categorical_inputs(rng, from_logits):
    y_true = np.eye(4)[rng.integers(0, 4, size=N)]
    return y_true, _class_scores(rng, from_logits)


def sparse_inputs(rng, from_logits):
    return rng.integers(0, 4, size=N), _class_scores(rng, from_logits)


def inputs(name, options, seed=0):
    rng = np.random.default_rng(seed)
    if name in ("mse", "mae", "rmse", "smooth_l1", "huber"):
        return regression_inputs(rng)
    make = {
        "binary_crossentropy": binary_inputs,
        "categorical_crossentropy": categorical_inputs,
        "sparse_categorical_crossentropy": sparse_inputs,
    }[name]
    return make(rng, options["from_logits"])


CASES = [
    ("mse", {}),
    ("mae", {}),
    ("rmse", {}),
    ("smooth_l1", {"delta": 1.0}),
    ("smooth_l1", {"delta": 2.5}),
    ("huber", {"delta": 1.0}),
    ("huber", {"delta": 0.5}),
    ("binary_crossentropy", {"from_logits": False}),
    ("binary_crossentropy", {"from_logits": True}),
    ("categorical_crossentropy", {"from_logits": False}),
    ("categorical_crossentropy", {"from_logits": True}),
    ("sparse_categorical_crossentropy", {"from_logits": False}),
    ("sparse_categorical_crossentropy", {"from_logits": True}),
]
CASE_IDS = [name + "".join(f"-{k}={v}" for k, v in opts.items()) for name, opts in CASES]
REDUCTIONS = ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", None, "none"]

# ------------------------------------------------------------------------------------- values


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, options", CASES, ids=CASE_IDS)
def test_matches_numpy_reference(name, options, reduction, weighted, dtype, rtol):
    y_true, y_pred = inputs(name, options)
    weights = np.random.default_rng(1).uniform(0.1, 2.0, size=N) if weighted else None
    loss = losses.get(name, reduction=reduction, dtype=dtype, **options)
    got = np.asarray(loss(y_true, y_pred, sample_weight=weights))
    expected = ref_loss(name, options, y_true, y_pred, weights, reduction)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name, options", CASES, ids=CASE_IDS)
def test_direct_call_is_the_batch_mean(name, options):
    y_true, y_pred = inputs(name, options, seed=3)
    loss = losses.get(name, dtype="float64", **options)
    per_sample = np.asarray(
        losses.get(name, reduction=None, dtype="float64", **options)(y_true, y_pred)
    )
    assert per_sample.shape == (N,)
    # RMSE's unreduced values are per-sample roots, so the batch value squares back to their mean.
    expected = np.sqrt(np.mean(per_sample**2)) if name == "rmse" else per_sample.mean()
    np.testing.assert_allclose(float(loss(y_true, y_pred)), expected, rtol=1e-12)


def test_rmse_is_not_a_per_sample_root():
    y_true = np.zeros((4, 1))
    y_pred = np.array([[1.0], [-1.0], [3.0], [-3.0]])
    rmse = losses.RootMeanSquaredError(dtype="float64")
    np.testing.assert_allclose(float(rmse(y_true, y_pred)), np.sqrt(5.0))
    # A per-sample root averaged would give MAE, 2.0.
    assert float(losses.MeanAbsoluteError()(y_true, y_pred)) == pytest.approx(2.0)


def test_logits_and_probabilities_agree():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(N, 1))
    y = rng.integers(0, 2, size=(N, 1)).astype(float)
    p = 1.0 / (1.0 + np.exp(-z))
    by_logits = losses.BinaryCrossentropy(from_logits=True, dtype="float64")(y, z)
    by_probs = losses.BinaryCrossentropy(dtype="float64")(y, p)
    np.testing.assert_allclose(float(by_logits), float(by_probs), rtol=1e-10)

    z = rng.normal(size=(N, 5))
    labels = rng.integers(0, 5, size=N)
    by_logits = losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(labels, z)
    by_probs = losses.CategoricalCrossentropy(dtype="float64")(np.eye(5)[labels], _softmax(z))
    np.testing.assert_allclose(float(by_logits), float(by_probs), rtol=1e-10)


# ---------------------------------------------------------------------------------- gradients


def tape_gradient(loss, y_true, y_pred, dtype="float32"):
    y_pred = tf.constant(y_pred, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        value = loss(y_true, y_pred)
    return value.numpy(), tape.gradient(value, y_pred).numpy()


@pytest.mark.parametrize("name, options", CASES, ids=CASE_IDS)
def test_gradient_matches_finite_difference_of_reference(name, options):
    y_true, y_pred = inputs(name, options, seed=7)
    _, grad = tape_gradient(losses.get(name, dtype="float64", **options), y_true, y_pred, "float64")
    h = 1e-6
    numeric = np.zeros_like(y_pred)
    for index in np.ndindex(y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (
            ref_loss(name, options, y_true, up) - ref_loss(name, options, y_true, down)
        ) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------- extreme inputs

_REGRESSION_TRUE = np.zeros((4, 2))
# Exact zeros (sqrt and abs are not differentiable there), huge errors and tiny ones.
_REGRESSION_PRED = np.array([[1e6, -1e6], [0.0, 0.0], [1e-30, 3.0], [-5e5, 1e15]])
_BINARY_TRUE = np.array([[0.0], [1.0], [0.0], [1.0]])
_ONE_HOT_TRUE = np.eye(3)[[0, 1, 2, 0]]
_SPARSE_TRUE = np.array([0, 1, 2, 0])
# Predictions: rows 0-1 exactly right, rows 2-3 exactly (or confidently) wrong.
_PROBS = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
_LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [1e4, -1e4, -1e4], [-1e4, 0.0, 1e4]])
_BINARY_PROBS = np.array([[0.0], [1.0], [1.0], [0.0]])
_BINARY_LOGITS = np.array([[-1e4], [1e4], [1e4], [-1e4]])

EXTREMES = [
    ("mse", {}, _REGRESSION_TRUE, _REGRESSION_PRED),
    ("mae", {}, _REGRESSION_TRUE, _REGRESSION_PRED),
    ("rmse", {}, _REGRESSION_TRUE, _REGRESSION_PRED),
    ("smooth_l1", {}, _REGRESSION_TRUE, _REGRESSION_PRED),
    ("huber", {}, _REGRESSION_TRUE, _REGRESSION_PRED),
    ("binary_crossentropy", {}, _BINARY_TRUE, _BINARY_PROBS),
    ("binary_crossentropy", {"from_logits": True}, _BINARY_TRUE, _BINARY_LOGITS),
    ("categorical_crossentropy", {}, _ONE_HOT_TRUE, _PROBS),
    ("categorical_crossentropy", {"from_logits": True}, _ONE_HOT_TRUE, _LOGITS),
    ("sparse_categorical_crossentropy", {}, _SPARSE_TRUE, _PROBS),
    ("sparse_categorical_crossentropy", {"from_logits": True}, _SPARSE_TRUE, _LOGITS),
]
EXTREME_IDS = [f"{name}-{i}" for i, (name, *_rest) in enumerate(EXTREMES)]


@pytest.mark.parametrize("name, options, y_true, y_pred", EXTREMES, ids=EXTREME_IDS)
def test_extreme_inputs_give_finite_loss_and_gradient(name, options, y_true, y_pred):
    loss = losses.get(name, **options)
    value, grad = tape_gradient(loss, y_true, y_pred)
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))
    per_sample = np.asarray(losses.get(name, reduction=None, **options)(y_true, y_pred))
    assert np.all(np.isfinite(per_sample)) and np.all(per_sample >= 0)


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_extreme_logits_give_the_exact_large_loss(name):
    # Confidently wrong logits cost the full margin (1e4 or 2e4), as log-softmax / softplus give
    # it; clipped probabilities could never go past -log(eps).
    if name == "binary_crossentropy":
        y_true, y_pred, expected = _BINARY_TRUE, _BINARY_LOGITS, [0.0, 0.0, 1e4, 1e4]
    else:
        y_true, y_pred, expected = _ONE_HOT_TRUE, _LOGITS, [0.0, 0.0, 2e4, 2e4]
    got = losses.get(name, from_logits=True, reduction=None)(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6, atol=1e-3)


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_clipped_probabilities_cost_at_most_minus_log_eps(name):
    # In float32, 1 - eps rounds to 1 - 1.19e-7, so p = 1 on the wrong side costs a little less.
    low = -np.log(np.float32(EPS))
    high = -np.log(np.float32(1.0) - np.float32(1.0 - EPS))
    if name == "binary_crossentropy":
        y_true, y_pred, expected = _BINARY_TRUE, _BINARY_PROBS, [0.0, 0.0, high, low]
    else:
        y_true, y_pred, expected = _ONE_HOT_TRUE, _PROBS, [0.0, 0.0, low, low]
    got = np.asarray(losses.get(name, reduction=None)(y_true, y_pred))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_rmse_gradient_is_zero_at_zero_error():
    y = np.array([[0.5], [-1.0], [2.0]])
    value, grad = tape_gradient(losses.RootMeanSquaredError(), y, y)
    assert value == 0.0
    np.testing.assert_array_equal(grad, 0.0)
    for reduction in (None, "sum"):
        value, grad = tape_gradient(losses.RootMeanSquaredError(reduction=reduction), y, y)
        np.testing.assert_array_equal(value, 0.0)
        np.testing.assert_array_equal(grad, 0.0)
