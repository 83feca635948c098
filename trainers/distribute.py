"""Where a run trains: one device, or every GPU at once with `tf.distribute.MirroredStrategy`.

A RunConfig's `distribute` is "none" (the default: TensorFlow's default device) or "mirrored".
Mirrored training keeps a copy of the model on every device, splits each global batch of
`batch_size` samples evenly between them, and adds up their gradients before the one update, so
a run takes the same steps as on one device, only spread out. The model, the optimizer and the
metrics must all be created inside `strategy.scope()`: Keras's TensorFlow optimizer remembers
the strategy it was made under, and variables made outside it would not be mirrored.

The devices are the GPUs TensorFlow sees; on a machine without one, every CPU device, which is
one unless a program split the CPU into logical devices before TensorFlow started (the tests do,
to check two replicas without a GPU). Several machines are another matter: `trainers.multiworker`
and docs/scaling.md.
"""

from __future__ import annotations

import contextlib
import functools

from trainers.errors import ConfigError


def gpu_names() -> list[str]:
    """The GPUs TensorFlow sees, by the name the driver gives (empty when there is none)."""
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return names


def mirrored_devices() -> list[str]:
    """The devices a mirrored run spreads over: every GPU, or else every logical CPU device."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    devices = gpus or tf.config.list_logical_devices("CPU")
    return [device.name for device in devices]


@functools.cache
def mirrored_strategy():
    """The process's one MirroredStrategy over `mirrored_devices()`.

    Made once: each strategy sets up its own cross-device machinery, and the devices cannot
    change once TensorFlow has started.
    """
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(devices=mirrored_devices())


def strategy_scope(distribute: str) -> contextlib.AbstractContextManager:
    """The scope to build, compile and train a model in for `distribute` ("none": no-op)."""
    if distribute == "none":
        return contextlib.nullcontext()
    if distribute == "mirrored":
        return mirrored_strategy().scope()
    raise ConfigError(
        f'Unknown `distribute` {distribute!r}: use "none" (one device) or "mirrored".'
    )


def replicas(distribute: str) -> int:
    """How many copies of the model a run with `distribute` trains at once."""
    return 1 if distribute == "none" else mirrored_strategy().num_replicas_in_sync


def description(distribute: str, device: str) -> str:
    """`device` (from `build.device_description()`), with the replicas of a mirrored run."""
    if distribute == "none":
        return device
    count = replicas(distribute)
    if count == 1:
        return f"{device}, mirrored over 1 device (nothing to share the work with)"
    return f"{device}, mirrored over {count} devices"
