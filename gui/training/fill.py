"""Put a `RunConfig` into the side panel: what File > Open configuration and the Runs tab's
"Load settings" and "Rerun" do, so that the panel's `build_config()` gives the run back.

It sets the panel's public widgets in the order the panel's own rules need: the dataset first
(it decides the losses offered), then its options, the model, the loss and its options, the
optimizer and its hyperparameters (choosing an optimizer restores its remembered values, which
the config's then replace), and the training settings.
"""

from __future__ import annotations

from pathlib import Path

from trainers import catalog
from trainers.config import RunConfig
from trainers.errors import ConfigError

DEFAULTS = RunConfig()


def fill_panel(panel, config: RunConfig) -> list[str]:
    """Set `panel` (a `SidePanel`) to `config`; returns notes on settings the form cannot
    show (they are left out of a run started from the form). A config that does not validate,
    or whose data or model file is gone, raises ConfigError and leaves the panel as it was."""
    config = config.validate()
    for what, path in (("data file", config.dataset), ("model", config.model_path)):
        if path and (what == "model" or not _is_builtin(path)) and not Path(path).exists():
            raise ConfigError(
                f"The {what} {path} of this run is not there any more: put it back, or open "
                f"another and set the rest by hand."
            )
    _fill_dataset(panel, config)
    panel.hidden_edit.setText(", ".join(str(units) for units in config.hidden_layers))
    panel.activation_combo.setCurrentText(config.activation)
    panel.set_model_path(config.model_path)
    _fill_loss(panel, config)
    panel.select_by_data(panel.optimizer_combo, config.optimizer)
    panel.optimizer_form.set_values(config.hyperparameters)
    _fill_training(panel, config)
    return _left_out(config, panel.gpus_check.isEnabled())


def _is_builtin(name: str) -> bool:
    return any(info.name == name for info in catalog.DATASETS)


def _fill_dataset(panel, config: RunConfig) -> None:
    if _is_builtin(config.dataset):
        panel.select_dataset(config.dataset)
    else:
        panel.open_dataset_file(config.dataset)
    panel.dataset_form.set_values(config.dataset_options)
    if config.target and panel.target_combo.findText(config.target) >= 0:
        panel.target_combo.setCurrentText(config.target)
    if panel.csv_choices.isVisibleTo(panel):
        panel.csv_choices.set_options(config.dataset_options)
    panel.set_network(config.architecture)


def _fill_loss(panel, config: RunConfig) -> None:
    if config.loss is None:
        return
    tasks = catalog.loss_info(config.loss).tasks
    if panel.task not in tasks:
        # A user's file: its task comes later from the engine, and keeps a loss that fits it.
        panel.set_task(tasks[0])
    panel.select_by_data(panel.loss_combo, config.loss)
    panel.loss_form.set_values(config.loss_options)


def _fill_training(panel, config: RunConfig) -> None:
    panel.epochs_spin.setValue(config.epochs)
    variant = {"full": "batch", 1: "stochastic"}.get(config.batch_size, "minibatch")
    panel.select_by_data(panel.variant_combo, variant)
    if variant == "minibatch":
        panel.batch_spin.setValue(int(config.batch_size))
    panel.schedule_combo.setCurrentText(config.schedule)
    panel.seed_spin.setValue(config.seed)
    panel.validation_spin.setValue(config.validation_split)
    panel.sharpness_spin.setValue(config.sharpness_every)
    if panel.gpus_check.isEnabled():
        panel.gpus_check.setChecked(config.distribute == "mirrored")


def _left_out(config: RunConfig, gpus: bool) -> list[str]:
    """The settings of `config` the form has no place for, in a line each."""
    notes = []
    if config.schedule_options:
        shown = ", ".join(f"{k} = {v}" for k, v in config.schedule_options.items())
        notes.append(f"schedule options ({shown}): the form uses the schedule's defaults")
    if config.distribute == "mirrored" and not gpus:
        notes.append("distribute = mirrored: TensorFlow sees no GPU here, so it uses one device")
    for name in ("jit_compile", "steps_per_execution", "time_budget_s"):
        if getattr(config, name) != getattr(DEFAULTS, name):
            notes.append(f"{name} = {getattr(config, name)}: the form uses the default")
    return notes
