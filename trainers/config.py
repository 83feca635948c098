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

from trainers import catalog
from trainers.errors import ConfigError

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
MAX_EPOCHS = 100_000


@dataclass
class RunConfig:
    """Everything that decides one training run.

    `dataset` is a built-in name (see `trainers.catalog.DATASETS`) or the path of a CSV, NPZ or
    image folder. `loss=None` picks the usual loss for the dataset's task. `batch_size` is a
    number of samples or "full" (batch gradient descent); 1 is stochastic gradient descent.
    """

    dataset: str = "moons"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    validation_split: float = 0.2
    hidden_layers: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    model_path: str | None = None
    loss: str | None = None
    loss_options: dict[str, Any] = field(default_factory=dict)
    optimizer: str = "adam"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    epochs: int = 20
    batch_size: int | str = 32
    schedule: str = "constant"
    schedule_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    jit_compile: bool = False
    steps_per_execution: int | str = "auto"

    # -------------------------------------------------------------------------- validation
    def validate(self) -> RunConfig:
        """Return a checked, normalized copy; raise ConfigError naming the first bad setting."""
        c = dataclasses.replace(self)
        if not isinstance(c.dataset, str) or not c.dataset.strip():
            raise ConfigError("No dataset chosen: pick a built-in dataset or open a file.")
        c.dataset = c.dataset.strip()
        c.validation_split = _number("validation_split", c.validation_split, 0.0, 0.9)
        c.seed = _integer("seed", c.seed, 0, 2**31 - 1)
        c.epochs = _integer("epochs", c.epochs, 1, MAX_EPOCHS)
        c.hidden_layers = _layers(c.hidden_layers)
        if c.activation not in ACTIVATIONS:
            raise ConfigError(
                f"Unknown activation {c.activation!r}. Choose one of: {', '.join(ACTIVATIONS)}."
            )
        c.batch_size = _batch_size(c.batch_size)
        if c.steps_per_execution != "auto":
            c.steps_per_execution = _integer(
                "steps_per_execution", c.steps_per_execution, 1, 10_000
            )
        c.jit_compile = bool(c.jit_compile)

        try:
            info = catalog.optimizer_info(c.optimizer)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        c.hyperparameters = _checked(info.params, c.hyperparameters, info.display_name)

        if c.loss is not None:
            try:
                loss = catalog.loss_info(c.loss)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            c.loss_options = _checked(loss.params, c.loss_options, loss.display_name)
        elif c.loss_options:
            raise ConfigError("Loss options were given but no loss: choose a loss first.")

        if c.schedule not in SCHEDULES:
            raise ConfigError(
                f"Unknown learning-rate schedule {c.schedule!r}. "
                f"Choose one of: {', '.join(SCHEDULES)}."
            )
        c.schedule_options = _checked(
            SCHEDULES[c.schedule], c.schedule_options, f"{c.schedule} schedule"
        )
        if not isinstance(c.dataset_options, dict):
            raise ConfigError("dataset_options must be a table of option = value.")
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
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path} is not valid {path.suffix[1:].upper()}: {exc}.") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a table of settings.")
        return cls.from_dict(data)


def _checked(params: tuple[catalog.Param, ...], values: Any, owner: str) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ConfigError(f"{owner}: options must be a table of name = value.")
    try:
        return catalog.check_all(params, values, owner)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _number(name: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"`{name}` must be a number. Received: {name}={value!r}") from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ConfigError(f"`{name}` must be in [{low:g}, {high:g}]. Received: {name}={value!r}")
    return number


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"`{name}` must be a whole number. Received: {name}={value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"`{name}` must be a whole number. Received: {name}={value!r}") from None
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise ConfigError(
            f"`{name}` must be a whole number from {low} to {high}. Received: {name}={value!r}"
        )
    return int(number)


def _batch_size(value: Any) -> int | str:
    if isinstance(value, str) and value.strip().lower() in ("full", "batch", "all"):
        return "full"
    return _integer("batch_size", value, 1, 1_000_000)


def _layers(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
    else:
        parts = list(value)
    layers = []
    for part in parts:
        try:
            units = int(part)
        except (TypeError, ValueError):
            raise ConfigError(
                f"Hidden layers must be whole numbers of units, like `32, 32`. Received: {part!r}"
            ) from None
        if not 1 <= units <= 100_000:
            raise ConfigError(f"A hidden layer needs from 1 to 100000 units. Received: {units}")
        layers.append(units)
    if len(layers) > 20:
        raise ConfigError(f"At most 20 hidden layers. Received: {len(layers)}")
    return tuple(layers)
