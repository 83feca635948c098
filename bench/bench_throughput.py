"""Row 1, training throughput: a plain Keras script, Descent headless, and Descent's window.

The same model, data, optimizer and epochs three ways, in one process, alternating:

(a) plain: what a user writes: `compile(Adam(), "sparse_categorical_crossentropy",
    metrics=["accuracy"])` with Keras's defaults (steps_per_execution 1, jit_compile "auto",
    which is off on CPU), then `fit(x, y, batch_size=32, epochs=4, verbose=0)`.
(b) session: `TrainingSession(config, listener).run()` with our Adam, step-loss events on (the
    listener counts every point it receives), steps_per_execution "auto", as the CLI runs it.
(c) window: the real MainWindow, offscreen and shown, its form filled with the same settings,
    Train pressed: the worker trains (with its optimizer probe, as in the app) and the plots
    redraw from their 10 Hz timer.
(b+) not a goal, to explain c/b: (b) with the optimizer probe the window's worker turns on
    (the size of every update, the effective rate once per chunk). c/b+ is the cost of the
    window itself; b+/b the cost of the probe.

Each trains 1 warm-up epoch (tracing and the first-call costs) then 3 timed epochs. What is
timed: the wall time from the end of epoch 1 to the end of epoch 4, on the training thread
(`RunResult.epoch_times` for b and c, a Keras callback's on_epoch_end for a). samples/s =
n_train * 3 / that time. The order of a/b/c rotates each round. The samples/s are medians over
the rounds; the ratios are the medians over the rounds of the ratio within each round (b_i / a_i,
c_i / b_i), as row 2 pairs its epochs: the variants of one round run next to each other, so a
change in the shared machine's load between rounds cancels out of their ratio. The ratio of the
medians is printed beside them.
"""

from __future__ import annotations

import _common as bench

ROUNDS = 5
SCRIPT = "bench_throughput.py"


def plain_keras(x, y) -> float:
    """(a) Seconds of the 3 timed epochs of a plain `compile` + `fit` script."""
    import keras

    clock = bench.epoch_clock()
    keras.backend.clear_session()
    model = bench.digits_model(keras.optimizers.Adam(), x)
    epochs = bench.WARMUP_EPOCHS + bench.TIMED_EPOCHS
    model.fit(x, y, batch_size=bench.BATCH, epochs=epochs, verbose=0, callbacks=[clock])
    return bench.timed_seconds(clock.ends)


def headless_session(config, inspect: bool = False) -> tuple[float, int, int]:
    """(b), or (b+) with `inspect`: seconds of the timed epochs, step points received,
    steps_per_execution used."""
    from trainers.events import Steps
    from trainers.session import TrainingSession

    class CountingListener:
        points = 0

        def __call__(self, event):
            if isinstance(event, Steps):
                self.points += len(event.steps)

    listener = CountingListener()
    result = TrainingSession(config, listener, inspect_optimizer=inspect).run()
    if result.status != "completed":
        raise RuntimeError(f"session run {result.status}: {result.message}")
    return bench.timed_seconds(result.epoch_times), listener.points, result.info.steps_per_execution


def window_run(window) -> tuple[float, int]:
    """(c) Seconds of the timed epochs of a run started with Train, and points on the plot."""
    status = bench.train_in_window(window)
    if status != "completed":
        raise RuntimeError(f"window run {status}: {window.status_label.text()}")
    return bench.timed_seconds(window.last_result.epoch_times), window.training.step_plot.buffer.n


def check_same_workload(window, config) -> None:
    """The form must describe the same run as (b), or the comparison means nothing."""
    from_form = window.build_config().validate().to_dict()
    expected = config.validate().to_dict()
    differ = {k: (from_form.get(k), v) for k, v in expected.items() if from_form.get(k) != v}
    differ.pop("dataset_options", None)  # the form passes the NPZ loader's defaults explicitly
    if differ:
        raise RuntimeError(f"the window's form differs from the session's config: {differ}")


def run(folder: str) -> dict:
    path = bench.digits_npz(folder)
    bench.log("row 1: opening the window (the engine loads on its thread)...")
    window = bench.open_window(folder)
    try:
        return measure(window, path)
    finally:
        bench.close_window(window)


def measure(window, path: str) -> dict:
    bench.set_digits_form(window, path)
    config = bench.digits_config(path)
    check_same_workload(window, config)
    x, y = bench.load_digits_arrays(path)
    n = len(x)
    samples = n * bench.TIMED_EPOCHS
    times: dict[str, list[float]] = {"a": [], "b": [], "c": [], "b+": []}
    points = {}
    spe = 0
    order = ["a", "b", "c", "b+"]
    for round_index in range(ROUNDS):
        for variant in order[round_index:] + order[:round_index]:
            if variant == "a":
                seconds = plain_keras(x, y)
            elif variant == "b":
                seconds, points["b"], spe = headless_session(config)
            elif variant == "b+":
                seconds, points["b+"], _ = headless_session(config, inspect=True)
            else:
                seconds, points["c"] = window_run(window)
            times[variant].append(seconds)
            bench.log(
                f"  round {round_index + 1} {variant}: {samples / seconds:9,.0f} samples/s "
                f"({seconds:.2f} s for {bench.TIMED_EPOCHS} epochs)"
            )
    rate = {k: samples / bench.median(v) for k, v in times.items()}
    # A ratio of throughputs is the inverse ratio of times.
    b_over_a = bench.median([a / b for a, b in zip(times["a"], times["b"], strict=True)])
    c_over_b = bench.median([b / c for b, c in zip(times["b"], times["c"], strict=True)])
    of_medians = {"b_over_a": rate["b"] / rate["a"], "c_over_b": rate["c"] / rate["b"]}
    probe_cost = bench.median([b / p for b, p in zip(times["b"], times["b+"], strict=True)])
    window_cost = bench.median([p / c for p, c in zip(times["b+"], times["c"], strict=True)])
    steps_per_epoch = -(-n // bench.BATCH)
    events_per_s = -(-steps_per_epoch // spe) * bench.TIMED_EPOCHS / bench.median(times["b"])
    total_steps = (bench.WARMUP_EPOCHS + bench.TIMED_EPOCHS) * -(-n // bench.BATCH)
    print(
        f"\nsamples/s (median of {ROUNDS}): a plain {rate['a']:,.0f}, b session {rate['b']:,.0f}, "
        f"c window {rate['c']:,.0f}; paired ratios (median of {ROUNDS} rounds) b/a = "
        f"{b_over_a:.2f}, c/b = {c_over_b:.2f}; ratios of the medians b/a = "
        f"{of_medians['b_over_a']:.2f}, c/b = {of_medians['c_over_b']:.2f}; "
        f"b+ (b with the window's optimizer probe) {rate['b+']:,.0f}: b+/b = {probe_cost:.2f}, "
        f"c/b+ = {window_cost:.2f}; events (chunks) per second in b: {events_per_s:.0f}; "
        f"steps_per_execution (auto) = {spe}; step points: b {points['b']}, c {points['c']} "
        f"of {total_steps}"
    )
    notes = []
    if any(p != total_steps for p in points.values()):
        notes.append(f"step points lost: {points} of {total_steps}")
    met = b_over_a >= 2.5 and c_over_b >= 0.9
    return bench.make_row(
        1,
        "training throughput",
        bench.WORKLOAD + f"; a/b/c/b+ alternated, {ROUNDS} rounds; samples/s: medians; ratios: "
        "median of the ratios within each round (ratio of the medians in brackets)",
        f"a {rate['a']:,.0f} / b {rate['b']:,.0f} / c {rate['c']:,.0f} samples/s; "
        f"b/a = {b_over_a:.2f} ({of_medians['b_over_a']:.2f}), "
        f"c/b = {c_over_b:.2f} ({of_medians['c_over_b']:.2f}); b+/b = {probe_cost:.2f}, "
        f"c/b+ = {window_cost:.2f}; steps_per_execution {spe}, {events_per_s:.0f} events/s",
        "b/a >= 2.5, c/b >= 0.9",
        met,
        SCRIPT,
        {
            "samples_per_s": rate,
            "seconds": times,
            "b_over_a": b_over_a,
            "c_over_b": c_over_b,
            "ratios_of_medians": of_medians,
            "probe_b_plus_over_b": probe_cost,
            "window_c_over_b_plus": window_cost,
            "events_per_s_b": events_per_s,
            "steps_per_execution": spe,
            "n_train": n,
            "step_points": points,
        },
        notes,
    )


if __name__ == "__main__":
    bench.main(run, __doc__.splitlines()[0])
