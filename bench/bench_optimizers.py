"""Row 2, our optimizers against Keras's: time per epoch of each of our seven and its nearest
Keras built-in, on the same model and data with the same compile settings.

Pairs (hyperparameters: our catalog defaults, and the same values for Keras):
sgd -> SGD; momentum -> SGD(momentum) with the rate scaled by (1 - momentum), since ours
averages gradients (v <- beta v + (1 - beta) g) where Keras adds them whole; nesterov ->
SGD(momentum, nesterov=True), scaled the same way; adagrad -> Adagrad; adadelta -> Adadelta;
rmsprop -> RMSprop; adam -> Adam.

Both models of a pair are built (same seed, same MLP 64-128-10) and compiled with the same
settings as Descent uses: sparse categorical cross-entropy, accuracy, steps_per_execution as
Descent's "auto" picks it, jit_compile off. Each trains one warm-up epoch, then they take turns,
one epoch each (`fit(epochs=1)` reuses the compiled train function), so a change in the
machine's load hits both alike. Timed: from on_epoch_begin to on_epoch_end of each epoch.
Ratio = the median over the 8 turns of (our epoch time / Keras's epoch time in the same turn):
pairing epochs that ran next to each other cancels the slow drifts of a shared machine's load.
The medians of the epoch times themselves are reported beside it.
"""

from __future__ import annotations

import _common as bench

SCRIPT = "bench_optimizers.py"
EPOCHS_EACH = 8  # timed epochs per optimizer of a pair, alternating
GOAL = 1.05
NAMES = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")


def keras_twin(name: str):
    """The nearest Keras built-in to our optimizer `name`, with the same hyperparameters."""
    import keras

    from trainers import catalog

    hp = catalog.optimizer_info(name).defaults()
    lr = hp["learning_rate"]
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr)
    if name in ("momentum", "nesterov"):
        beta = hp["momentum"]
        return keras.optimizers.SGD(
            learning_rate=lr * (1.0 - beta), momentum=beta, nesterov=name == "nesterov"
        )
    if name == "adagrad":
        return keras.optimizers.Adagrad(
            learning_rate=lr,
            initial_accumulator_value=hp["initial_accumulator_value"],
            epsilon=hp["epsilon"],
        )
    if name == "adadelta":
        return keras.optimizers.Adadelta(learning_rate=lr, rho=hp["rho"], epsilon=hp["epsilon"])
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, rho=hp["rho"], epsilon=hp["epsilon"])
    return keras.optimizers.Adam(
        learning_rate=lr, beta_1=hp["beta_1"], beta_2=hp["beta_2"], epsilon=hp["epsilon"]
    )


def compiled_model(optimizer, x, spe: int):
    return bench.digits_model(optimizer, x, steps_per_execution=spe, jit_compile=False)


def compare(name: str, x, y, spe: int) -> tuple[list[float], list[float]]:
    """Epoch seconds of (ours, Keras's) for optimizer `name`, one epoch each in turn."""
    import keras

    from trainers import optimizers

    keras.backend.clear_session()
    pair = {
        "ours": compiled_model(optimizers.get(name), x, spe),
        "keras": compiled_model(keras_twin(name), x, spe),
    }
    timers = {key: bench.epoch_clock() for key in pair}
    for model in pair.values():  # warm-up: tracing and first-call costs
        model.fit(x, y, batch_size=bench.BATCH, epochs=1, verbose=0)
    order = ["ours", "keras"]
    for i in range(EPOCHS_EACH):
        for key in order[i % 2 :] + order[: i % 2]:
            pair[key].fit(
                x, y, batch_size=bench.BATCH, epochs=1, verbose=0, callbacks=[timers[key]]
            )
    return timers["ours"].seconds, timers["keras"].seconds


def run(folder: str) -> dict:
    import keras

    from trainers.build import choose_steps_per_execution

    path = bench.digits_npz(folder)
    x, y = bench.load_digits_arrays(path)
    steps_per_epoch = -(-len(x) // bench.BATCH)
    probe = compiled_model("sgd", x, 1)
    spe = choose_steps_per_execution(probe, bench.BATCH, steps_per_epoch)
    del probe
    keras.backend.clear_session()
    bench.log(f"row 2: steps_per_execution {spe} (Descent's auto), {EPOCHS_EACH} epochs each")
    per: dict[str, dict] = {}
    for name in NAMES:
        ours, theirs = compare(name, x, y, spe)
        ratio = bench.median([a / b for a, b in zip(ours, theirs, strict=True)])
        per[name] = {
            "ours_ms": bench.median(ours) * 1e3,
            "keras_ms": bench.median(theirs) * 1e3,
            "ratio": ratio,
            "ratio_of_medians": bench.median(ours) / bench.median(theirs),
        }
        bench.log(
            f"  {name:9s} ours {per[name]['ours_ms']:6.1f} ms/epoch, Keras "
            f"{per[name]['keras_ms']:6.1f} ms/epoch, paired ratio {ratio:.3f} "
            f"(ratio of medians {per[name]['ratio_of_medians']:.3f})"
        )
    worst = max(per, key=lambda k: per[k]["ratio"])
    met = all(v["ratio"] <= GOAL for v in per.values())
    ratios = ", ".join(f"{k} {v['ratio']:.2f}" for k, v in per.items())
    notes = []
    missed = [k for k, v in per.items() if v["ratio"] > GOAL]
    if missed:
        notes.append(f"over {GOAL}: {', '.join(missed)}")
    return bench.make_row(
        2,
        "our optimizers vs Keras's",
        f"digits x{bench.DIGITS_REPEAT}, MLP 64-128-10, batch {bench.BATCH}, "
        f"steps_per_execution {spe}, no XLA; {EPOCHS_EACH} epochs each after a warm-up, "
        "alternating; median of paired epoch-time ratios",
        f"worst {worst} {per[worst]['ratio']:.2f} ({ratios})",
        f"every ratio <= {GOAL}",
        met,
        SCRIPT,
        {"steps_per_execution": spe, "per_optimizer": per},
        notes,
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
