"""The run configuration: everything that decides a training run, validated in one place.

A form in the window and the flags of `main.py train` both become a `RunConfig`; `validate()`
turns every bad value into a `ConfigError` that names the setting, the value and what fits.
Stdlib only, so the window can build and check one before TensorFlow has loaded.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainers import catalog, plugin_folder
from trainers.errors import ConfigError
from trainers.parsing import is_full_batch

SCHEDULES: dict[str, tuple[catalog.Param, ...]] = {
    "constant": (),
    "step": (
        catalog.Param("every", 10, "epochs between two drops of the rate", kind="int", low=1),
        catalog.Param(
            "factor",
            0.5,
            "the rate is multiplied by this at each drop",
            low=0.0,
            high=1.0,
            low_open=True,
        ),
    ),
    "exponential": (
        catalog.Param(
            "decay_rate",
            0.9,
            "the rate is multiplied by this every epoch",
            low=0.0,
            high=1.0,
            low_open=True,
        ),
    ),
    "cosine": (
        catalog.Param("alpha", 0.0, "final rate as a fraction of the first", low=0.0, high=1.0),
    ),
}
SCHEDULE_HELP = {
    "constant": "the same rate for the whole run",
    "step": "multiply the rate by `factor` every `every` epochs",
    "exponential": "multiply the rate by `decay_rate` every epoch, smoothly",
    "cosine": "follow half a cosine from the rate down to alpha * rate over the run",
}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "gelu", "linear")
# The default network: "auto" puts a small CNN in front of the dense layers for images only;
# "mlp" is dense layers alone (on the flattened pixels, for images); "cnn" asks for the CNN.
ARCHITECTURES = ("auto", "mlp", "cnn")
MAX_EPOCHS = 100_000
MAX_SHARPNESS_EVERY = 1_000_000  # steps between two sharpness measurements, at most
MIN_TIME_BUDGET_S = 0.001  # a millisecond: less is a typo, not a budget
MAX_TIME_BUDGET_S = 7 * 24 * 3600.0  # a week of training
# How a run spreads over devices: "mirrored" copies the model onto every GPU (or every logical
# CPU device) and splits each batch between them (tf.distribute.MirroredStrategy).
DISTRIBUTE = ("none", "mirrored")


@dataclass
class RunConfig:
    """Everything that decides one training run.

    `dataset` is a built-in name (see `trainers.catalog.DATASETS`) or the path of a CSV, NPZ or
    image folder. `loss=None` picks the usual loss for the dataset's task. `batch_size` is a
    number of samples or "full" (batch gradient descent); 1 is stochastic gradient descent.
    `seed` decides the initial weights and, unless `data_seed` is given, the data too (the
    points of a generated dataset, the validation split, the order of the batches): runs
    repeated over seeds keep one `data_seed`, so they differ only in where they start.
    `time_budget_s`, if given, ends the run at the first epoch end after that many seconds of
    training (set-up, tracing and pauses not counted), even if epochs are left.
    `sharpness_every` > 0 measures the sharpness (`trainers.sharpness`) at the start and every
    that many steps, on a fixed batch of the training data; 0 (the default) measures none.
    """

    dataset: str = "moons"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    validation_split: float = 0.2
    hidden_layers: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    architecture: str = "auto"
    model_path: str | None = None
    loss: str | None = None
    loss_options: dict[str, Any] = field(default_factory=dict)
    optimizer: str = "adam"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    epochs: int = 20
    time_budget_s: float | None = None
    batch_size: int | str = 32
    schedule: str = "constant"
    schedule_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    data_seed: int | None = None
    jit_compile: bool = False
    steps_per_execution: int | str = "auto"
    distribute: str = "none"
    sharpness_every: int = 0

    @property
    def data_seed_value(self) -> int:
        """The seed of the data: `data_seed`, or `seed` when it is not given."""
        return self.seed if self.data_seed is None else int(self.data_seed)

    # -------------------------------------------------------------------------- validation
    def validate(self) -> RunConfig:
        """Return a checked, normalized copy; raise ConfigError naming the first bad setting."""
        c = dataclasses.replace(self)
        _no_enormous_values(dataclasses.asdict(c))
        if not isinstance(c.dataset, str) or not c.dataset.strip():
            raise ConfigError("No dataset chosen: pick a built-in dataset or open a file.")
        c.dataset = c.dataset.strip()
        for name in ("target", "model_path"):
            value = getattr(c, name)
            if value is not None and not isinstance(value, str):
                raise ConfigError(
                    f"`{name}` must be text (a {'column name' if name == 'target' else 'path'}) "
                    f"or left out. Received: {name}={_shown(value)}"
                )
        c.validation_split = _number("validation_split", c.validation_split, 0.0, 0.9)
        c.seed = _integer("seed", c.seed, 0, 2**31 - 1)
        if c.data_seed is not None:
            c.data_seed = _integer("data_seed", c.data_seed, 0, 2**31 - 1)
        c.epochs = _integer("epochs", c.epochs, 1, MAX_EPOCHS)
        c.sharpness_every = _integer("sharpness_every", c.sharpness_every, 0, MAX_SHARPNESS_EVERY)
        if c.time_budget_s is not None:
            c.time_budget_s = _number(
                "time_budget_s", c.time_budget_s, MIN_TIME_BUDGET_S, MAX_TIME_BUDGET_S
            )
        c.hidden_layers = _layers(c.hidden_layers)
        if not isinstance(c.activation, str) or c.activation not in ACTIVATIONS:
            raise ConfigError(
                f"Unknown activation {_shown(c.activation)}. "
                f"Choose one of: {', '.join(ACTIVATIONS)}."
            )
        c.architecture = _architecture(c.architecture, c.model_path)
        c.batch_size = _batch_size(c.batch_size)
        if c.steps_per_execution != "auto":
            c.steps_per_execution = _integer(
                "steps_per_execution", c.steps_per_execution, 1, 10_000
            )
        if not isinstance(c.jit_compile, bool):  # bool("false") is True: refuse, never guess
            raise ConfigError(
                "`jit_compile` must be true or false. "
                f"Received: jit_compile={_shown(c.jit_compile)}"
            )
        if not isinstance(c.distribute, str) or c.distribute.strip().lower() not in DISTRIBUTE:
            raise ConfigError(
                f'Unknown `distribute` {_shown(c.distribute)}: use "none" (one device) or '
                f'"mirrored" (every GPU, each taking a share of every batch).'
            )
        c.distribute = c.distribute.strip().lower()
        if c.sharpness_every and c.distribute != "none":
            raise ConfigError(
                "Sharpness is measured on one device: set distribute to none, or "
                "sharpness_every to 0."
            )
        if c.distribute == "mirrored" and c.steps_per_execution not in ("auto", 1):
            # Keras 3.15 cannot run several steps per call under a strategy (keras #19246).
            raise ConfigError(
                f'A mirrored run takes one step per call: set steps_per_execution to "auto" '
                f"or 1. Received: steps_per_execution={c.steps_per_execution!r}"
            )

        for name, what in (("optimizer", "an optimizer"), ("loss", "a loss")):
            value = getattr(c, name)
            if not isinstance(value, str) and (name == "optimizer" or value is not None):
                raise ConfigError(
                    f"`{name}` must be the name of {what} (see `main.py list`). "
                    f"Received: {name}={_shown(value)}"
                )
        info = _entry(catalog.optimizer_info, c.optimizer)
        c.hyperparameters = _checked(
            info.params, c.hyperparameters, info.display_name, "hyperparameters"
        )

        if c.loss is not None:
            loss = _entry(catalog.loss_info, c.loss)
            c.loss_options = _checked(
                loss.params, c.loss_options, loss.display_name, "loss_options"
            )
        elif c.loss_options:
            raise ConfigError("Loss options were given but no loss: choose a loss first.")

        if not isinstance(c.schedule, str) or c.schedule not in SCHEDULES:
            raise ConfigError(
                f"Unknown learning-rate schedule {_shown(c.schedule)}. "
                f"Choose one of: {', '.join(SCHEDULES)}."
            )
        c.schedule_options = _checked(
            SCHEDULES[c.schedule], c.schedule_options, f"{c.schedule} schedule", "schedule_options"
        )
        if not isinstance(c.dataset_options, dict):
            raise ConfigError(
                "`dataset_options` must be a table of option = value, like {noise = 0.2}. "
                f"Received: dataset_options={_shown(c.dataset_options)}"
            )
        return c

    def learning_rate(self) -> float:
        """The learning rate this run starts with (the optimizer's default when not set)."""
        info = catalog.optimizer_info(self.optimizer)
        return float(self.hyperparameters.get("learning_rate", info.param("learning_rate").default))

    # ------------------------------------------------------------------------ serialization
    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON and TOML safe: None values are left out)."""
        data = dataclasses.asdict(self)
        data["hidden_layers"] = list(self.hidden_layers)
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Build from plain data; unknown keys are refused with the known ones listed."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(
                f"Unknown setting {', '.join(map(repr, unknown))}. "
                f"Known: {', '.join(sorted(names))}."
            )
        data = dict(data)
        if "hidden_layers" in data and isinstance(data["hidden_layers"], list):
            data["hidden_layers"] = tuple(data["hidden_layers"])
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Read a `.toml` or `.json` run configuration written by `to_toml` / `to_json`."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"Cannot read the configuration file {path}: {exc.strerror}."
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path} is not a UTF-8 text file: save it as UTF-8.") from None
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        try:
            data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"{path} is not valid {kind}: {exc}. Correct the file at that place (text "
                "values need quotes) or write a fresh one with `main.py train ... --out DIR`."
            ) from None
        except (ValueError, RecursionError) as exc:
            # json refuses integers of more than 4300 digits with a plain ValueError, and both
            # parsers give up on lists nested thousands deep: neither is a run configuration.
            reason = (
                "nested too deeply"
                if isinstance(exc, RecursionError)
                else "a number of thousands of digits"
                if "digits" in str(exc)
                else str(exc)
            )
            raise ConfigError(
                f"{path} is not a run configuration ({_clip(reason)}). Write the settings as "
                "name = value, as `main.py train ... --out DIR` saves them."
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path} must hold a table of settings (name = value), not "
                f"{type(data).__name__} {_shown(data)}."
            )
        if not data:  # an empty file is a mistake, not a wish for every default
            raise ConfigError(
                f'{path} holds no settings. Write them as name = value, e.g. dataset = "iris" '
                "and epochs = 20, or leave out --config to train on the defaults."
            )
        try:
            return cls.from_dict(data)
        except ConfigError as exc:  # name the file, so the student knows where to look
            raise ConfigError(f"{path}: {exc}") from None


def _entry(lookup, name: str):
    """The catalog entry `lookup(name)`; its "Unknown ... Known: ..." as a ConfigError."""
    try:
        return lookup(name)
    except ValueError as exc:
        if lookup in (catalog.optimizer_info, catalog.loss_info):  # perhaps a plugin's
            raise ConfigError(f"{exc} {plugin_folder.hint()}") from None
        raise ConfigError(str(exc)) from None


def _checked(
    params: tuple[catalog.Param, ...], values: Any, owner: str, field: str
) -> dict[str, Any]:
    if not isinstance(values, dict):
        example = ", ".join(f"{p.name} = {p.default}" for p in params[:2])
        like = f"like {{{example}}}" if example else "here {} (it takes none)"
        raise ConfigError(
            f"`{field}` ({owner}) must be a table of name = value, {like}. "
            f"Received: {field}={_shown(values)}"
        )
    for name, value in values.items():
        # Options are single numbers, flags or names; anything else cannot be a setting.
        if not isinstance(name, str) or not isinstance(value, str | int | float | bool):
            raise ConfigError(
                f"`{field}`: each option is name = a number, true/false or a name. "
                f"Received: {_shown(name)} = {_shown(value)}"
            )
    try:
        return catalog.check_all(params, values, owner)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _number(name: str, value: Any, low: float, high: float) -> float:
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond any float
        number = math.nan
    if not (math.isfinite(number) and low <= number <= high):
        raise ConfigError(
            f"`{name}` must be a number in [{low:g}, {high:g}]. Received: {name}={_shown(value)}"
        )
    return number


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"`{name}` must be a whole number. Received: {name}={value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond any float
        number = math.nan
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise ConfigError(
            f"`{name}` must be a whole number from {low} to {high}. "
            f"Received: {name}={_shown(value)}"
        )
    return int(number)


def _architecture(value: Any, model_path: str | None) -> str:
    if not isinstance(value, str) or value.strip().lower() not in ARCHITECTURES:
        raise ConfigError(
            f'Unknown `architecture` {_shown(value)}: use "auto" (a small CNN for images, '
            'dense layers otherwise), "mlp" (dense layers only) or "cnn" (images only).'
        )
    value = value.strip().lower()
    if model_path and value != "auto":
        raise ConfigError(
            f"`architecture` ({value}) shapes the default network, but this run trains the "
            f'model in {Path(model_path).name} as it is: leave architecture at "auto" or '
            "leave out model_path."
        )
    return value


def _batch_size(value: Any) -> int | str:
    if is_full_batch(value):
        return "full"
    return _integer("batch_size", value, 1, 1_000_000)


def _layers(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:  # a bare number or a table would otherwise fail deep inside model building
        raise ConfigError(
            '`hidden_layers` must be a list of layer sizes, like [32, 32] (or "32, 32"; [] '
            f"for none). Received: hidden_layers={_shown(value)}"
        )
    if len(parts) > 20:
        raise ConfigError(f"At most 20 hidden layers. Received: {len(parts)}")
    layers = []
    for part in parts:
        try:
            if isinstance(part, bool) or isinstance(part, float) and not part.is_integer():
                raise ValueError(part)  # True or 2.5 units is a mistake, not 1 or 2
            units = int(part)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(
                "Hidden layers must be whole numbers of units, like `32, 32`. "
                f"Received: {_shown(part)}"
            ) from None
        if not 1 <= units <= 100_000:
            raise ConfigError(f"A hidden layer needs from 1 to 100000 units. Received: {units}")
        layers.append(units)
    return tuple(layers)


MAX_TEXT = 4096
"""Longest text a setting may hold (PATH_MAX on Linux): longer is a pasted file, not a value."""


def _no_enormous_values(data: dict[str, Any]) -> None:
    """Refuse text too long to be a setting anywhere in the settings, naming the setting.

    Checked first, so no later message repeats a megabyte of pasted text back at the user: a
    path may be MAX_TEXT long, a name or an option MAX_NAME.
    """

    def check(value: Any, where: str, limit: int) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**60:
            raise ConfigError(
                f"`{where}` holds {_shown(value)}, far beyond any setting. Give a value in "
                "the setting's range (`main.py list` shows the ranges)."
            )
        if isinstance(value, str) and len(value) > limit:
            raise ConfigError(
                f"`{where}` holds {len(value):,} characters of text ({_shown(value)}); it takes "
                f"at most {limit:,}. Check that the right value went into `{where}`."
            )
        if isinstance(value, dict):
            for key, item in value.items():
                check(key, f"{where} (a name)", MAX_NAME)
                check(item, f"{where}.{_clip(str(key))}", MAX_NAME)
        elif isinstance(value, list | tuple):
            for item in value[:1000]:  # 20 hidden layers at most: the rest is refused later
                check(item, where, MAX_NAME)

    for name, value in data.items():
        check(value, name, MAX_TEXT if name in _PATH_LIKE else MAX_NAME)


MAX_NAME = 200
"""Longest name or option text (an optimizer, a schedule, a column, ...)."""
_PATH_LIKE = ("dataset", "model_path", "target")


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _shown(value: Any) -> str:
    """`repr(value)` cut to a readable length: an error message quotes a value, never a file."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**60:
        return f"a whole number of {len(str(abs(value))):,} digits"
    return _clip(repr(value))
