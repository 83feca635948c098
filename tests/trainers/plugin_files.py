"""Plugin files the plugin tests write to disk: a sign-SGD with its catalog entry, one read
from its signature with a loss, broken ones, and a fixture that points the plugin folder at a
temporary one (platformdirs reads XDG_CONFIG_HOME) and unloads every plugin a test loaded."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trainers import plugins

SIGN_SGD = textwrap.dedent(
    '''
    """A sign-SGD: every weight moves eta, whatever its slope (Bernstein et al. 2018)."""
    import keras
    from keras import ops

    DESCENT_CATALOG = {
        "SignSGD": {
            "name": "sign_sgd",
            "display_name": "Sign SGD",
            "equation": "w <- w - eta * sign(g)",
            "summary": "Steps by the sign of the gradient alone.",
            "hyperparameters": {
                "learning_rate": {
                    "default": 0.01,
                    "low": 0.0,
                    "low_open": True,
                    "log_scale": True,
                    "meaning": "eta: how far each weight moves",
                },
            },
        },
    }


    class SignSGD(keras.optimizers.Optimizer):
        """w <- w - eta * sign(g)."""

        def __init__(self, learning_rate=0.01, name="sign_sgd", **kwargs):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)

        def update_step(self, gradient, variable, learning_rate):
            lr = ops.cast(learning_rate, variable.dtype)
            step = ops.sign(ops.cast(gradient, variable.dtype))
            self.assign_sub(variable, ops.multiply(lr, step))
    '''
)

FROM_SIGNATURE = textwrap.dedent(
    '''
    """An optimizer and a loss with no DESCENT_CATALOG: read from their signatures."""
    import keras
    from keras import ops


    class DampedSGD(keras.optimizers.Optimizer):
        """SGD whose step is scaled by damping."""

        def __init__(self, learning_rate=0.05, beta_1=0.9, damping=2.0, steps=3,
                     centered=False, name="damped_sgd", **kwargs):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)
            self.beta_1, self.damping, self.steps, self.centered = beta_1, damping, steps, centered

        def update_step(self, gradient, variable, learning_rate):
            lr = ops.cast(learning_rate, variable.dtype) / self.damping
            self.assign_sub(variable, ops.multiply(lr, gradient))

        def get_config(self):
            return {**super().get_config(), "beta_1": self.beta_1, "damping": self.damping,
                    "steps": self.steps, "centered": self.centered}


    class MeanQuartic(keras.losses.Loss):
        """Mean quartic error."""

        def __init__(self, power=4, name="mean_quartic", **kwargs):
            super().__init__(name=name, **kwargs)
            self.power = power

        def call(self, y_true, y_pred):
            return ops.mean(ops.power(y_true - y_pred, self.power), axis=-1)

        def get_config(self):
            return {**super().get_config(), "power": self.power}
    '''
)

NAN_SGD = textwrap.dedent(
    '''
    """A broken optimizer: every update is NaN."""
    import keras
    from keras import ops


    class NanSGD(keras.optimizers.Optimizer):
        """Divides by zero."""

        def __init__(self, learning_rate=0.01, name="nan_sgd", **kwargs):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)

        def update_step(self, gradient, variable, learning_rate):
            lr = ops.cast(learning_rate, variable.dtype)
            self.assign_sub(variable, lr * gradient / ops.zeros_like(gradient) * 0.0)
    '''
)

BROKEN = {
    "syntax.py": "def broken(:\n",
    "raises.py": "import keras\nraise RuntimeError('this plugin refuses to load')\n",
    "taken.py": SIGN_SGD.replace('"name": "sign_sgd"', '"name": "sgd"')
    .replace("class SignSGD", "class TakenSGD")
    .replace('"SignSGD": {', '"TakenSGD": {'),
    "empty.py": "VALUE = 1\n",
}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def plugin_folder(tmp_path, monkeypatch):
    """The plugin folder, in a temporary config folder; every plugin a test loaded is
    unloaded again afterwards."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = plugins.plugin_folder()
    assert folder.is_relative_to(tmp_path)
    before = list(plugins.LOADED)
    yield folder
    for plugin in [p for p in plugins.LOADED if p not in before]:
        plugins.unload(plugin)
