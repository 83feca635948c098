"""A network too big for the machine is refused before it is built (`trainers.memory`): the
estimate's weights are the built network's, and the message says what the estimate is made of."""

from __future__ import annotations

import numpy as np
import pytest

from trainers import build, cli, memory, models
from trainers.config import RunConfig
from trainers.errors import ConfigError


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "pictures.npz"
    np.savez(path, x=rng.random((60, 12, 10, 3)).astype("float32"), y=rng.integers(0, 3, 60))
    return str(path)


@pytest.mark.parametrize(
    ("dataset", "hidden", "architecture"),
    [
        ("digits", (16, 16), "auto"),
        ("sine", (7,), "auto"),
        ("moons", (), "auto"),
        ("images", (20,), "auto"),
        ("images", (8, 4), "mlp"),
    ],  # fmt: skip
)
def test_the_estimated_weights_are_the_built_networks(dataset, hidden, architecture, images):
    config = RunConfig(
        dataset=images if dataset == "images" else dataset,
        hidden_layers=hidden,
        architecture=architecture,
    ).validate()
    data = build.load_dataset(config)
    loss = build.check_run(config, data)
    built = models.build_model(
        data, loss, hidden_layers=hidden, activation="relu", architecture=architecture
    )
    assert build.memory_estimate(config, data, loss).weights == built.count_params()


def test_a_network_too_big_is_refused_with_its_estimate_and_a_small_one_is_not():
    config = RunConfig(
        dataset="digits", hidden_layers=(20_000, 20_000), optimizer="adam"
    ).validate()
    data = build.load_dataset(config)
    loss = build.loss_name(config, data)
    found = build.memory_estimate(config, data, loss)
    assert found.weights == 64 * 20_000 + 20_000 + 20_000 * 20_000 + 20_000 + 20_000 * 10 + 10
    assert found.optimizer_state == 2 * found.parameters  # Adam's m and v
    with pytest.raises(ConfigError) as refused:
        build.check_memory(config, data, loss, available=4 * 10**9)
    words = str(refused.value)
    assert "401,520,010 weights" in words and "4.0 GB available" in words
    assert f"about {memory.gigabytes(found.total)}" in words and len(words) < 400
    build.check_memory(config, data, loss, available=64 * 10**9)  # fits there
    small = RunConfig(dataset="digits").validate()
    build.check_memory(small, data, loss, available=10**9)


def test_the_command_line_refuses_it_before_building_anything(capsys):
    argv = ["train", "--dataset", "digits", "--hidden", "100000,100000", "--epochs", "1"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "10,007,600,010 weights" in err and "Use fewer or smaller hidden layers" in err
