"""What a comparison varies: the optimizers and losses ticked, the learning rates and batch sizes
typed, a target loss, how many seeds each run is repeated over and which engine trains them;
the Compare, Stop and batch-vs-stochastic buttons.

Built from `trainers.catalog` at once (no TensorFlow needed). Everything not varied comes from
the main form's `RunConfig`; `planned_runs(base)` and `gd_runs(base)` turn the choices into
labelled runs with `trainers.compare` and refuse a bad entry with the engine's own message;
`seeded_plan(base)` and `seeded_gd_plan(base)` repeat them over the seeds chosen
(`trainers.plans.over_seeds`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.widgets import guard_inputs, named
from trainers import catalog
from trainers.parsing import parse_batch_sizes, parse_learning_rates
from trainers.plans import MAX_SEEDS, SeededPlan, gd_variants, over_seeds, plan

DEFAULT_OPTIMIZERS = ("sgd", "adam")
GD_MINIBATCH = 32
# The engine choices (`trainers.compare.ENGINES`, spelled here so the tab needs no TensorFlow):
# key, text, what it does.
ENGINES = (
    (
        "auto",
        "Auto",
        "trains the runs together in one compiled step where that is faster, "
        "measured on the first steps; else one after another",
    ),
    (
        "fused",
        "Fused",
        "always trains the runs together in one compiled step (runs that "
        "share the data and batch size)",
    ),
    ("sequential", "Sequential", "trains the runs one after another, each on its own"),
)


def _fit_rows(widget: QListWidget, rows: int) -> None:
    """Make a list exactly `rows` rows tall, so short lists need no scroll bar."""
    row = widget.sizeHintForRow(0) if widget.count() else widget.fontMetrics().height() + 4
    widget.setFixedHeight(row * rows + 2 * widget.frameWidth() + 2)


def _checked(widget: QListWidget) -> list[str]:
    return [
        widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    ]


def _set_checked(widget: QListWidget, names: Iterable[str]) -> None:
    wanted = set(names)
    for i in range(widget.count()):
        item = widget.item(i)
        name = item.data(Qt.ItemDataRole.UserRole)
        item.setCheckState(Qt.CheckState.Checked if name in wanted else Qt.CheckState.Unchecked)


def _fill(widget: QListWidget, infos, ticked: set[str]) -> None:
    """One tickable row per catalog entry, its summary and equation as the tooltip."""
    widget.blockSignals(True)
    widget.clear()
    for info in infos:
        item = QListWidgetItem(info.display_name)
        item.setData(Qt.ItemDataRole.UserRole, info.name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        checked = info.name in ticked
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setToolTip(f"{info.summary}\n\n{info.equation}")
        widget.addItem(item)
    widget.blockSignals(False)


class CompareChoices(QWidget):
    """The Compare tab's side panel."""

    sig_changed = Signal()
    """A choice changed: the plan may be different."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        optimizers = QGroupBox("Optimizers")
        optimizers_layout = QVBoxLayout(optimizers)
        self.optimizer_list = named(QListWidget(), "compareOptimizerList", "Optimizers to compare")
        self.optimizer_list.itemChanged.connect(self.sig_changed)
        optimizers_layout.addWidget(self.optimizer_list)
        layout.addWidget(optimizers)

        losses = QGroupBox("Losses (none ticked: the main form's)")
        losses_layout = QVBoxLayout(losses)
        self.loss_list = named(
            QListWidget(),
            "compareLossList",
            "Losses to compare",
            tip="Tick several to compare losses. None ticked: the form's loss.",
        )
        self.loss_list.itemChanged.connect(self.sig_changed)
        losses_layout.addWidget(self.loss_list)
        layout.addWidget(losses)
        for widget in (self.optimizer_list, self.loss_list):
            widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            widget.setTextElideMode(Qt.TextElideMode.ElideRight)

        varied = QGroupBox("Also vary")
        form = QFormLayout(varied)
        self.rates_edit = named(
            QLineEdit(), "compareLearningRatesEdit", "Learning rates to compare"
        )
        self.rates_edit.setPlaceholderText("each optimizer's default")
        self.rates_edit.setToolTip(
            "Learning rates separated by commas, e.g. 0.1, 0.01, 0.001: every ticked optimizer "
            "runs with each. Empty: each optimizer's default rate."
        )
        self.rates_edit.textChanged.connect(self.sig_changed)
        form.addRow("Learning rates", self.rates_edit)
        self.batch_edit = named(QLineEdit(), "compareBatchSizesEdit", "Batch sizes to compare")
        self.batch_edit.setPlaceholderText("the main form's")
        self.batch_edit.setToolTip(
            "Batch sizes separated by commas, e.g. 1, 32, full. Empty: the main form's batch."
        )
        self.batch_edit.textChanged.connect(self.sig_changed)
        form.addRow("Batch sizes", self.batch_edit)
        self.target_spin = named(QDoubleSpinBox(), "compareTargetSpin", "Target loss")
        self.target_spin.setRange(0.0, 1e6)
        self.target_spin.setDecimals(4)
        self.target_spin.setSingleStep(0.05)
        self.target_spin.setSpecialValueText("none")
        self.target_spin.setToolTip(
            "The table says at which step each run's loss first reached this value: "
            "'how fast' as a number. 0: no target."
        )
        form.addRow("Target loss", self.target_spin)
        layout.addWidget(varied)

        seeds = QGroupBox("Seeds and engine")
        seeds_form = QFormLayout(seeds)
        self.seeds_form = seeds_form  # the view adds how the plots show seeds, under Seeds
        self.seeds_spin = named(QSpinBox(), "compareSeedsSpin", "Seeds per run")
        self.seeds_spin.setRange(1, MAX_SEEDS)
        self.seeds_spin.setValue(1)
        self.seeds_spin.setToolTip(
            "Repeat every run with this many seeds (the main form's seed, +1, +2 ...): each "
            "starts from other weights on the same data in the same order. The plots then "
            "draw each run's median over its seeds with a band, and the table its medians."
        )
        self.seeds_spin.valueChanged.connect(self.sig_changed)
        seeds_form.addRow("Seeds", self.seeds_spin)
        self.engine_combo = named(QComboBox(), "compareEngineCombo", "Training engine")
        for key, text, what in ENGINES:
            self.engine_combo.addItem(text, key)
            self.engine_combo.setItemData(
                self.engine_combo.count() - 1, f"{text}: {what}.", Qt.ItemDataRole.ToolTipRole
            )
        self.engine_combo.setToolTip(
            "\n".join(f"{text}: {what}." for _, text, what in ENGINES)
            + "\nEither way each run gets the same numbers; the status line says which was used."
        )
        self.engine_combo.currentIndexChanged.connect(self.sig_changed)
        seeds_form.addRow("Engine", self.engine_combo)
        layout.addWidget(seeds)

        self.plan_label = named(QLabel(), "comparePlanLabel", "Runs planned")
        self.plan_label.setWordWrap(True)
        layout.addWidget(self.plan_label)
        buttons = QHBoxLayout()
        self.compare_button = named(
            QPushButton("Compare"),
            "compareButton",
            "Compare",
            tip="Train every combination, one after another",
        )
        self.stop_button = named(QPushButton("Stop"), "compareStopButton", "Stop the comparison")
        buttons.addWidget(self.compare_button, 1)
        buttons.addWidget(self.stop_button)
        layout.addLayout(buttons)
        self.gd_button = named(
            QPushButton("Batch vs stochastic vs mini-batch"),
            "gdVariantsButton",
            "Compare batch, stochastic and mini-batch",
            tip="Train the main form's optimizer three times: on all samples per update (batch), "
            f"on one sample (stochastic) and on {GD_MINIBATCH} (mini-batch; or the first batch "
            "size above). Watch the loss by seconds: cheap updates are noisy, exact ones are slow.",
        )
        layout.addWidget(self.gd_button)
        self.status_label = named(QLabel(""), "compareStatusLabel", "Comparison status")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        note = QLabel(
            "Dataset, model, epochs, seed and the rest come from the main form. Every run "
            "starts from the same weights and sees the data in the same order."
        )
        note.setWordWrap(True)
        note.setEnabled(False)  # greyed: a hint, not a control
        layout.addWidget(note)
        layout.addStretch(1)

        _fill(self.optimizer_list, catalog.comparable_optimizers(), set(DEFAULT_OPTIMIZERS))
        _fit_rows(self.optimizer_list, self.optimizer_list.count())
        self.show_losses(None)
        guard_inputs(self)

    # ============================================================================ choices
    def show_losses(self, task: str | None) -> None:
        """Offer the losses that fit `task` (all of them while it is not known)."""
        ticked = set(self.checked_losses())
        _fill(self.loss_list, catalog.losses_for(task) if task else catalog.LOSSES, ticked)
        _fit_rows(self.loss_list, min(max(self.loss_list.count(), 1), 5))

    def checked_optimizers(self) -> list[str]:
        """The names of the ticked optimizers, in list order."""
        return _checked(self.optimizer_list)

    def refresh_optimizers(self) -> None:
        """Offer the optimizers registered since the list was built (plugins); ticks stay."""
        _fill(self.optimizer_list, catalog.comparable_optimizers(), set(self.checked_optimizers()))
        _fit_rows(self.optimizer_list, self.optimizer_list.count())

    def set_optimizers(self, names: Iterable[str]) -> None:
        """Tick exactly the optimizers in `names` (catalog names: sgd, adam ...)."""
        _set_checked(self.optimizer_list, names)

    def checked_losses(self) -> list[str]:
        """The names of the ticked losses (empty: the main form's loss)."""
        return _checked(self.loss_list)

    def set_losses(self, names: Iterable[str]) -> None:
        """Tick exactly the losses in `names` that fit the dataset."""
        _set_checked(self.loss_list, names)

    @property
    def target(self) -> float | None:
        return self.target_spin.value() or None

    @property
    def seeds(self) -> int:
        """How many seeds each run is repeated over (1: once, as it is)."""
        return self.seeds_spin.value()

    @property
    def engine(self) -> str:
        """The engine chosen: "auto", "fused" or "sequential"."""
        return self.engine_combo.currentData() or "auto"

    def set_running(self, running: bool) -> None:
        """While a comparison trains, its choices are fixed; only Stop is offered."""
        for widget in (
            self.optimizer_list,
            self.rates_edit,
            self.batch_edit,
            self.loss_list,
            self.target_spin,
            self.seeds_spin,
            self.engine_combo,
            self.compare_button,
            self.gd_button,
        ):
            widget.setEnabled(not running)
        self.stop_button.setEnabled(running)

    # ============================================================================= plans
    def planned_runs(self, base) -> list[tuple[str, object]]:
        """The (label, RunConfig) runs the choices describe on `base`, the main form's config;
        ValueError with a readable message. Not yet validated against the dataset."""
        optimizers = self.checked_optimizers()
        if not optimizers:
            raise ValueError("Tick at least one optimizer to compare.")
        rates = parse_learning_rates(self.rates_edit.text())
        batches = parse_batch_sizes(self.batch_edit.text())
        if not rates:
            # No rates typed: each optimizer's default, not the form's rate for its optimizer
            # (plan() would give that rate to every run, unfair to the others).
            hyperparameters = dict(base.hyperparameters)
            hyperparameters.pop("learning_rate", None)
            base = dataclasses.replace(base, hyperparameters=hyperparameters)
        return plan(
            base,
            optimizers=optimizers,
            learning_rates=rates or None,
            losses=self.checked_losses() or None,
            batch_sizes=batches or None,
        )

    def gd_runs(self, base) -> list[tuple[str, object]]:
        """Batch, stochastic and mini-batch gradient descent of `base` (the mini-batch the
        first batch size typed above 1, else 32); ValueError with a readable message."""
        numbers = [b for b in parse_batch_sizes(self.batch_edit.text()) if b != "full"]
        minibatch = next((b for b in numbers if b > 1), GD_MINIBATCH)
        return gd_variants(base, minibatch=minibatch)

    def seeded_plan(self, base) -> SeededPlan:
        """`planned_runs(base)`, each repeated over the seeds chosen."""
        return over_seeds(self.planned_runs(base), self.seeds)

    def seeded_gd_plan(self, base) -> SeededPlan:
        """`gd_runs(base)`, each repeated over the seeds chosen."""
        return over_seeds(self.gd_runs(base), self.seeds)

    def show_plan(self, runs: list | SeededPlan | None, problem: str = "") -> None:
        """Say beside the buttons how many runs the choices make (or what is wrong)."""
        if runs is None:
            self.plan_label.setText(f"\u26a0 {problem}")
            return
        seeds = runs.seeds if isinstance(runs, SeededPlan) else 1
        if isinstance(runs, SeededPlan):
            runs = [(group.label, None) for group in runs.groups]
        n = len(runs)
        text = f"{n} run{'s' if n != 1 else ''}"
        if seeds > 1:
            text += f" \u00d7 {seeds} seeds = {n * seeds} trainings"
        if n <= 4:
            text += ": " + ", ".join(label for label, _ in runs)
        self.plan_label.setText(text)
