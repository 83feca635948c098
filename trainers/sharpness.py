"""Sharpness: the largest eigenvalue of the training loss's Hessian, and the stability threshold
it is measured against (Cohen et al. 2021, 2022; `../shared/EQUATIONS.md`, "Instruments").

`lambda_max` estimates it by power iteration on Hessian-vector products (two passes of
automatic differentiation per product; no Hessian is ever formed), on one fixed batch. For the
adaptive optimizers the quantity is the preconditioned one, the largest eigenvalue of
D^(-1/2) H D^(-1/2), with D the optimizer's own diagonal scaling read from its state
(`preconditioner`). `threshold` gives the value beyond which the optimizer in use is unstable
on a quadratic: 2 / eta for gradient descent, and the momentum forms' and Adam's thresholds
(Adam's also for AMSGrad and Adamax, lowered by AdamW's decay; Lion, a sign, has none);
`formula` writes it as its row of the table ("2/η"), and `verdict` says in a sentence where a
measurement stands against it (below, at the edge of stability, past it).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

ITERATIONS = 20
TOLERANCE = 1e-3
"""Power iteration stops once lambda changes by less than this, relative, or at ITERATIONS."""


SAMPLES = 1024
"""The most samples of the fixed batch a run's sharpness is measured on (its first ones)."""


@dataclasses.dataclass(frozen=True)
class Sharpness:
    """One estimate: the eigenvalue, whether it is the preconditioned one, the iterations,
    and the eigenvector found (flat), to start the next estimate from."""

    value: float
    preconditioned: bool
    iterations: int
    vector: np.ndarray = dataclasses.field(repr=False, compare=False, default=None)


def _flat(tensors) -> np.ndarray:
    return np.concatenate([np.asarray(t, dtype=np.float64).ravel() for t in tensors])


def hessian_vector_product(model, x, y):
    """A function v -> H v over `model`'s trainable weights (lists of tensors shaped like
    them), H the Hessian of the model's compiled training loss (its loss and regularization
    penalties, `compute_loss`) on the batch (x, y), the model called in inference mode."""
    import tensorflow as tf

    weights = model.trainable_variables
    x = tf.convert_to_tensor(x)
    y = tf.convert_to_tensor(y)

    @tf.function(autograph=False, reduce_retracing=True)
    def product(vectors):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                loss = model.compute_loss(x, y, model(x, training=False))
            grads = inner.gradient(loss, weights)
            pairs = zip(grads, vectors, strict=True)
            dot = tf.add_n([tf.reduce_sum(g * tf.cast(v, g.dtype)) for g, v in pairs])
        return outer.gradient(dot, weights)

    return product


def preconditioner(optimizer, weights) -> list[np.ndarray] | None:
    """The diagonal D of an adaptive optimizer's step, per weight tensor, from its state now:
    RMSprop and AdaGrad sqrt(s) + epsilon; Adam and AdamW sqrt(v_hat) + epsilon (v, or with
    AMSGrad its running maximum, corrected for the steps taken, at least 1); Adamax its u,
    epsilon already inside. None for the others (their threshold is on H itself, or there is
    none: Lion's sign has no diagonal)."""
    name = getattr(optimizer, "catalog_name", "")
    attribute = {
        "rmsprop": "_velocities",
        "adagrad": "_accumulators",
        "adam": "_velocities",
        "adamw": "_velocities",
        "adamax": "_norms",
    }
    if name not in attribute:
        return None
    if name == "adamax":
        return [
            np.asarray(optimizer.state_of("_norms", weight), dtype=np.float64) for weight in weights
        ]
    state_name = attribute[name]
    epsilon = float(optimizer.epsilon)
    scale = 1.0
    if name in ("adam", "adamw"):
        if optimizer.amsgrad:
            state_name = "_max_velocities"
        steps = max(int(np.asarray(optimizer.iterations)), 1)
        scale = 1.0 / (1.0 - float(optimizer.beta_2) ** steps)
    found = []
    for weight in weights:
        state = np.asarray(optimizer.state_of(state_name, weight), dtype=np.float64)
        found.append(np.sqrt(state * scale) + epsilon)
    return found


def lambda_max(
    model,
    x,
    y,
    *,
    diagonal: list[np.ndarray] | None = None,
    iterations: int = ITERATIONS,
    tolerance: float = TOLERANCE,
    seed: int = 0,
    start: np.ndarray | None = None,
    product=None,
) -> Sharpness:
    """The largest eigenvalue of H (or of D^(-1/2) H D^(-1/2) with `diagonal` D) on (x, y),
    by power iteration from a seeded random start: v <- A v / ||A v||, lambda = v . A v.

    Power iteration finds the eigenvalue of largest magnitude; when that is negative (a
    saddle), it is run again on A - lambda I, whose largest-magnitude eigenvalue is then the
    largest one's shifted, so the result is always the largest (algebraic) eigenvalue.

    `start` (a previous estimate's vector) starts the iteration near the answer, so a run
    tracked every few steps converges in a few products; `product` reuses one already made by
    `hessian_vector_product` for this model and batch (no tracing again)."""
    product = product or hessian_vector_product(model, x, y)
    weights = model.trainable_variables
    shapes = [tuple(w.shape) for w in weights]
    sizes = [math.prod(s) for s in shapes]
    inverse_root = None if diagonal is None else 1.0 / np.sqrt(_flat(diagonal))

    def unflat(vector: np.ndarray) -> list[np.ndarray]:
        parts = np.split(vector, np.cumsum(sizes)[:-1])
        return [p.reshape(s).astype(np.float32) for p, s in zip(parts, shapes, strict=True)]

    def apply(vector: np.ndarray) -> np.ndarray:
        if inverse_root is not None:
            vector = vector * inverse_root
        result = _flat(t.numpy() for t in product(unflat(vector)))
        if inverse_root is not None:
            result = result * inverse_root
        return result

    def power(shift: float, vector: np.ndarray | None) -> tuple[float, int, np.ndarray]:
        if vector is None or len(vector) != sum(sizes) or not np.all(np.isfinite(vector)):
            vector = np.random.default_rng(seed).standard_normal(sum(sizes))
        vector = vector / np.linalg.norm(vector)
        value = math.nan
        for step in range(1, iterations + 1):
            image = apply(vector) - shift * vector
            new = float(vector @ image)
            norm = float(np.linalg.norm(image))
            if norm == 0.0 or not math.isfinite(norm):
                return new + shift, step, vector
            vector = image / norm
            if math.isfinite(value) and abs(new - value) <= tolerance * abs(new):
                return new + shift, step, vector
            value = new
        return value + shift, iterations, vector

    value, used, vector = power(0.0, start)
    if value < 0:
        shifted, more, vector = power(value, None)
        value, used = shifted, used + more
    return Sharpness(value, diagonal is not None, used, vector)


class SharpnessTracker:
    """Measures a training run's sharpness on its fixed batch, each time from the last
    eigenvector (`measure(optimizer)`); the Hessian-vector product is traced once."""

    def __init__(self, model, x, y, optimizer_name: str, hyperparameters: dict) -> None:
        self.model = model
        self.x, self.y = x[:SAMPLES], y[:SAMPLES]
        self.optimizer_name = optimizer_name
        self.hyperparameters = dict(hyperparameters)
        self.product = hessian_vector_product(model, self.x, self.y)
        self.vector: np.ndarray | None = None

    def measure(self, optimizer) -> tuple[float, float | None, str] | None:
        """(lambda_max, the threshold at the optimizer's rate now or None, what it bounds);
        None before an adaptive optimizer's first step (its scaling is not yet made)."""
        weights = self.model.trainable_variables
        diagonal = preconditioner(optimizer, weights)
        if diagonal is not None and int(np.asarray(optimizer.iterations)) == 0:
            return None
        found = lambda_max(
            self.model,
            self.x,
            self.y,
            diagonal=diagonal,
            start=self.vector,
            product=self.product,
        )
        self.vector = found.vector
        rate = float(np.asarray(optimizer.learning_rate))
        bound = threshold(self.optimizer_name, {**self.hyperparameters, "learning_rate": rate})
        quantity = "preconditioned lambda_max" if found.preconditioned else "lambda_max"
        return found.value, None if bound is None else bound[0], quantity


def threshold(optimizer: str, hyperparameters: dict) -> tuple[float, str] | None:
    """(the stability threshold, what it bounds) for `optimizer` at its `hyperparameters`
    (its learning rate among them), from EQUATIONS.md's table, Adam's row also for AMSGrad
    and Adamax and with the decay for AdamW; None for those it has none for (AdaDelta, Lion,
    or an optimizer of one's own)."""
    rule = _rule(optimizer, hyperparameters)
    return None if rule is None else rule[:2]


def formula(optimizer: str, hyperparameters: dict) -> str | None:
    """The threshold of `optimizer` as written in its table row: "2/η", "(2+2β)/(η(1−β))" (the
    form its hyperparameters choose) ...; None where it has none."""
    rule = _rule(optimizer, hyperparameters)
    return None if rule is None else rule[2]


def _rule(optimizer: str, hyperparameters: dict) -> tuple[float, str, str] | None:
    """(threshold, what it bounds, its formula) of EQUATIONS.md's row for `optimizer`."""
    from trainers import catalog

    try:
        info = catalog.optimizer_info(optimizer)
    except ValueError:
        return None
    values = {p.name: p.default for p in info.params}
    values.update(hyperparameters)
    eta = float(values["learning_rate"])
    if optimizer == "sgd":
        return 2.0 / eta, "lambda_max", "2/η"
    if optimizer in ("momentum", "nesterov"):
        beta = float(values["momentum"])
        averaged = str(values.get("ewma", True)).lower() in ("true", "1")
        value = (2.0 + 2.0 * beta) / eta
        factors = ["η"]
        if averaged:
            value /= 1.0 - beta
            factors.append("(1−β)")
        if optimizer == "nesterov":
            value /= 1.0 + 2.0 * beta
            factors.append("(1+2β)")
        below = factors[0] if len(factors) == 1 else f"({''.join(factors)})"
        return value, "lambda_max", f"(2+2β)/{below}"
    if optimizer in ("rmsprop", "adagrad"):
        return 2.0 / eta, "preconditioned lambda_max", "2/η"
    if optimizer in ("adam", "adamax"):  # Adamax: the same momentum, D = u in place of Adam's
        beta_1 = float(values["beta_1"])
        value = (2.0 + 2.0 * beta_1) / ((1.0 - beta_1) * eta)
        return value, "preconditioned lambda_max", "(2+2β₁)/((1−β₁)η)"
    if optimizer == "adamw":
        # Adam's with the decay w <- (1 - eta lambda) w outside the momentum: on a quadratic of
        # preconditioned curvature a (D frozen), the step's matrix [[1 - eta lambda - eta (1 -
        # b1) a, -eta b1], [(1 - b1) a, b1]] has an eigenvalue -1 at a = (1 + b1)(2 - eta
        # lambda) / ((1 - b1) eta): Adam's threshold, lowered by the share (1 - eta lambda / 2).
        beta_1 = float(values["beta_1"])
        decay = eta * float(values["weight_decay_rate"])
        value = (1.0 + beta_1) * (2.0 - decay) / ((1.0 - beta_1) * eta)
        return value, "preconditioned lambda_max", "(1+β₁)(2−ηλ)/((1−β₁)η)"
    return None  # AdaDelta, Lion (a sign has no linear threshold) and any other


EDGE = (0.9, 1.25)
"""λmax between these fractions of the threshold is "at the edge of stability": gradient descent
hovers there, mostly just above 2/η (Cohen et al. 2021); the tests' sine run at η = 0.3 stays
at 1.0 to 1.14 of it, with one spike to 1.3."""


def verdict(value: float, bound: float | None, quantity: str, rule: str | None = None) -> str:
    """One sentence on a measurement: "λmax is 0.97 of the threshold 2/η (6.48 of 6.67): at
    the edge of stability." `quantity` is the event's ("lambda_max" or "preconditioned
    lambda_max"), `rule` the threshold's formula (`formula`)."""
    what = "The preconditioned sharpness" if quantity.startswith("preconditioned") else "λmax"
    if not math.isfinite(value):
        return f"{what} is not a finite number: the run has diverged."
    if bound is None or not math.isfinite(bound) or bound <= 0:
        return f"{what} is {_number(value)}; this optimizer has no stability threshold to compare."
    ratio = value / bound
    named = f"the threshold {rule}" if rule else "the threshold"
    share = f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.2g}"  # 0.0026, not 0.00
    said = f"{what} is {share} of {named} ({_number(value)} of {_number(bound)})"
    if ratio < EDGE[0]:
        return f"{said}: below it, where the steps are stable."
    if ratio <= EDGE[1]:
        return f"{said}: at the edge of stability."
    return f"{said}: past it, so expect the loss to rise or the run to diverge."


def _number(value: float) -> str:
    """6.67, 0.0123, 36,860: three digits, without an exponent up to the thousands."""
    return f"{value:,.0f}" if 1e3 <= abs(value) < 1e9 else f"{value:.3g}"
