"""The engine half of `main.py --self-test`: proof that an install (or the packaged app) works.

Each check trains, loads or saves something real on data that ships with Descent (generated
datasets and scikit-learn's bundled sets, nothing downloaded) and says in one line what it saw.
A packaged app that lost a data file, a Keras class or a TensorFlow library fails here with a
line naming what is missing, instead of in a student's hands. The window's checks are in
`gui.selftest`; `run_checks` runs both kinds and prints the report.
"""

from __future__ import annotations

import logging
import math
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from trainers import catalog

# A few steps each: enough to trace, run and update every optimizer and loss, quick to run.
EPOCHS = 2
SAMPLES = 80  # generated datasets: 64 training points, 4 batches of 16 per epoch
BATCH_SIZE = 16
# The dataset each task trains on in the loss checks: generated ones, and one bundled set.
TASK_DATASETS = {"regression": "sine", "binary": "moons", "multiclass": "iris"}


class CheckFailed(Exception):
    """A check saw something wrong; the message says what, for the report line."""


@dataclass(frozen=True)
class Check:
    """One line of the self-test: a name and a function that returns what it saw (one line)
    or raises (CheckFailed, or anything else) when the check fails."""

    name: str
    run: Callable[[], str]


def run_checks(checks: Iterable[Check], write: Callable[[str], None] = print) -> tuple[int, int]:
    """Run `checks` in order, writing `ok   <name>: <detail>` or `FAIL <name>: <why>` for each.

    A check that raises never stops the others. Returns (passed, failed).
    """
    passed = failed = 0
    for check in checks:
        started = time.perf_counter()
        try:
            detail = check.run()
        except Exception as exc:
            failed += 1
            if not isinstance(exc, CheckFailed):
                traceback.print_exc()  # on stderr, for a bug report; the line says what failed
            why = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
            write(f"FAIL {check.name}: {why}")
        else:
            passed += 1
            write(f"ok   {check.name}: {detail} ({time.perf_counter() - started:.1f} s)")
    return passed, failed


def engine_checks(workdir: Path) -> list[Check]:
    """The engine's checks, in the order they run; files go under `workdir`."""
    # The checks build a dozen small models in a row on purpose: TensorFlow's warning about
    # retracing in a loop would only bury the report.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    checks = [Check("explanations", check_explanations)]
    for info in catalog.DATASETS:
        if info.kind == "scikit-learn":
            checks.append(Check(f"dataset {info.name}", _bind(check_bundled_dataset, info.name)))
    for info in catalog.OPTIMIZERS:
        checks.append(Check(f"optimizer {info.name}", _bind(check_optimizer, info.name)))
    for info in catalog.LOSSES:
        checks.append(Check(f"loss {info.name}", _bind(check_loss, info.name)))
    checks.append(Check("XLA compilation (jit_compile)", check_xla))
    checks.append(Check("save and reload .keras", _bind(check_save_and_reload, workdir)))
    return checks


def _bind(function: Callable[..., str], *args) -> Callable[[], str]:
    return lambda: function(*args)


# ----------------------------------------------------------------------------------- checks
def versions() -> str:
    """The engine imported: which TensorFlow and Keras the app runs on."""
    import keras
    import tensorflow as tf

    return (
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, backend {keras.backend.backend()}"
    )


def check_explanations() -> str:
    """Every optimizer and loss has its explanation page, and every instrument its page (the
    assets are in the bundle)."""
    from assets import INSTRUMENTS, explanation_names, instrument_page, page_text

    names = [info.name for info in catalog.OPTIMIZERS + catalog.LOSSES]
    missing = [name for name in names if name not in explanation_names()]
    if missing:
        raise CheckFailed(f"missing explanation pages: {', '.join(missing)}")
    empty = [name for name in names if not page_text(name).strip()]
    if empty:
        raise CheckFailed(f"empty explanation pages: {', '.join(empty)}")
    for name in INSTRUMENTS:
        try:
            text = instrument_page(name)
        except ValueError as exc:
            raise CheckFailed(str(exc)) from None
        if not text.strip():
            raise CheckFailed(f"empty instrument page: {name}")
    return f"{len(names)} pages, {len(INSTRUMENTS)} instrument page(s)"


def check_bundled_dataset(name: str) -> str:
    """A scikit-learn dataset loads from the files scikit-learn ships."""
    from trainers import datasets

    data = datasets.get(name, seed=0)
    if len(data.x_train) == 0 or len(data.x_val) == 0:
        raise CheckFailed(f"{name} loaded with an empty split: {data.summary()}")
    return data.summary()


def check_optimizer(name: str) -> str:
    """A few steps of optimizer `name` on the moons, with its default loss."""
    return _describe(_train(name, "moons", None))


def check_loss(name: str) -> str:
    """A few steps of Adam with loss `name` on a dataset of a task it fits."""
    info = catalog.loss_info(name)
    # The last task it fits: the cross-entropies that take two or more classes get several.
    return _describe(_train("adam", TASK_DATASETS[info.tasks[-1]], name))


def check_xla() -> str:
    """A few steps compiled by XLA, as the `jit_compile` setting asks."""
    return _describe(_train("adam", "moons", None, jit_compile=True))


def check_save_and_reload(workdir: Path) -> str:
    """Save a trained model as a run folder, reload `model.keras` in safe mode, and check that
    it predicts from raw rows what the trained model predicted from standardized ones."""
    import keras
    import numpy as np

    from trainers import datasets
    from trainers.storage import save_run

    result = _train("momentum", "moons", "binary_crossentropy")
    folder = save_run(result, workdir / "saved-run")
    expected = {"config.json", "history.csv", "steps.csv", "model.keras", "model.json"}
    missing = sorted(expected - {p.name for p in folder.iterdir()})
    if missing:
        raise CheckFailed(f"the run folder lacks {', '.join(missing)}")
    reloaded = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    data = datasets.get("moons", seed=0, samples=SAMPLES)
    mean, std = data.feature_scale
    x = data.x_val.astype(np.float64) * std + mean  # the points as the dataset made them
    before = np.asarray(result.model.predict(data.x_val, verbose=0))
    after = np.asarray(reloaded.predict(x, verbose=0))
    if not np.allclose(before, after, rtol=1e-5, atol=1e-6):
        worst = float(np.max(np.abs(before - after)))
        raise CheckFailed(f"the reloaded model predicts differently (by up to {worst:.3g})")
    optimizer = type(reloaded.optimizer)
    if not optimizer.__module__.startswith("trainers."):
        raise CheckFailed(f"the optimizer reloaded as {optimizer.__module__}.{optimizer.__name__}")
    size = (folder / "model.keras").stat().st_size
    return (
        f"model.keras ({size / 1024:.0f} KiB) reloads with {optimizer.__name__}, "
        f"same predictions from {len(x)} raw points"
    )


# ---------------------------------------------------------------------------------- helpers
def _train(optimizer: str, dataset: str, loss: str | None, jit_compile: bool = False):
    from trainers.config import RunConfig
    from trainers.session import TrainingSession

    options = {"samples": SAMPLES} if catalog.dataset_info(dataset).kind == "generated" else {}
    config = RunConfig(
        dataset=dataset,
        dataset_options=options,
        optimizer=optimizer,
        loss=loss,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        hidden_layers=(8,),
        seed=0,
        jit_compile=jit_compile,
    )
    result = TrainingSession(config).run()
    if result.status != "completed":
        raise CheckFailed(f"the run {result.status}: {result.message}")
    expected = result.info.total_steps
    if len(result.step_losses) != expected:
        raise CheckFailed(f"{len(result.step_losses)} step losses for {expected} steps")
    losses = result.step_losses.tolist()
    if not all(math.isfinite(v) for v in losses):
        raise CheckFailed(f"a step loss is not finite: {losses}")
    return result


def _describe(result) -> str:
    losses = result.step_losses
    return (
        f"{len(losses)} steps of {result.config.optimizer} on {result.config.dataset} "
        f"({result.info.loss}), loss {losses[0]:.4g} -> {losses[-1]:.4g}"
    )
