"""What the engine offers, described as plain data: optimizers, losses and datasets.

This module imports nothing but the standard library, so the window can build its forms from it
before TensorFlow has finished importing, and the CLI can print `--help` from the same place.
Each entry names its implementation ("module:attribute", imported only when first used): the
Keras classes in `trainers.optimizers` and `trainers.losses` and the dataset loaders. The classes
validate their arguments against the ranges declared here, so a range is written once.

It is longer than the project's ~500 lines a module because most of it is the table itself, the
one place each entry is written; the code around it is short. The lists are registries:
`register(entry)` adds one at run time (a test's throwaway optimizer,
later a plugin), and every list, form, help text and conformance test that reads the catalog
picks it up; `unregister(entry)` takes it away again.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

TASKS = ("regression", "binary", "multiclass")


@dataclass(frozen=True)
class Param:
    """One hyperparameter or option: its default, valid range and a one-line meaning.

    `low` / `high` are bounds (None: unbounded); `low_open` / `high_open` say whether the bound
    itself is excluded. `kind` is "float", "int", "bool" or "choice". `search`, where given, is
    the range a benchmark tunes it over by default (`trainers.tuning`), log-uniform for a
    `log_scale` one.
    """

    name: str
    default: float | int | bool | str
    help: str
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    log_scale: bool = False
    search: tuple[float, float] | None = None

    def range_text(self) -> str:
        """The valid range in interval notation, e.g. `(0, inf)` or `[0, 1)`."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return " | ".join(self.choices)
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        left = "(" if self.low is None or self.low_open else "["
        right = ")" if self.high is None or self.high_open else "]"
        return f"{left}{lo}, {hi}{right}"

    def check(self, value, owner: str = ""):
        """Return `value` converted to this parameter's kind, or raise ValueError naming it."""
        prefix = f"{owner}: " if owner else ""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise ValueError(
                f"{prefix}`{self.name}` must be true or false. Received: {self.name}={value!r}"
            )
        if self.kind == "choice":
            if value in self.choices:
                return value
            raise ValueError(
                f"{prefix}`{self.name}` must be one of {', '.join(self.choices)}. "
                f"Received: {self.name}={value!r}"
            )
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond float
            raise ValueError(
                f"{prefix}`{self.name}` must be a number. Received: {self.name}={value!r}"
            ) from None
        if self.kind == "int" and math.isfinite(number) and number != int(number):
            raise ValueError(
                f"{prefix}`{self.name}` must be a whole number. Received: {self.name}={value!r}"
            )
        inside = math.isfinite(number)
        if inside and self.low is not None:
            inside = number > self.low if self.low_open else number >= self.low
        if inside and self.high is not None:
            inside = number < self.high if self.high_open else number <= self.high
        if not inside:
            raise ValueError(
                f"{prefix}`{self.name}` must be in {self.range_text()}. "
                f"Received: {self.name}={value!r}"
            )
        return int(number) if self.kind == "int" else number


def _fmt(x: float) -> str:
    return f"{x:g}"


def signature(
    params: tuple[Param, ...], extra: dict | None = None, var_keyword: bool = False
) -> inspect.Signature:
    """The signature `(self, <param>=<default>, ..., <extra name>=<default>, ..., **kwargs)`
    of a constructor made from catalog `params` (`**kwargs` only with `var_keyword`)."""
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [inspect.Parameter("self", keyword)]
    parameters += [inspect.Parameter(p.name, keyword, default=p.default) for p in params]
    parameters += [inspect.Parameter(n, keyword, default=d) for n, d in (extra or {}).items()]
    if var_keyword:
        parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(parameters)


def bound_arguments(signature: inspect.Signature, *args, **kwargs) -> dict:
    """The arguments of a call to a function of `signature` by name, defaults filled in and
    the first (`self`) left out; TypeError for a call that does not fit."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    values = dict(bound.arguments)
    values.pop("self")
    return values


def fill_from_entry(cls, lookup, constructor, arguments_doc) -> None:
    """Complete a class named by its entry (`cls.catalog_name`, found with `lookup`): a
    constructor `constructor(info)` if the class writes none and the entry has options, and the
    "Args:" section `arguments_doc(info)` after its docstring. Nothing if there is no entry yet."""
    try:
        info = lookup(cls.catalog_name)
    except ValueError:  # no entry (yet): the class writes its own __init__ and Args
        return
    if "__init__" not in cls.__dict__ and info.params:
        cls.__init__ = constructor(info)
    cls.__doc__ = f"{inspect.cleandoc(cls.__doc__ or '')}\n\n{arguments_doc(info)}"


def check_all(params: tuple[Param, ...], values: dict, owner: str) -> dict:
    """Validate `values` against `params`; unknown names are refused with the known ones listed."""
    known = {p.name: p for p in params}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(
            f"{owner}: unknown option {', '.join(map(repr, unknown))}. "
            f"Known: {', '.join(known) or 'none'}."
        )
    return {name: known[name].check(value, owner) for name, value in values.items()}


# ----------------------------------------------------------------------------------- optimizers

_LR = "learning rate eta: how far each update moves the weights"
_EPS = "epsilon: small constant that keeps the division finite"


def _lr(default: float) -> Param:
    # Tuned over five decades around the default: two below, three above (DeepOBS tunes every
    # optimizer on one log grid; a window around each default spends the same budget where
    # each rule's rates live; the defaults are cautious, so the window leans above them).
    return Param(
        "learning_rate",
        default,
        _LR,
        low=0.0,
        low_open=True,
        log_scale=True,
        search=(default * 1e-2, default * 1e3),
    )


def _rate(name: str, default: float, meaning: str) -> Param:
    return Param(name, default, meaning, low=0.0, high=1.0, high_open=True)


_EPSILON = Param("epsilon", 1e-7, _EPS, low=0.0, low_open=True, log_scale=True)
_EWMA = Param(
    "ewma",
    True,
    "true: v is the average of gradients (EQUATIONS.md); false: heavy-ball v <- beta*v + g "
    "as in Keras and PyTorch",
    kind="bool",
)
_MOMENTUM = _rate("momentum", 0.9, "beta: weight of the accumulated gradients in v")
_BETA_1 = _rate("beta_1", 0.9, "b1: decay of the average of gradients m")
_BETA_2 = _rate("beta_2", 0.999, "b2: decay of the average of squared gradients v")
_AMSGRAD = Param(
    "amsgrad",
    False,
    "true: AMSGrad, v^ from the largest v so far, so shrinking gradients do not raise the rate",
    kind="bool",
)
_ADAM_RULE = (
    "m <- b1 * m + (1 - b1) * g\n"
    "v <- b2 * v + (1 - b2) * g * g\n"
    "m^ = m / (1 - b1^t) ;  v^ = v / (1 - b2^t)\n"
    "w <- w - eta * m^ / (sqrt(v^) + eps)\n"
    "amsgrad: vmax <- max(vmax, v)\n"
    "         v^ = vmax / (1 - b2^t)"
)


def _decay(default: float) -> Param:
    # Not `weight_decay`: that is Keras's own base keyword, which would decay the weights a
    # second time, outside `update_step`.
    return Param(
        "weight_decay_rate",
        default,
        "lambda: decoupled weight decay; each step also shrinks w by eta * lambda * w",
        low=0.0,
    )


@dataclass(frozen=True)
class OptimizerInfo:
    """An optimizer as the user meets it: name, display name, update rule and hyperparameters."""

    name: str
    display_name: str
    equation: str
    summary: str
    params: tuple[Param, ...]
    implementation: str | Any = ""
    """The Keras optimizer class: "module:Class", imported by `load()`, or the class itself."""

    def load(self) -> Any:
        """The class that implements this entry (importing its module: Keras, TensorFlow)."""
        return resolve(self.implementation, self.name)

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


OPTIMIZERS: list[OptimizerInfo] = [
    OptimizerInfo(
        "sgd",
        "SGD",
        "w <- w - eta * g",
        "Plain gradient descent: every step moves against the gradient by eta times its size.",
        (_lr(0.01),),
        implementation="trainers.optimizers.sgd:SGD",
    ),
    OptimizerInfo(
        "momentum",
        "Momentum",
        "v <- beta * v + (1 - beta) * g\nw <- w - eta * v",
        "Moves along an average of recent gradients, which damps zig-zags and rolls through "
        "small bumps.",
        (_lr(0.01), _MOMENTUM, _EWMA),
        implementation="trainers.optimizers.momentum:Momentum",
    ),
    OptimizerInfo(
        "nesterov",
        "Nesterov momentum",
        "v <- beta * v + (1 - beta) * g\nw <- w - eta * (beta * v + (1 - beta) * g)",
        "Momentum that looks ahead: it corrects its course with the gradient where the "
        "momentum is about to take it.",
        (_lr(0.01), _MOMENTUM, _EWMA),
        implementation="trainers.optimizers.nesterov:Nesterov",
    ),
    OptimizerInfo(
        "adagrad",
        "AdaGrad",
        "s <- s + g * g\nw <- w - eta * g / (sqrt(s) + eps)",
        "A rate per weight that shrinks with the sum of all past squared gradients: good for "
        "sparse features, but the rate only ever falls.",
        (
            _lr(0.01),
            Param(
                "initial_accumulator_value",
                0.0,
                "s0: starting value of the sum of squared gradients",
                low=0.0,
            ),
            _EPSILON,
        ),
        implementation="trainers.optimizers.adagrad:Adagrad",
    ),
    OptimizerInfo(
        "adadelta",
        "AdaDelta",
        "a <- rho * a + (1 - rho) * g * g\n"
        "u = sqrt(d + eps) / sqrt(a + eps) * g\n"
        "d <- rho * d + (1 - rho) * u * u\n"
        "w <- w - eta * u",
        "Scales each step by the ratio of recent update sizes to recent gradient sizes, so it "
        "needs little tuning of eta.",
        (
            _lr(1.0),
            _rate("rho", 0.95, "rho: how much of the running averages is kept each step"),
            _EPSILON,
        ),
        implementation="trainers.optimizers.adadelta:Adadelta",
    ),
    OptimizerInfo(
        "rmsprop",
        "RMSprop",
        "s <- rho * s + (1 - rho) * g * g\nw <- w - eta * g / (sqrt(s) + eps)",
        "AdaGrad with a memory that fades: the per-weight rate follows recent gradients instead "
        "of falling for ever.",
        (
            _lr(0.001),
            _rate("rho", 0.9, "rho: how much of the running average of g^2 is kept each step"),
            _EPSILON,
        ),
        implementation="trainers.optimizers.rmsprop:RMSprop",
    ),
    OptimizerInfo(
        "adam",
        "Adam",
        _ADAM_RULE,
        "Momentum (m) and RMSprop's per-weight scaling (v) together, with bias correction for "
        "the first steps.",
        (_lr(0.001), _BETA_1, _BETA_2, _EPSILON, _AMSGRAD),
        implementation="trainers.optimizers.adam:Adam",
    ),
    OptimizerInfo(
        "adamw",
        "AdamW",
        "w <- w * (1 - eta * lambda)\n" + _ADAM_RULE,
        "Adam with its weight decay kept out of the gradient: each step also shrinks every "
        "weight by the share eta * lambda, whatever Adam's scaling does to its gradient.",
        (
            _lr(0.001),
            _BETA_1,
            _BETA_2,
            _EPSILON,
            _decay(0.01),
            _AMSGRAD,
        ),
        implementation="trainers.optimizers.adamw:AdamW",
    ),
    OptimizerInfo(
        "adamax",
        "Adamax",
        "m <- b1 * m + (1 - b1) * g\n"
        "u <- max(b2 * u, |g| + eps)\n"
        "w <- w - eta / (1 - b1^t) * m / u",
        "Adam with the root of the average of g^2 replaced by a slowly fading maximum of |g|: "
        "no step is much longer than eta.",
        (
            _lr(0.002),
            _BETA_1,
            _rate("beta_2", 0.999, "b2: how slowly the running maximum u of |g| fades"),
            _EPSILON,
        ),
        implementation="trainers.optimizers.adamax:Adamax",
    ),
    OptimizerInfo(
        "lion",
        "Lion",
        "c = b1 * m + (1 - b1) * g\n"
        "w <- w - eta * (sign(c) + lambda * w)\n"
        "m <- b2 * m + (1 - b2) * g",
        "Moves every weight by the same eta each step, along the sign of a blend of momentum "
        "and gradient: one state per weight, and a rate 3-10x smaller than AdamW's.",
        (
            _lr(1e-4),
            _rate("beta_1", 0.9, "b1: weight of the momentum m in the blend c whose sign is taken"),
            _rate("beta_2", 0.99, "b2: decay of the momentum m"),
            _decay(0.0),
        ),
        implementation="trainers.optimizers.lion:Lion",
    ),
]


# -------------------------------------------------------------- Keras's own, as references
KERAS_BUILTIN = "Keras built-in"
"""How a Keras built-in optimizer is marked wherever it is listed."""


def _keras(name: str, display: str, summary: str, params: tuple[Param, ...]) -> OptimizerInfo:
    return OptimizerInfo(
        f"keras_{name.lower()}",
        f"{display} ({KERAS_BUILTIN})",
        f"Keras's own keras.optimizers.{name}: its rule is Keras's (see keras.io), not "
        "written out here.",
        summary,
        params,
        implementation=f"keras.optimizers:{name}",
    )


_EPS_KERAS = Param("epsilon", 1e-7, _EPS, low=0.0, low_open=True, log_scale=True)
_KERAS_DECAY = Param(
    "weight_decay", 0.004, "lambda: Keras's decoupled weight decay of each step", low=0.0
)

KERAS_BUILTINS: list[OptimizerInfo] = [
    _keras(
        "AdamW",
        "AdamW",
        "Keras's AdamW, as a reference for ours.",
        (_lr(0.001), _BETA_1, _BETA_2, _EPS_KERAS, _KERAS_DECAY, _AMSGRAD),
    ),
    _keras(
        "Nadam",
        "Nadam",
        "Adam with Nesterov momentum (Dozat 2016).",
        (_lr(0.001), _BETA_1, _BETA_2, _EPS_KERAS),
    ),
    _keras(
        "Lion",
        "Lion",
        "Keras's Lion (Chen et al. 2023), as a reference for ours.",
        (_lr(0.001), _rate("beta_1", 0.9, "b1"), _rate("beta_2", 0.99, "b2")),
    ),
    _keras(
        "Lamb",
        "LAMB",
        "Adam with each layer's step scaled to its weights' norm (You et al. 2019).",
        (_lr(0.001), _BETA_1, _BETA_2, _EPS_KERAS),
    ),
    _keras(
        "Adafactor",
        "Adafactor",
        "Second moments kept as row and column factors (Shazeer and Stern 2018).",
        (
            _lr(0.001),
            Param("beta_2_decay", -0.8, "the decay exponent of the second moments", high=0.0),
            Param(
                "epsilon_1",
                1e-30,
                "epsilon 1: added to the squared gradients",
                low=0.0,
                low_open=True,
                log_scale=True,
            ),
            Param(
                "epsilon_2", 0.001, "epsilon 2: the smallest relative step", low=0.0, log_scale=True
            ),
            Param(
                "clip_threshold",
                1.0,
                "the largest root-mean-square of an update",
                low=0.0,
                low_open=True,
            ),
            Param("relative_step", True, "true: the rate shrinks as 1/sqrt(step)", kind="bool"),
        ),
    ),
    _keras(
        "Muon",
        "Muon",
        "Momentum orthogonalized by Newton-Schulz steps for 2-D weights, Adam for the rest "
        "(Jordan et al. 2024).",
        (
            _lr(0.001),
            _rate("momentum", 0.95, "beta: momentum of the orthogonalized updates"),
            _rate("adam_beta_1", 0.9, "b1 of the Adam part"),
            _rate("adam_beta_2", 0.999, "b2 of the Adam part"),
            Param("adam_weight_decay", 0.004, "weight decay of the Adam part", low=0.0),
            _EPS_KERAS,
            Param("ns_steps", 5, "Newton-Schulz iterations", kind="int", low=1, high=20),
            Param("nesterov", True, "true: Nesterov momentum", kind="bool"),
        ),
    ),
    _keras(
        "ScheduleFreeAdamW",
        "Schedule-Free AdamW",
        "AdamW without a schedule: it trains at an interpolation and evaluates on the average "
        "of its iterates (Defazio et al. 2024); Descent evaluates and saves the averaged weights.",
        (
            _lr(0.0025),
            _BETA_1,
            _BETA_2,
            Param("epsilon", 1e-8, _EPS, low=0.0, low_open=True, log_scale=True),
            Param("warmup_steps", 0, "steps over which the rate rises from 0", kind="int", low=0),
        ),
    ),
]
"""Keras's own optimizers, offered in comparisons and benchmarks as references (not in the
side panel, and not in the test tables our own rules meet)."""

AVERAGED = frozenset({"keras_schedulefreeadamw"})
"""Optimizers whose weights for evaluation are an average that the optimizer keeps (schedule-
free): evaluation and the saved model use those (`trainers.session`)."""

# --------------------------------------------------------------------------------------- losses

_FROM_LOGITS = Param(
    "from_logits",
    False,
    "true: the model outputs raw scores (logits); false: probabilities",
    kind="bool",
)
_DELTA = "delta: where the loss changes from quadratic to linear"


@dataclass(frozen=True)
class LossInfo:
    """A loss: name, display name, per-sample formula, the tasks it fits and its options."""

    name: str
    display_name: str
    equation: str
    summary: str
    tasks: tuple[str, ...]
    params: tuple[Param, ...] = ()
    implementation: str | Any = ""
    """The `keras.losses.Loss` class: "module:Class", imported by `load()`, or the class."""

    def load(self) -> Any:
        """The class that implements this entry (importing its module: Keras, TensorFlow)."""
        return resolve(self.implementation, self.name)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


LOSSES: list[LossInfo] = [
    LossInfo(
        "mse",
        "Mean squared error",
        "mean(e^2),  e = y - y_hat",
        "Punishes large errors most; sensitive to outliers.",
        ("regression",),
        implementation="trainers.losses.regression:MeanSquaredError",
    ),
    LossInfo(
        "mae",
        "Mean absolute error",
        "mean(|e|)",
        "Robust to outliers, but its gradient has the same size everywhere, so it converges "
        "slowly near the answer.",
        ("regression",),
        implementation="trainers.losses.regression:MeanAbsoluteError",
    ),
    LossInfo(
        "rmse",
        "Root mean squared error",
        "sqrt(mean over the batch of e^2)",
        "The square root of the batch MSE: in the units of the target.",
        ("regression",),
        implementation="trainers.losses.regression:RootMeanSquaredError",
    ),
    LossInfo(
        "smooth_l1",
        "Smooth L1",
        "0.5 * e^2 / delta   if |e| < delta\n|e| - 0.5 * delta   otherwise",
        "Quadratic near zero and linear beyond: no exploding gradient, no kink.",
        ("regression",),
        (Param("delta", 1.0, _DELTA, low=0.0, low_open=True),),
        implementation="trainers.losses.regression:SmoothL1",
    ),
    LossInfo(
        "huber",
        "Huber",
        "0.5 * e^2                     if |e| <= delta\ndelta * (|e| - 0.5 * delta)   otherwise",
        "Huber's form of Smooth L1: the same shape, scaled by delta.",
        ("regression",),
        (Param("delta", 1.0, _DELTA, low=0.0, low_open=True),),
        implementation="trainers.losses.regression:Huber",
    ),
    LossInfo(
        "binary_crossentropy",
        "Binary cross-entropy",
        "-(y log p + (1 - y) log(1 - p))",
        "For two classes: p is the predicted probability of class 1.",
        ("binary",),
        (_FROM_LOGITS,),
        implementation="trainers.losses.crossentropy:BinaryCrossentropy",
    ),
    LossInfo(
        "categorical_crossentropy",
        "Categorical cross-entropy",
        "-sum_k y_k log softmax(z)_k",
        "For several classes with one-hot labels.",
        ("binary", "multiclass"),
        (_FROM_LOGITS,),
        implementation="trainers.losses.crossentropy:CategoricalCrossentropy",
    ),
    LossInfo(
        "sparse_categorical_crossentropy",
        "Sparse categorical cross-entropy",
        "-log softmax(z)_y",
        "Categorical cross-entropy with an integer label instead of a one-hot vector.",
        ("binary", "multiclass"),
        (_FROM_LOGITS,),
        implementation="trainers.losses.crossentropy:SparseCategoricalCrossentropy",
    ),
]

# ------------------------------------------------------------------------------------- datasets


def _samples(default: int) -> Param:
    return Param(
        "samples", default, "number of points generated", kind="int", low=4, high=1_000_000
    )


def _noise(default: float) -> Param:
    return Param("noise", default, "standard deviation of the noise added", low=0.0, high=10.0)


@dataclass(frozen=True)
class DatasetInfo:
    """A built-in dataset: where it comes from (`kind`), its task and its options.

    Generated datasets take `samples` and `noise`; the run's seed decides both the points and
    the validation split, so one number reproduces a run.
    """

    name: str
    display_name: str
    kind: str  # "generated", "scikit-learn" or "keras"
    task: str
    description: str
    params: tuple[Param, ...] = ()
    loader: str | Any = ""
    """`loader(info, options, seed) -> RawData`: "module:function" or the function itself;
    `options` are the entry's params, checked and with their defaults filled in."""

    def load(self) -> Any:
        """The loader function of this dataset (importing its module); built-in entries
        without one use their kind's loader."""
        return resolve(self.loader or _KIND_LOADERS[self.kind], self.name)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


_KIND_LOADERS = {
    "generated": "trainers.datasets.generated:load",
    "scikit-learn": "trainers.datasets.bundled:load",
    "keras": "trainers.datasets.keras_data:load",
}


def _generated(name, display, task, description, samples=400, noise=0.1) -> DatasetInfo:
    return DatasetInfo(
        name,
        display,
        "generated",
        task,
        description,
        (_samples(samples), _noise(noise)),
    )


DATASETS: list[DatasetInfo] = [
    _generated("moons", "Two moons", "binary", "Two interleaving half circles (2-D)"),
    _generated("circles", "Circles", "binary", "A ring around a disc (2-D)", noise=0.05),
    _generated("spirals", "Spirals", "binary", "Two interleaved spirals (2-D), hard for a line"),
    _generated("xor", "XOR", "binary", "Four quadrants, opposite ones share a class (2-D)"),
    _generated("blobs", "Blobs", "multiclass", "Three Gaussian clusters (2-D)", noise=1.0),
    _generated("sine", "Sine", "regression", "y = sin(x) plus noise (1-D)"),
    _generated(
        "linear_outliers",
        "Line with outliers",
        "regression",
        "y = 2x + 1 plus noise, with 10% gross outliers (1-D)",
        noise=0.2,
    ),
    DatasetInfo(
        "iris", "Iris", "scikit-learn", "multiclass", "150 flowers, 4 measurements, 3 species"
    ),
    DatasetInfo(
        "wine",
        "Wine",
        "scikit-learn",
        "multiclass",
        "178 wines, 13 chemical measurements, 3 cultivars",
    ),
    DatasetInfo(
        "breast_cancer",
        "Breast cancer",
        "scikit-learn",
        "binary",
        "569 tumours, 30 features, malignant or benign",
    ),
    DatasetInfo(
        "digits",
        "Digits (8x8)",
        "scikit-learn",
        "multiclass",
        "1,797 handwritten digits, 8x8 pixels, 10 classes",
    ),
    DatasetInfo(
        "diabetes",
        "Diabetes",
        "scikit-learn",
        "regression",
        "442 patients, 10 measurements, disease progression after a year",
    ),
    DatasetInfo(
        "mnist",
        "MNIST",
        "keras",
        "multiclass",
        "70,000 handwritten digits, 28x28 grey (needs mnist.npz in the Keras cache)",
    ),
    DatasetInfo(
        "fashion_mnist",
        "Fashion-MNIST",
        "keras",
        "multiclass",
        "70,000 clothing images, 28x28 grey, 10 classes (Keras cache)",
    ),
    DatasetInfo(
        "cifar10",
        "CIFAR-10",
        "keras",
        "multiclass",
        "60,000 colour images, 32x32, 10 classes (Keras cache)",
    ),
]


def dataset_info(name: str) -> DatasetInfo:
    """The catalog entry of built-in dataset `name`; ValueError listing the known ones otherwise."""
    return _lookup(DATASETS, name, "dataset")


DEFAULT_LOSS = {
    "regression": "mse",
    "binary": "binary_crossentropy",
    "multiclass": "sparse_categorical_crossentropy",
}


def losses_for(task: str) -> list[LossInfo]:
    """The losses that fit `task` ("regression", "binary" or "multiclass")."""
    return [loss for loss in LOSSES if task in loss.tasks]


def optimizer_info(name: str) -> OptimizerInfo:
    """The catalog entry of optimizer `name` (ours, a plugin's or a Keras built-in);
    ValueError listing the known names otherwise."""
    return _lookup([*OPTIMIZERS, *KERAS_BUILTINS], name, "optimizer")


def comparable_optimizers() -> list[OptimizerInfo]:
    """What a comparison or a benchmark can choose: ours and plugins', then Keras's own."""
    return [*OPTIMIZERS, *KERAS_BUILTINS]


def loss_info(name: str) -> LossInfo:
    """The catalog entry of loss `name`; ValueError listing the known names otherwise."""
    return _lookup(LOSSES, name, "loss")


def _lookup(entries, name: str, what: str):
    for entry in entries:
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in entries)
    raise ValueError(f"Unknown {what} {name!r}. Known: {known}.")


def implementation_modules() -> list[str]:
    """The modules the entries name ("module:attribute"): what a packager must bundle, since
    they are imported by name when first used, not by an import statement."""
    named = [entry.implementation for entry in (*OPTIMIZERS, *KERAS_BUILTINS, *LOSSES)]
    named += [entry.loader or _KIND_LOADERS[entry.kind] for entry in DATASETS]
    return sorted({name.partition(":")[0] for name in named if isinstance(name, str)})


def resolve(implementation: str | Any, owner: str) -> Any:
    """The object an entry names as "module:attribute" (imported now), or the object itself."""
    if not isinstance(implementation, str):
        return implementation
    module, _, attribute = implementation.partition(":")
    if not module or not attribute:
        raise ValueError(
            f"{owner}: the implementation must be written 'module:attribute'. "
            f"Received: {implementation!r}"
        )
    return getattr(importlib.import_module(module), attribute)


class Implementations(Mapping):
    """`name -> implementation` for every entry of a catalog list, read anew at each use, so
    entries registered later are in it; an implementation is imported when first asked for."""

    def __init__(self, entries: list) -> None:
        self._entries = entries

    def __getitem__(self, name: str) -> Any:
        for entry in self._entries:
            if entry.name == name:
                return entry.load()
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter([entry.name for entry in self._entries])

    def __len__(self) -> int:
        return len(self._entries)


# ------------------------------------------------------------------------------- registering
_REGISTRIES = {
    OptimizerInfo: (OPTIMIZERS, "optimizer"),
    LossInfo: (LOSSES, "loss"),
    DatasetInfo: (DATASETS, "dataset"),
}


def register(entry: OptimizerInfo | LossInfo | DatasetInfo):
    """Add `entry` to its list (OPTIMIZERS, LOSSES or DATASETS) and return it.

    From then on it is offered wherever the catalog is read: the window's lists and forms, the
    CLI's help, comparisons and the conformance tests. ValueError if the name is taken.
    """
    entries, what = _REGISTRIES[type(entry)]
    if any(e.name == entry.name for e in entries):
        raise ValueError(f"The catalog already has {what} {entry.name!r}: choose another name.")
    if isinstance(entry, LossInfo) and not set(entry.tasks) <= set(TASKS):
        raise ValueError(
            f"Loss {entry.name!r}: tasks must be among {', '.join(TASKS)}. "
            f"Received: {entry.tasks!r}"
        )
    entries.append(entry)
    return entry


def unregister(entry: OptimizerInfo | LossInfo | DatasetInfo) -> None:
    """Take `entry` (or the entry of that name) out of its list again; no error if absent."""
    entries, _ = _REGISTRIES[type(entry)]
    entries[:] = [e for e in entries if e.name != entry.name]


__all__ = [
    "DATASETS",
    "AVERAGED",
    "DEFAULT_LOSS",
    "KERAS_BUILTIN",
    "KERAS_BUILTINS",
    "comparable_optimizers",
    "DatasetInfo",
    "Implementations",
    "dataset_info",
    "LOSSES",
    "OPTIMIZERS",
    "TASKS",
    "LossInfo",
    "OptimizerInfo",
    "Param",
    "bound_arguments",
    "check_all",
    "fill_from_entry",
    "implementation_modules",
    "loss_info",
    "losses_for",
    "optimizer_info",
    "register",
    "resolve",
    "signature",
    "unregister",
]
