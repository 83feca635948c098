"""Row 12, the range test against a grid search: on 5 built-in problems (the benchmark suite's
moons, spirals, digits and sine, and breast_cancer), for Adam and SGD, the range test's
suggested rates (3 seeds tested together, 1e-7 to 10 over 200 steps) against the best rate of
a grid of 20 rates (1e-4 to 5.6, 4 per decade), each trained over 2 seeds, best by the median
final validation loss. The grid trains at the range test's own epoch budget (its 200 steps in
epochs, rounded up), as the issue asks; and, for the record, at the problem's 20 epochs. A
suggestion within 3x of the grid's best is a hit; the goal is the issue's: the valley rule
(fastai's default) hits on at least 4 of the 5 problems at the same budget, for Adam, the
optimizer a run starts with. SGD's hits and the other two rules are in the table too."""

from __future__ import annotations

import dataclasses
import math
import time

import _common as bench
import numpy as np

SCRIPT = "bench_lr_find.py"
OPTIMIZERS = ("adam", "sgd")
GRID = 10.0 ** np.arange(-4.0, 0.76, 0.25)
GRID_SEEDS = (0, 1)
TEST_SEEDS = [0, 1, 2]
FACTOR = 3.0
RULE = "valley"
GOAL_OPTIMIZER = "adam"  # RunConfig's default
NEEDED = 4


def problems() -> dict:
    from trainers import tuning
    from trainers.config import RunConfig

    found = {name: problem.config for name, problem in tuning.SUITE.items()}
    found["breast_cancer"] = RunConfig(
        "breast_cancer", hidden_layers=(16,), epochs=20, batch_size=32, validation_split=0.2
    )
    return found


def budget_epochs(config, steps: int) -> int:
    """The range test's `steps` in epochs of `config`'s training set, rounded up."""
    from trainers import build

    data = build.load_dataset(config.validate())
    per_epoch = math.ceil(len(data.x_train) / build.batch_size(config, len(data.x_train)))
    return max(1, math.ceil(steps / per_epoch))


def grid_best(config) -> tuple[float, dict[float, float]]:
    """The grid rate of the least median final validation loss over GRID_SEEDS, and every
    rate's median (a diverged run counts as infinitely bad)."""
    from trainers.compare import CompareSession

    runs = []
    for rate in GRID:
        for seed in GRID_SEEDS:
            hyper = {"learning_rate": float(rate)}
            runs.append(
                (
                    f"{rate:.3g} seed {seed}",
                    dataclasses.replace(config, hyperparameters=hyper, seed=seed, data_seed=0),
                )
            )
    rows = CompareSession(runs, keep_models=False).run()
    medians = {}
    for i, rate in enumerate(GRID):
        values = []
        for row in rows[i * len(GRID_SEEDS) : (i + 1) * len(GRID_SEEDS)]:
            value = row.final_val_loss
            ok = row.status == "completed" and value is not None and math.isfinite(value)
            values.append(value if ok else math.inf)
        medians[float(rate)] = float(np.median(values))
    best = min(medians, key=medians.get)
    return best, medians


def run(folder) -> dict:
    from trainers import lr_find

    started = time.perf_counter()
    table = []
    budgets = ("range", "long")
    hits = {
        (optimizer, budget): dict.fromkeys(lr_find.RULES, 0)
        for optimizer in OPTIMIZERS
        for budget in budgets
    }
    for optimizer in OPTIMIZERS:
        for name, base in problems().items():
            config = dataclasses.replace(base, optimizer=optimizer, seed=0, data_seed=0)
            test = lr_find.run_range_test(config, seeds=TEST_SEEDS)
            suggested = test.suggested()
            short = budget_epochs(config, lr_find.STEPS)
            for budget, epochs in (("range", short), ("long", config.epochs)):
                best, _medians = grid_best(dataclasses.replace(config, epochs=epochs))
                row = {
                    "optimizer": optimizer,
                    "problem": name,
                    "epochs": epochs,
                    "grid_best": best,
                }
                for rule, rate in suggested.items():
                    ratio = math.inf if rate is None else max(rate / best, best / rate)
                    row[rule] = rate
                    row[f"{rule}_ratio"] = ratio
                    hits[optimizer, budget][rule] += ratio <= FACTOR
                table.append(row)
                bench.log(
                    f"  {optimizer:<5} {name:<14} {epochs:>2} epochs: grid best {best:<8.3g} "
                    + "  ".join(
                        f"{rule} {row[rule]:.3g} ({row[f'{rule}_ratio']:.1f}x)"
                        for rule in lr_find.RULES
                    )
                )
    seconds = time.perf_counter() - started
    count = len(problems())
    met = hits[GOAL_OPTIMIZER, "range"][RULE] >= NEEDED

    def hit_text(budget: str) -> str:
        return "; ".join(
            f"{optimizer}: "
            + ", ".join(f"{rule} {hits[optimizer, budget][rule]}/{count}" for rule in lr_find.RULES)
            for optimizer in OPTIMIZERS
        )

    return bench.make_row(
        12,
        "the range test's rate against a grid search",
        "moons/spirals/digits/sine/breast_cancer x Adam/SGD: the range test (3 seeds, 1e-7 to "
        "10, 200 steps) against the best of 20 rates (1e-4 to 5.6, 4 per decade; 2 seeds, "
        "median final validation loss) at the range test's epoch budget; a hit is within 3x",
        f"hits: {hit_text('range')} ({seconds:.0f} s)",
        f"{GOAL_OPTIMIZER}, {RULE}: >= {NEEDED} of {count}",
        met,
        SCRIPT,
        {"table": table, "hits": {f"{o} {b}": h for (o, b), h in hits.items()}},
        notes=[
            f"with the grid at the problems' 20 epochs instead, the hits are: {hit_text('long')}",
            "2026-12-03: SGD's best grid rates (0.18-1.8) lie within a few times of where its "
            "loss blows up, and the rules that pick a point inside the falling stretch "
            "(valley, steepest) land 2-10x below them; Adam's best rates lie about 10x below "
            "its curve's minimum, where those rules land. No one rule of the three hit 4 of 5 "
            "for both optimizers. The steepest rule also caught early noise twice for SGD "
            "(6e-7, 9e-7: the smoothed loss's wobble on the flat start is as steep per log "
            "rate as SGD's shallow fall)",
        ],
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
