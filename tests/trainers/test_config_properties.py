"""Bad run configurations, generated: any value in any setting, and any bytes in a TOML or JSON
file, end either in a valid configuration or in one ConfigError naming the setting or the file;
and the command line turns that error into exit status 2 and one paragraph on stderr.

`test_config.py` pins one example per rule; these properties try what a student might paste.
Derandomized, so CI sees the same examples every run.
"""

import json
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.files import scratch_folder, write_scratch  # noqa: F401
from tests.processes import run_main
from trainers import cli
from trainers.config import RunConfig
from trainers.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,  # derandomized: nothing to remember, and no .hypothesis folder
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # capsys: read and cleared in every example
    ],
)
LONGEST_MESSAGE = 600
"""A message is a paragraph: longer means it echoes the input back instead of explaining."""

FIELDS = [
    "dataset",
    "dataset_options",
    "target",
    "validation_split",
    "hidden_layers",
    "activation",
    "model_path",
    "loss",
    "loss_options",
    "optimizer",
    "hyperparameters",
    "epochs",
    "batch_size",
    "schedule",
    "schedule_options",
    "seed",
    "jit_compile",
    "steps_per_execution",
    "distribute",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(10**20, 10**400),  # beyond any float
    st.floats(),  # NaN and infinities included
    st.text(max_size=30),
    st.sampled_from(["full", "auto", "adam", "huber", "step", "relu", "32, 32", "1e400", "nan"]),
    st.builds(lambda n, c: c * n, st.integers(5_000, 20_000), st.sampled_from("x9é ")),  # pasted
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.one_of(
                st.sampled_from(["learning_rate", "beta_1", "delta", "every", "noise", "x"]),
                st.text(max_size=10),
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=8,
)


def named(message: str, field: str, value) -> bool:
    """Does the message point at the setting: its name, its words, or the option inside it?"""
    lowered = message.lower()
    if field in message or field.replace("_", " ") in lowered:
        return True
    if field == "dataset" and "dataset" in lowered:
        return True
    if field.endswith(("options", "hyperparameters")) and isinstance(value, dict):
        return any(repr(key)[:20] in message for key in value)
    return False


@SETTINGS
@given(st.sampled_from(FIELDS), VALUES)
def test_any_value_in_any_setting_is_accepted_or_refused_by_name(field, value):
    config = RunConfig(**{field: value})
    if field.endswith("options") and field != "dataset_options":
        # Options are only read with their owner chosen.
        config = RunConfig(loss="huber", schedule="step", **{field: value})
    try:
        checked = config.validate()
    except ConfigError as exc:
        message = str(exc)
        assert named(message, field, value), f"{field} not named in {message!r}"
        assert len(message) <= LONGEST_MESSAGE, f"{len(message)} characters: {message[:200]!r}"
    else:  # accepted values come out in the types the engine relies on
        assert isinstance(checked.epochs, int) and 1 <= checked.epochs
        assert isinstance(checked.jit_compile, bool)
        assert all(isinstance(u, int) and u >= 1 for u in checked.hidden_layers)
        assert checked.batch_size == "full" or isinstance(checked.batch_size, int)
        assert math.isfinite(checked.validation_split)


@SETTINGS
@given(
    st.sampled_from(["validation_split", "epochs", "batch_size", "seed", "steps_per_execution"]),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not math.isfinite(v)),
        st.integers(10**18, 10**400),
        st.integers(max_value=-1),
        st.sampled_from(["nan", "inf", "-1", "", "ten"]),
    ),
)
def test_non_finite_huge_or_negative_numbers_are_refused_naming_the_setting(field, value):
    try:
        RunConfig(**{field: value}).validate()
    except ConfigError as exc:
        assert field in str(exc) and len(str(exc)) <= LONGEST_MESSAGE
    else:
        raise AssertionError(f"{field}={value!r} was accepted")


@SETTINGS
@given(
    st.sampled_from(["hyperparameters", "loss_options", "schedule_options"]),
    st.sampled_from(["learning_rate", "delta", "every", "factor", "beta_1"]),
    st.one_of(
        st.just(math.nan),
        st.just(math.inf),
        st.integers(10**309, 10**400),
        st.lists(st.integers(), max_size=3),
        st.builds(lambda n: "z" * n, st.integers(300, 3000)),
    ),
)
def test_a_bad_option_value_is_refused_naming_the_option(field, option, value):
    config = RunConfig(loss="huber", schedule="step", **{field: {option: value}})
    try:
        config.validate()
    except ConfigError as exc:
        message = str(exc)
        assert option in message or field in message
        assert len(message) <= LONGEST_MESSAGE
    else:
        raise AssertionError(f"{field}={{{option}: {value!r}}} was accepted")


# -------------------------------------------------------------------------------- config files


def write(name: str, content: bytes) -> Path:
    return write_scratch(name, content, "descent-config-")


def read(path: Path) -> str | None:
    """The ConfigError's message, or None when the file read and validated."""
    try:
        RunConfig.from_file(path).validate()
    except ConfigError as exc:
        message = str(exc)
        assert path.name in message or "`" in message, f"neither file nor setting: {message!r}"
        assert len(message) <= LONGEST_MESSAGE + len(str(path))
        return message
    return None


SUFFIX = st.sampled_from(["run.toml", "run.json"])


@SETTINGS
@given(st.binary(max_size=2000), SUFFIX)
def test_random_bytes_as_a_config_file_are_refused_by_name(content, name):
    message = read(write(name, content))
    if content.strip() == b"":
        assert message is not None and name in message


@SETTINGS
@given(st.text(max_size=300), SUFFIX)
def test_random_text_as_a_config_file_is_read_or_refused_by_name(content, name):
    read(write(name, content.encode("utf-8", "surrogatepass")))


def valid_files():
    config = RunConfig(
        dataset="moons",
        optimizer="rmsprop",
        hyperparameters={"rho": 0.8},
        loss="binary_crossentropy",
        hidden_layers=(8, 4),
        schedule="step",
        schedule_options={"every": 2, "factor": 0.5},
        epochs=3,
    )
    return {"run.toml": config.to_toml().encode(), "run.json": config.to_json().encode()}


@SETTINGS
@given(SUFFIX, st.data())
def test_a_truncated_config_file_is_read_or_refused_by_name(name, data):
    content = valid_files()[name]
    cut = data.draw(st.integers(0, len(content) - 1))
    message = read(write(name, content[:cut]))
    if cut == 0:
        assert message is not None and "no settings" in message or "not valid" in message


@SETTINGS
@given(SUFFIX, st.sampled_from(["latin-1", "utf-16", "utf-32", "cp1252"]))
def test_a_config_file_not_in_utf8_is_refused_naming_the_encoding(name, encoding):
    text = valid_files()[name].decode().replace("moons", "mööns")
    message = read(write(name, text.encode(encoding)))
    assert message is not None and "UTF-8" in message and name in message


@SETTINGS
@given(
    st.sampled_from(["epochs", "validation_split", "seed", "batch_size"]),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "1" * 5000, "-5", '"' + "x" * 10_000 + '"']),
)
def test_a_bad_number_in_a_json_file_is_refused_naming_the_setting(field, literal):
    data = json.loads(valid_files()["run.json"])
    data.pop(field, None)
    text = json.dumps(data)[:-1] + f', "{field}": {literal.replace("inf", "Infinity")}}}'
    message = read(write("run.json", text.encode()))
    assert message is not None and (field in message or "run.json" in message)


def test_a_config_nested_thousands_deep_is_refused_by_name():
    for name, text in (("deep.json", "[" * 100_000), ("deep.toml", "a = " + "[" * 100_000)):
        message = read(write(name, text.encode()))
        assert message is not None and name in message


# -------------------------------------------------------------------------- the command line


@settings(SETTINGS, max_examples=12)
@given(
    st.sampled_from(
        [
            "epochs = 0",
            "epochs = nan",
            "epochs = 1e400",
            'hidden_layers = "many"',
            "hidden_layers = 32",
            'schedule = "step"\n[schedule_options]\nevery = inf',
            'jit_compile = "false"',
            'optimizer = ["adam"]',
            "[hyperparameters]\nlearning_rate = -1",
            'dataset = "' + "d" * 5000 + '"',
            "epochs = = 3",
            "",
        ]
    )
)
def test_the_cli_exits_2_with_one_paragraph_for_a_bad_config(capsys, body):
    path = write("run.toml", body.encode())
    status = cli.main(["train", "--config", str(path), "--quiet", "--no-model"])
    out, err = capsys.readouterr()
    assert status == cli.EXIT_BAD_INPUT
    assert err.startswith("descent: ") and "Traceback" not in err
    assert len(err) <= LONGEST_MESSAGE + len(str(path)) + 20


@settings(SETTINGS, max_examples=10)
@given(
    st.sampled_from(
        [
            ["--epochs", "9" * 400],
            ["--set", "schedule.every=inf", "--schedule", "step"],
            ["--set", "schedule.every=1e400", "--schedule", "step"],
            ["--set", "learning_rate=nan"],
            ["--set", "beta_1=" + "9" * 500],
            ["--hidden", "0"],
            ["--hidden", "2.5"],
            ["--batch-size", "many"],
            ["--validation-split", "inf"],
        ]
    )
)
def test_the_cli_exits_2_for_bad_flags(capsys, flags):
    status = cli.main(["train", "--dataset", "moons", "--quiet", "--no-model", *flags])
    _, err = capsys.readouterr()
    assert status == cli.EXIT_BAD_INPUT
    assert err.startswith("descent: ") and "Traceback" not in err
    assert len(err) <= LONGEST_MESSAGE


def test_main_py_train_with_a_bad_config_file_exits_2_without_a_traceback(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('dataset = "moons"\nepochs = 3\nhidden_layers = 32\n')
    done = run_main("train", "--config", config, "--quiet", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "hidden_layers" in done.stderr and "[32, 32]" in done.stderr
    assert done.stdout == ""
