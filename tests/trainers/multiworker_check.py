"""One worker of a multi-worker run on this machine; prints its losses and weights as JSON.

Run by tests/trainers/test_distribute.py, once per worker, each in its own interpreter (as on
separate machines), with the workers' addresses and this worker's place among them:

    python tests/trainers/multiworker_check.py --workers 127.0.0.1:20001,127.0.0.1:20002 \
        --index 0 --config '{"dataset": "sine", "epochs": 2}' [--save DIR]

It sets TF_CONFIG, makes the MultiWorkerMirroredStrategy before anything else touches
TensorFlow, trains with `trainers.multiworker.train_multi_worker` and prints one JSON object:
replicas, step_losses, epoch_losses and the final weights.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", required=True, help="host:port of every worker, by index")
    parser.add_argument("--index", type=int, required=True, help="this worker's place")
    parser.add_argument("--config", required=True, help="the RunConfig as JSON")
    parser.add_argument("--save", type=Path, help="save the model as SAVE/worker-INDEX.keras")
    args = parser.parse_args()
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": args.workers.split(",")},
            "task": {"type": "worker", "index": args.index},
        }
    )
    from trainers import multiworker
    from trainers.config import RunConfig

    strategy = multiworker.multi_worker_strategy()
    run = multiworker.train_multi_worker(RunConfig.from_dict(json.loads(args.config)), strategy)
    if args.save is not None:  # every worker saves (to its own file), as TensorFlow advises
        run.model.save(args.save / f"worker-{args.index}.keras")
    json.dump(
        {
            "replicas": strategy.num_replicas_in_sync,
            "step_losses": run.step_losses.tolist(),
            "epoch_losses": run.epoch_losses,
            "weights": [w.ravel().tolist() for w in run.model.get_weights()],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
