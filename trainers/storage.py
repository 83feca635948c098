"""Writing a run to a folder: config.json, run.toml, history.csv, steps.csv, model.keras and
model.json.

The same files come from `main.py train --out DIR` and from the window's "Save run".
`run.toml` is the run's configuration alone, so `main.py train --config run.toml` reruns it.
`model.keras` takes the data raw (`trainers.raw_model`); `model.json` says what its inputs and
outputs are: the feature names in input order, the class labels in output order.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from trainers.config import RunConfig
from trainers.errors import TrainingError
from trainers.events import RunResult

RUN_TOML = "run.toml"
MODEL_FILE = "model.keras"
MODEL_CARD = "model.json"
RUN_TOML_HEADER = (
    "# A Descent run configuration. Rerun it, to the same curves, with:\n"
    "#   python main.py train --config run.toml\n\n"
)


def config_toml(config: RunConfig) -> str:
    """The settings of a run as TOML, with a comment saying how to rerun them."""
    return RUN_TOML_HEADER + config.to_toml()


def history_columns(history: dict[str, list[float]]) -> list[str]:
    """loss, val_loss first, then the metrics, training before validation."""
    keys = [k for k in ("loss", "val_loss") if k in history]
    rest = sorted(k for k in history if k not in keys and not k.startswith("val_"))
    for key in rest:
        keys.append(key)
        if f"val_{key}" in history:
            keys.append(f"val_{key}")
    keys += sorted(k for k in history if k not in keys)
    return keys


def write_curves(result: RunResult, out: Path) -> None:
    """history.csv (one row per epoch; epoch 0 is the untrained model), steps.csv, and
    sharpness.csv when the run measured its sharpness."""
    columns = history_columns(result.history)
    with open(out / "history.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *columns, "time_s"])
        if result.info is not None and result.info.initial_logs:
            initial = result.info.initial_logs
            writer.writerow([0, *(repr(initial[k]) if k in initial else "" for k in columns), 0.0])
        for i in range(result.epochs_done):
            row = [i + 1]
            for key in columns:
                values = result.history.get(key, [])
                row.append(repr(values[i]) if i < len(values) else "")
            times = result.epoch_times
            row.append(f"{times[i]:.4f}" if i < len(times) else "")
            writer.writerow(row)
    with open(out / "steps.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "loss"])
        for step, loss in zip(
            result.step_numbers.tolist(), result.step_losses.tolist(), strict=True
        ):
            writer.writerow([step, repr(loss)])
    if result.sharpness:
        with open(out / "sharpness.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["step", "lambda_max", "threshold"])
            for step, value, bound in result.sharpness:
                writer.writerow([step, repr(value), "" if bound is None else repr(bound)])


def save_run(result: RunResult, out_dir: str | Path, *, save_model: bool = True) -> Path:
    """Write the run into `out_dir` (created if needed); returns the folder.

    The curves are written first, so a model that fails to save loses nothing else; that
    failure is then raised as a TrainingError naming the folder. With the model come run.py
    and run_data.npz: the run as a plain Keras script (`trainers.script`).
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        summary = {
            "status": result.status,
            "message": result.message,
            "epochs_done": result.epochs_done,
            "duration_s": round(result.duration_s, 3),
        }
        if result.info is not None:
            summary.update(
                dataset=result.info.dataset_summary,
                loss=result.info.loss,
                model=result.info.model_summary,
                batch_size=result.info.batch_size,
                steps_per_execution=result.info.steps_per_execution,
                device=result.info.device,
            )
        document = {"config": result.config.to_dict(), "result": summary}
        (out / "config.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        (out / RUN_TOML).write_text(config_toml(result.config), encoding="utf-8")
        write_curves(result, out)
    except OSError as exc:
        raise TrainingError(
            f"Cannot write the run to {out}: {exc.strerror or exc}. Choose a folder you can "
            f"write to."
        ) from None
    if save_model and result.model is not None:
        # Imported here: this module loads no Keras until a model is saved.
        from trainers.raw_model import model_card, raw_model

        try:
            raw_model(result).save(out / MODEL_FILE)
            card = json.dumps(model_card(result), indent=2, ensure_ascii=False)
            (out / MODEL_CARD).write_text(card + "\n", encoding="utf-8")
        except Exception as exc:  # OSError, h5/zip errors: all mean "could not save here"
            raise TrainingError(
                f"The curves were saved in {out}, but the model could not be saved there: "
                f"{exc}. Check the folder is writable and the disk has room."
            ) from None
        if result.initial_weights:
            from trainers.script import write_script

            write_script(result, out)  # run.py: the run as a plain Keras script
    return out
