"""The default network's architecture: an MLP or a small CNN for a folder of images, from a
RunConfig, a run.toml and the command line; a CNN is refused for data that are not images."""

import numpy as np
import pytest
import tensorflow as tf

from trainers import cli
from trainers.config import RunConfig
from trainers.errors import ConfigError
from trainers.session import TrainingSession


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """A folder of two classes of 8x8 RGB pictures: bright and dark."""
    root = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for label, level in (("bright", 200), ("dark", 40)):
        (root / label).mkdir()
        for i in range(8):
            pixels = np.clip(rng.normal(level, 20, (8, 8, 3)), 0, 255).astype(np.uint8)
            (root / label / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    return root


def kinds(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def run(pictures, architecture: str):
    config = RunConfig(
        dataset=str(pictures),
        dataset_options={"image_size": 8},
        architecture=architecture,
        hidden_layers=(8,),
        epochs=1,
        batch_size=4,
    )
    result = TrainingSession(config).run()
    assert result.status == "completed", result.message
    return result


def test_images_train_a_cnn_or_an_mlp_as_chosen(pictures):
    cnn, auto, mlp = (run(pictures, a) for a in ("cnn", "auto", "mlp"))
    assert kinds(cnn.model).count("Conv2D") == 2 and kinds(auto.model) == kinds(cnn.model)
    assert "Conv2D" not in kinds(mlp.model) and "MaxPooling2D" not in kinds(mlp.model)
    assert kinds(mlp.model)[:2] == ["InputLayer", "Flatten"]
    assert kinds(mlp.model).count("Dense") == 2  # the hidden layer and the output
    assert mlp.model.input_shape == (None, 8, 8, 3)  # the pictures go in as they are
    assert cnn.info.model_summary != mlp.info.model_summary
    pixels = np.zeros((2, 8, 8, 3), np.float32)
    assert mlp.model.predict(pixels, verbose=0).shape == (2, 1)


def test_a_cnn_for_data_that_are_not_images_is_refused_saying_what_fits():
    # Bad input, like a loss that does not fit: refused before the model is built.
    with pytest.raises(ConfigError) as caught:
        TrainingSession(RunConfig(dataset="moons", architecture="cnn", epochs=1)).run()
    message = str(caught.value)
    assert "CNN needs images" in message and "moons" in message
    assert "--architecture mlp" in message


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"architecture": "rnn"}, ["`architecture`", "'rnn'", '"mlp"', '"cnn"']),
        ({"architecture": 3}, ["`architecture`", "3"]),
        ({"architecture": "cnn", "model_path": "mine.keras"}, ["mine.keras", '"auto"']),
    ],
)
def test_a_wrong_architecture_is_refused_before_training(changes, words):
    with pytest.raises(ConfigError) as caught:
        RunConfig(**changes).validate()
    for word in words:
        assert word in str(caught.value), f"{word!r} not in {caught.value}"


def test_architecture_is_read_from_a_run_toml_and_normalized(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('dataset = "iris"\narchitecture = " MLP "\n')
    assert RunConfig.from_file(toml).validate().architecture == "mlp"


def test_cli_architecture_flag_trains_an_mlp_on_images_and_saves_the_choice(
    pictures, tmp_path, capsys
):
    out = tmp_path / "run"
    args = ["train", "--dataset", str(pictures), "--set", "dataset.image_size=8"]
    args += ["--architecture", "mlp", "--epochs", "1", "--hidden", "4", "--quiet"]
    assert cli.main([*args, "--out", str(out)]) == 0
    assert RunConfig.from_file(out / "run.toml").architecture == "mlp"
    capsys.readouterr()
    assert cli.main(["train", "--dataset", "moons", "--architecture", "cnn", "--quiet"]) != 0
    said = capsys.readouterr()
    assert "CNN needs images" in said.out + said.err
