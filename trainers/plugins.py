"""Plugins: a Python file that defines a Keras optimizer or loss, loaded into the catalog.

A plugin is one `.py` file. It runs only from the plugin folder (`plugin_folder()`, the user's
config folder for "descent" plus "plugins", every `*.py` there not starting with "_" or ".") or
from an explicit `--plugin FILE.py`; never because a model, a run or a configuration file names
it. Every `keras.optimizers.Optimizer` and `keras.losses.Loss` subclass the file *defines* (not
one it imports) is registered with the catalog, so it appears in every list, form, the CLI's
help, compare and benchmark, and with Keras's serialization under the package
"descent_plugin", so a model saved with it reloads once the plugin is loaded again.

Each class's catalog entry comes from an optional module-level `DESCENT_CATALOG`, one dict per
class name; every key is optional::

    DESCENT_CATALOG = {
        "SignSGD": {
            "name": "sign_sgd",                  # catalog name (default: the class name
                                                 #   in snake_case)
            "display_name": "Sign SGD",          # default: the class name
            "equation": "w <- w - eta * sign(g)",
            "summary": "Steps by the sign of the gradient alone.",  # default: docstring line
            "hyperparameters": {                 # default: read from __init__'s signature
                "learning_rate": {
                    "default": 0.01,             # default: the signature's default
                    "low": 0.0, "low_open": True,  # the valid range (None: unbounded)
                    "high": None, "high_open": False,
                    "kind": "float",             # float, int, bool or choice ("choices": [...])
                    "log_scale": True,           # shown and tuned on a log scale
                    "search": [1e-4, 1.0],       # the range a benchmark tunes it over
                                                 #   (a rate's default: 1e-2 to 1e3 x it)
                    "meaning": "eta: how far each update moves the weights",
                },
            },
            "tasks": ["regression"],             # a loss only: regression, binary, multiclass
        },
    }

Without an entry (or without its "hyperparameters"), the constructor's signature is read: each
argument with a number or a bool as default becomes a hyperparameter (Keras's own keywords,
`name`, `clipnorm`, `reduction` ... are left to Keras). `learning_rate` is positive, on a log
scale, tuned over 1e-2 to 1e3 times its default; `epsilon` positive, log scale; a beta, rho,
momentum or decay between 0 and 1 is in [0, 1); any other non-negative number in [0, inf). A
loss without "tasks" is offered for regression.

A plugin that fails (a syntax error, an exception while it is imported, a name the catalog
already has, no class found) is reported as a `Plugin` with its traceback and skipped, the
entries it had registered taken out again: `load_plugins` never raises.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import traceback
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from trainers import catalog
from trainers.catalog import LossInfo, OptimizerInfo, Param
from trainers.plugin_folder import hint, plugin_folder

MAX_BYTES = 1_000_000
"""A plugin is a source file, not a data file: larger ones are refused unread."""

KERAS_PACKAGE = "descent_plugin"
"""The Keras serialization package plugin classes are registered under ("descent_plugin>X")."""

FOLDER, COMMAND_LINE = "plugin folder", "--plugin"

# Keras's own keywords of Optimizer and Loss: passed through, never a catalog hyperparameter.
KERAS_KEYWORDS = frozenset(
    {
        "name",
        "weight_decay",
        "clipnorm",
        "clipvalue",
        "global_clipnorm",
        "use_ema",
        "ema_momentum",
        "ema_overwrite_frequency",
        "loss_scale_factor",
        "gradient_accumulation_steps",
        "reduction",
        "dtype",
    }
)
_UNIT_RATES = re.compile(r"^(beta(_?\d+)?|rho|momentum|.*decay)$")


@dataclass
class Plugin:
    """One plugin file: where it came from, the entries it registered, or why it failed."""

    path: Path
    source: str
    """FOLDER or COMMAND_LINE: where Descent was told to load it from."""
    entries: tuple = ()
    """The OptimizerInfo / LossInfo entries registered (their `implementation` the class)."""
    error: str | None = None
    """The full traceback (or the reason) when it failed; None when it loaded."""
    module_name: str = ""
    classes: dict[str, str] = field(default_factory=dict)
    """catalog name -> class name."""
    broke: list[str] = field(default_factory=list)
    """The tracebacks of the runs it broke mid-run (`note_broken_run`)."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        """One line: what it registered, or why it was skipped (the error's last line)."""
        if self.ok:
            names = ", ".join(entry.name for entry in self.entries)
            return f"plugin {self.path.name} ({self.source}: {self.path}): {names}"
        last = self.error.strip().splitlines()[-1] if self.error.strip() else "failed"
        return f"descent: plugin {self.path} skipped: {last}"


LOADED: list[Plugin] = []
"""Every plugin this process tried to load, in order, failures included."""


def folder_files(folder: Path | None = None) -> list[Path]:
    """The plugin files of `folder` (default: `plugin_folder()`), sorted; none if it is absent."""
    folder = plugin_folder() if folder is None else Path(folder)
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.glob("*.py") if p.is_file() and not p.name.startswith(("_", "."))
    )


def load_plugins(
    extra: Iterable[Path | str] = (), folder: Path | None = None, use_folder: bool = True
) -> list[Plugin]:
    """Load the plugin folder's files (unless `use_folder` is false), then `extra`, in order.

    A file this process already tried is not run again: its earlier `Plugin` is returned.
    Never raises; a failure is a `Plugin` whose `error` holds the traceback.
    """
    wanted = [(p, FOLDER) for p in (folder_files(folder) if use_folder else [])]
    wanted += [(Path(p), COMMAND_LINE) for p in extra]
    plugins, seen = [], set()
    for path, source in wanted:
        key = _key(path)
        if key in seen:
            continue
        seen.add(key)
        earlier = next((p for p in LOADED if _key(p.path) == key), None)
        plugins.append(earlier or load_plugin(path, source))
    return plugins


def load_plugin(path: Path | str, source: str = COMMAND_LINE) -> Plugin:
    """Import one plugin file and register its classes; a failed `Plugin` instead of raising."""
    path = Path(path)
    plugin = Plugin(path, source, module_name=_module_name(path))
    try:
        _load(plugin)
    except Exception:  # a plugin is someone else's code: anything it raises is its failure
        plugin.error = traceback.format_exc()
        for entry in plugin.entries:
            catalog.unregister(entry)
        plugin.entries = ()
        plugin.classes = {}
        sys.modules.pop(plugin.module_name, None)
    LOADED.append(plugin)
    return plugin


def unload(plugin: Plugin) -> None:
    """Take a plugin's entries out of the catalog again (tests; nothing else needs it)."""
    for entry in plugin.entries:
        catalog.unregister(entry)
    sys.modules.pop(plugin.module_name, None)
    if plugin in LOADED:
        LOADED.remove(plugin)


def origin(name: str) -> Plugin | None:
    """The loaded plugin that registered catalog entry `name`, if any."""
    return next((p for p in LOADED if p.ok and name in p.classes), None)


def note_broken_run(optimizer: str, loss: str | None, traceback_text: str) -> Plugin | None:
    """The plugin whose optimizer or loss a run that ended in an unexpected error used, with
    the traceback kept in its `broke`; None when neither is a plugin's."""
    plugin = origin(optimizer) or (origin(loss) if loss else None)
    if plugin is not None and traceback_text:
        plugin.broke.append(traceback_text)
    return plugin


class PluginError(Exception):
    """Why a plugin file cannot be used (its message is the whole story)."""


def _load(plugin: Plugin) -> None:
    path = plugin.path
    if path.suffix != ".py":
        raise PluginError(f"{path}: a plugin is a Python file ending in .py")
    if not path.is_file():
        raise PluginError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise PluginError(f"{path}: {size} bytes, over the {MAX_BYTES} a plugin may have")
    import keras

    spec = importlib.util.spec_from_file_location(plugin.module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"{path}: Python cannot import it")
    module = importlib.util.module_from_spec(spec)
    sys.modules[plugin.module_name] = module  # dataclasses and pickling look a module up here
    spec.loader.exec_module(module)

    described = getattr(module, "DESCENT_CATALOG", {}) or {}
    if not isinstance(described, dict):
        raise PluginError(f"{path}: DESCENT_CATALOG must be a dict of class name -> entry")
    defined = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and value.__module__ == module.__name__
        and not value.__name__.startswith("_")
        and issubclass(value, (keras.optimizers.Optimizer, keras.losses.Loss))
    ]
    if not defined:
        raise PluginError(
            f"{path}: defines no keras.optimizers.Optimizer or keras.losses.Loss subclass"
        )
    unknown = sorted(set(described) - {cls.__name__ for cls in defined})
    if unknown:
        raise PluginError(f"{path}: DESCENT_CATALOG names no class it defines: {unknown}")
    entries = []
    for cls in defined:
        taken = keras.saving.get_registered_object(f"{KERAS_PACKAGE}>{cls.__name__}")
        if taken is not None and taken is not cls and _still_loaded(taken):
            raise PluginError(
                f"{path}: another plugin already registered a class named {cls.__name__}"
            )
        entry = entry_for(cls, described.get(cls.__name__, {}), keras)
        if isinstance(entry, OptimizerInfo) and _known_optimizer(entry.name):
            raise PluginError(f"{path}: the catalog already has optimizer {entry.name!r}")
        catalog.register(entry)  # ValueError if the catalog has the name: the plugin fails
        entries.append(entry)
        plugin.entries = tuple(entries)
        plugin.classes[entry.name] = cls.__name__
    for cls in defined:
        keras.saving.register_keras_serializable(package=KERAS_PACKAGE)(cls)


def entry_for(cls, described: dict, keras) -> OptimizerInfo | LossInfo:
    """The catalog entry of plugin class `cls`, from its DESCENT_CATALOG entry `described`."""
    if not isinstance(described, dict):
        raise PluginError(f"DESCENT_CATALOG[{cls.__name__!r}] must be a dict")
    name = described.get("name") or _snake(cls.__name__)
    display = described.get("display_name") or cls.__name__
    summary = described.get("summary") or _first_line(cls.__doc__) or f"{display} (a plugin)."
    equation = described.get("equation") or "(the plugin gives no equation)"
    if "hyperparameters" in described:
        params = tuple(_param(n, spec) for n, spec in described["hyperparameters"].items())
    else:
        params = signature_params(cls)
    if issubclass(cls, keras.optimizers.Optimizer):
        return OptimizerInfo(name, display, equation, summary, params, implementation=cls)
    tasks = tuple(described.get("tasks") or ("regression",))
    return LossInfo(name, display, equation, summary, tasks, params, implementation=cls)


def signature_params(cls) -> tuple[Param, ...]:
    """Hyperparameters read from `cls.__init__`: each argument with a number or bool default."""
    params = []
    for argument in inspect.signature(cls.__init__).parameters.values():
        default = argument.default
        if argument.name in KERAS_KEYWORDS or argument.name == "self":
            continue
        if isinstance(default, bool):
            params.append(Param(argument.name, default, argument.name, kind="bool"))
        elif isinstance(default, int | float):
            params.append(_numeric(argument.name, default))
    return tuple(params)


def _numeric(name: str, default: int | float) -> Param:
    kind = "int" if isinstance(default, int) else "float"
    if name == "learning_rate":
        search = (default * 1e-2, default * 1e3) if default > 0 else None
        return Param(name, float(default), "learning rate eta", low=0.0, low_open=True,
                     log_scale=True, search=search)  # fmt: skip
    if name in ("epsilon", "eps"):
        return Param(name, default, name, kind=kind, low=0.0, low_open=True, log_scale=True)
    if kind == "float" and _UNIT_RATES.match(name) and 0 <= default < 1:
        return Param(name, default, name, low=0.0, high=1.0, high_open=True)
    return Param(name, default, name, kind=kind, low=0.0 if default >= 0 else None)


def _param(name: str, spec: dict) -> Param:
    if not isinstance(spec, dict) or "default" not in spec:
        raise PluginError(f"hyperparameter {name!r}: a dict with at least a 'default'")
    default = spec["default"]
    kind = spec.get("kind") or (
        "bool" if isinstance(default, bool) else "int" if isinstance(default, int) else "float"
    )
    search = spec.get("search")
    if (
        search is None
        and name == "learning_rate"
        and isinstance(default, int | float)
        and default > 0
    ):
        search = (default * 1e-2, default * 1e3)  # as ours: two decades below, three above
    return Param(
        name,
        default,
        spec.get("meaning", name),
        kind=kind,
        low=spec.get("low"),
        high=spec.get("high"),
        low_open=bool(spec.get("low_open", False)),
        high_open=bool(spec.get("high_open", False)),
        choices=tuple(spec.get("choices", ())),
        log_scale=bool(spec.get("log_scale", False)),
        search=tuple(search) if search else None,
    )


def _known_optimizer(name: str) -> bool:
    """Whether `name` is an optimizer of the catalog already (ours, a Keras built-in ...)."""
    try:
        catalog.optimizer_info(name)
    except ValueError:
        return False
    return True


def _still_loaded(cls) -> bool:
    return any(p.ok and cls.__name__ in p.classes.values() for p in LOADED)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _first_line(doc: str | None) -> str:
    return inspect.cleandoc(doc).splitlines()[0] if doc and doc.strip() else ""


def _key(path: Path) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)


def _module_name(path: Path) -> str:
    stem = re.sub(r"\W", "_", path.stem)
    return f"descent_plugin_{stem}_{zlib.crc32(_key(path).encode()):08x}"


__all__ = [
    "COMMAND_LINE",
    "FOLDER",
    "KERAS_PACKAGE",
    "LOADED",
    "Plugin",
    "entry_for",
    "folder_files",
    "hint",
    "load_plugin",
    "load_plugins",
    "origin",
    "plugin_folder",
    "signature_params",
    "unload",
]
