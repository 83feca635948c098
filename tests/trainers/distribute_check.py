"""Trains runs on one device and mirrored over N logical CPU devices; prints both as JSON.

Run by tests/trainers/test_distribute.py in a fresh interpreter, because the CPU can be split
into logical devices only before TensorFlow first lists its devices, which any earlier test in
the same process has already done:

    python tests/trainers/distribute_check.py --devices 2 --loss mse --dataset sine

For every optimizer asked for, it trains the same RunConfig twice through the real
TrainingSession (with the optimizer probe on), once with distribute="none" and once with
"mirrored", and prints one JSON object: {optimizer: {"none": run, "mirrored": run}} where a run
holds its replicas, step losses, effective learning rates, epoch losses and final weights.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ["DESCENT_OFFLINE"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def split_cpu(devices: int) -> None:
    """Make `devices` logical CPU devices (must run before TensorFlow lists its devices).

    GPUs are hidden, so a mirrored run spreads over these CPU devices on any machine.
    """
    import tensorflow as tf

    tf.config.set_visible_devices([], "GPU")
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(devices)]
    )


class Collector:
    """A listener that keeps the size of every update, and the effective learning rates by
    the steps they were read after (every chunk's last: every step for a distributed run,
    which takes one per call)."""

    def __init__(self):
        self.norms: list[float] = []
        self.rates: dict[int, float] = {}

    def listener(self, event):
        from trainers.events import OptimizerSteps

        if isinstance(event, OptimizerSteps):
            self.norms.extend(event.update_sizes.tolist())
            self.rates.update(zip(event.rate_steps.tolist(), event.rates.tolist(), strict=True))


def train(config) -> dict:
    """One run through the real session, as plain JSON data."""
    from trainers import distribute
    from trainers.session import TrainingSession

    collector = Collector()
    result = TrainingSession(config, collector.listener, inspect_optimizer=True).run()
    if not result.ok:
        raise SystemExit(f"{config.optimizer} {config.distribute}: {result.message}")
    return {
        "replicas": distribute.replicas(config.distribute),
        "device": result.info.device,
        "step_losses": result.step_losses.tolist(),
        "update_norms": collector.norms,
        "rates": {str(step): rate for step, rate in collector.rates.items()},
        "loss": result.history["loss"],
        "initial_weights": [w.ravel().tolist() for w in result.initial_weights],
        "weights": [w.ravel().tolist() for w in result.model.get_weights()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--dataset", default="sine")
    parser.add_argument("--loss", default="mse")
    parser.add_argument(
        "--optimizers", default="sgd,momentum,nesterov,adagrad,adadelta,rmsprop,adam"
    )
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    split_cpu(args.devices)

    from trainers.config import RunConfig

    results = {}
    for name in args.optimizers.split(","):
        base = RunConfig(
            dataset=args.dataset,
            dataset_options={"samples": args.samples},
            validation_split=0.0,
            hidden_layers=(8,),
            loss=args.loss,
            optimizer=name,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=3,
        )
        results[name] = {
            mode: train(RunConfig.from_dict({**base.to_dict(), "distribute": mode}))
            for mode in ("none", "mirrored")
        }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
