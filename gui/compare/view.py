"""Compare runs side by side: several optimizers, rates, losses or batch sizes on one dataset.

The dataset, model, epochs and seed come from the main form (`base_config`); the side panel
(`CompareChoices`) picks what varies, how many seeds each run is repeated over and the engine.
The window's one worker trains the runs from the same initial weights and data order, as one
job; this view takes that job's events from the worker's `sig_events` and grows each run's
curves (`RacePlots`) and row (`ResultsTable`). Repeated over seeds, a run's group is drawn as
its seeds' median and band and has one row of medians. When the job ends, the verdict
(`trainers.summary.verdict`) says who won.

Importing this module does not import TensorFlow, and the choices are built from the catalog
at once; comparing waits for the worker to report the engine loaded.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterable
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui import settings as remembered
from gui.compare.bands import SeedBand
from gui.compare.choices import CompareChoices
from gui.compare.races import Race, RacePlots
from gui.compare.table import ResultsTable
from gui.plugins_dialog import broken_run_message
from gui.settings import Setting
from gui.widgets import column, guard_inputs, named, scrolled
from gui.widgets.banner import MessageBanner
from trainers import catalog
from trainers.errors import DescentError
from trainers.events import EpochEnded, Failed, Finished, JobFinished, Started, Status, Steps
from trainers.plans import SeededPlan, SeedGroup
from trainers.summary import group_summaries, summarize, verdict

REDRAW_INTERVAL_MS = 100  # 10 Hz, as the main window: frames take CPU from training
MAX_RUNS = 48  # curves (runs, or groups of seeds) one comparison draws readably
MAX_MEMBERS = 480  # trainings in one comparison, seeds included

SETTINGS = (
    Setting("compare/seeds", "seeds_spin", 1),
    Setting("compare/engine", "engine_combo", "auto"),
    Setting("compare/band", "band_combo", "minmax"),
    Setting("compare/each_seed", "each_seed_check", False),
)


def readable(exc: Exception) -> str:
    """A message for an exception from planning: the engine's own text for its errors."""
    if isinstance(exc, DescentError | ValueError):
        return str(exc)
    traceback.print_exc()  # a bug: keep the trace for a report, show the user one line
    return f"Could not plan the comparison ({type(exc).__name__}: {exc})."


def verdict_html(rows: list, *, validation: bool, target_loss: float | None) -> str:
    """The comparison's verdict for a rich-text label: the headline in bold."""
    said = verdict(rows, validation=validation, target_loss=target_loss)
    parts = [f"<b>{escape(said.best)}</b>{escape(said.then)}."] if said.best else []
    parts += [escape(note) for note in said.notes]
    return " ".join(parts)


class CompareView(QWidget):
    """Choose what varies, train every combination, and watch the runs race on shared axes.

    Args:
        worker: the window's `gui.worker.TrainingWorker` (one run or comparison at a time).
        base_config: returns the main form's `RunConfig`; everything not varied comes from it.
        settings: the window's QSettings: the seeds, engine and band choices are restored
            from it and written back as they change (None: not remembered).
    """

    sig_comparison_started = Signal(int)
    """A comparison of this many runs was handed to the worker."""
    sig_comparison_finished = Signal(object)
    """The comparison ended (completed, stopped or failed): the `SummaryRow`s, maybe empty."""
    sig_run_visibility_changed = Signal(int, bool)
    """Run `index`'s curves were shown (True) or hidden (False)."""

    def __init__(
        self, worker, base_config: Callable[[], object], parent=None, settings=None
    ) -> None:
        super().__init__(parent)
        named(self, "compareView", "Compare runs")
        self.worker = worker
        self.base_config = base_config
        self.engine_ready = bool(getattr(worker, "ready", False))
        self.job: int | None = None
        self._runs: list[Race] = []
        self._plan: SeededPlan | None = None
        self.engine_note = ""  # which engine trained the last comparison, and why
        self._comparing = False
        self._stopping = False
        self._active: set[int] = set()
        self._epochs = 0
        self._started_at = 0.0
        self._target: float | None = None
        self._loss_key = "val_loss"
        self._file_tasks: dict[str, str] = {}
        # Groups whose table row is out of date: shown at the next frame, once however many
        # of their seeds reported since (32 seeds ending together: one row each, not 32).
        self._rows_due: dict[int, SeedBand] = {}
        self._build()

        worker.sig_events.connect(self._on_events)
        worker.sig_dataset.connect(self._on_dataset_described)
        worker.sig_ready.connect(self._on_engine_ready)
        self.redraw_timer = QTimer(self)
        self.redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self.redraw_timer.timeout.connect(self._on_redraw)
        self.redraw_timer.start()
        self.refresh_choices()
        self._set_idle_controls()
        self.settings = settings
        if settings is not None:
            self.restore_settings(settings)
            for signal in (
                self.seeds_spin.valueChanged,
                self.engine_combo.currentIndexChanged,
                self.band_combo.currentIndexChanged,
                self.each_seed_check.toggled,
            ):
                signal.connect(self._on_remembered_changed)

    # The remembered widgets, by the names the SETTINGS table gives them.
    seeds_spin = property(lambda self: self.choices.seeds_spin)
    engine_combo = property(lambda self: self.choices.engine_combo)
    band_combo = property(lambda self: self.races.band_combo)
    each_seed_check = property(lambda self: self.races.each_seed_check)

    def restore_settings(self, settings) -> None:
        remembered.restore(self, SETTINGS, settings)

    def save_settings(self, settings) -> None:
        remembered.save(self, SETTINGS, settings)

    @Slot()
    def _on_remembered_changed(self, *_) -> None:
        self.save_settings(self.settings)

    def _build(self) -> None:
        self.choices = CompareChoices()
        self.choices.sig_changed.connect(self._on_choices_changed)
        self.choices.compare_button.clicked.connect(self.start_comparison)
        self.choices.stop_button.clicked.connect(self.stop)
        self.choices.gd_button.clicked.connect(self.start_gd_variants)
        self.status_label = self.choices.status_label
        self.banner = MessageBanner("compareMessageFrame")
        self.races = RacePlots()
        self.races.sig_visibility_changed.connect(self.set_run_visible)
        # How the plots show seeds sits under the Seeds box (the plots' own row is full).
        self.choices.seeds_form.insertRow(1, "Band", self.races.band_combo)
        self.choices.seeds_form.insertRow(2, "", self.races.each_seed_check)
        guard_inputs(self.races.band_combo)  # no passing mouse wheel changes it
        self.table = ResultsTable()
        self.table.sig_visibility_changed.connect(self._on_row_ticked)
        self.verdict_label = named(QLabel(""), "compareVerdictLabel", "Which run did best")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextFormat(Qt.TextFormat.RichText)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.races.splitter.addWidget(column(self.verdict_label, (self.table, 1)))
        self.races.splitter.setSizes([380, 280, 200])

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scrolled(self.choices, 300))
        splitter.addWidget(column(self.banner, (self.races, 1), margins=(4, 0, 0, 0)))
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # ============================================================================ choices
    @Slot()
    def _on_engine_ready(self, *_) -> None:
        self.engine_ready = True
        self._set_idle_controls()

    def refresh_choices(self) -> None:
        """Show the losses that fit the main form's dataset (call when that may have changed)."""
        self.choices.show_losses(self._task_of(self._base_dataset()))
        self._on_choices_changed()

    def _base_dataset(self) -> str:
        try:
            return str(self.base_config().dataset or "")
        except Exception:  # a half-built form: no dataset yet
            return ""

    def _task_of(self, dataset: str) -> str | None:
        if not dataset:
            return None
        try:
            return catalog.dataset_info(dataset).task
        except ValueError:  # a user file: its task is known once the window has described it
            return self._file_tasks.get(dataset)

    @Slot(object)
    def _on_dataset_described(self, description: dict) -> None:
        request = description.get("request") or {}
        if "task" in description and request.get("dataset"):
            self._file_tasks[request["dataset"]] = description["task"]
            if request["dataset"] == self._base_dataset():
                self.refresh_choices()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._comparing:
            self.refresh_choices()  # the main form may have changed dataset meanwhile

    def checked_optimizers(self) -> list[str]:
        """The names of the ticked optimizers, in list order."""
        return self.choices.checked_optimizers()

    def set_optimizers(self, names: Iterable[str]) -> None:
        """Tick exactly the optimizers in `names` (catalog names: sgd, adam ...)."""
        self.choices.set_optimizers(names)

    def checked_losses(self) -> list[str]:
        return self.choices.checked_losses()

    def set_losses(self, names: Iterable[str]) -> None:
        self.choices.set_losses(names)

    def planned_runs(self) -> list[tuple[str, object]]:
        """The (label, RunConfig) runs the choices describe; ValueError with a readable message."""
        return self.choices.planned_runs(self.base_config())

    def planned_plan(self) -> SeededPlan:
        """`planned_runs()` repeated over the seeds chosen."""
        return self.choices.seeded_plan(self.base_config())

    @property
    def seeded(self) -> bool:
        """True while the comparison in view repeats its runs over seeds."""
        return bool(self.races.bands)

    @Slot()
    def _on_choices_changed(self, *_) -> None:
        if self._comparing:
            return
        try:
            self.choices.show_plan(self.planned_plan())
        except Exception as exc:  # shown beside the buttons; Compare then says it in full
            self.choices.show_plan(None, readable(exc))

    # ============================================================================ running
    @property
    def is_comparing(self) -> bool:
        """True from a comparison's start until the worker reports it over."""
        return self._comparing

    @Slot()
    def start_comparison(self) -> bool:
        """Plan the runs from the choices and hand them to the worker; False if refused."""
        try:
            plan = self.planned_plan()
        except Exception as exc:  # a choice the engine refuses is a message, never a traceback
            self.show_message(readable(exc), "error")
            return False
        return self._start(plan)

    @Slot()
    def start_gd_variants(self) -> bool:
        """Train the form's optimizer as batch, stochastic and mini-batch GD; False if refused."""
        try:
            plan = self.choices.seeded_gd_plan(self.base_config())
        except Exception as exc:
            self.show_message(readable(exc), "error")
            return False
        return self._start(plan)

    def _start(self, plan: SeededPlan) -> bool:
        runs = plan.runs
        if not self.engine_ready:
            self.show_message("The engine is still loading.", "info")
            return False
        if self._comparing or self.worker.busy:
            self.show_message(
                "A training run is in progress: stop it or let it end, then compare.", "info"
            )
            return False
        if not runs:
            self.show_message("Nothing to compare: tick at least one optimizer.", "error")
            return False
        if len(plan.groups) > MAX_RUNS:
            self.show_message(
                f"That is {len(plan.groups)} runs, more than the {MAX_RUNS} one comparison can "
                f"show readably. Tick fewer optimizers, rates, losses or batch sizes.",
                "error",
            )
            return False
        if len(runs) > MAX_MEMBERS:
            self.show_message(
                f"That is {len(plan.groups)} runs \u00d7 {plan.seeds} seeds = {len(runs)} "
                f"trainings, more than the {MAX_MEMBERS} one comparison takes. Choose fewer "
                f"seeds or fewer runs.",
                "error",
            )
            return False
        checked = []
        for label, config in runs:
            try:
                checked.append((label, config.validate()))
            except DescentError as exc:
                self.show_message(
                    f"Run {label}: {exc}\nCorrect it and press Compare again.", "error"
                )
                return False
        target = self.choices.target
        job = self.worker.request_compare(checked, target, self.choices.engine)
        if job is None:
            self.show_message("The worker is busy: wait for the run in progress to end.", "info")
            return False
        self.job = job
        self._target = target
        self._epochs = checked[0][1].epochs
        self._loss_key = "val_loss" if checked[0][1].validation_split > 0 else "loss"
        self._plan = plan
        self.engine_note = ""
        groups = [(group.label, group.members) for group in plan.groups]
        self._runs = self.races.start([label for label, _ in checked], self._loss_key, groups)
        self.verdict_label.setText("")
        self._rows_due = {}
        self.table.start(self._rows(), self._target)
        if len({config.loss for _, config in checked}) > 1:
            self.show_message(
                "Different losses measure different things: compare how fast each curve falls, "
                "not how high it lies. The metric column compares them on one scale.",
                "info",
            )
        else:
            self.banner.hide()
        self.choices.show_plan(plan)  # what trains now (the GD variants: not the choices)
        self._comparing = True
        self._stopping = False
        self._active: set[int] = set()  # members started and not yet ended
        self._started_at = time.monotonic()
        self.choices.set_running(True)
        self.status_label.setText(f"Preparing {len(checked)} runs...")
        self.sig_comparison_started.emit(len(checked))
        return True

    @Slot()
    def stop(self) -> None:
        """Stop the run in training; the runs not yet started are skipped."""
        if self._comparing:
            self._stopping = True
            self.worker.stop()
            self.choices.stop_button.setEnabled(False)
            self.status_label.setText("Stopping after the steps in progress...")

    def _set_idle_controls(self) -> None:
        self.choices.set_running(False)
        for button in (self.choices.compare_button, self.choices.gd_button):
            button.setEnabled(self.engine_ready)

    # ============================================================================= events
    @Slot(object)
    def _on_events(self, events: list) -> None:
        """The events of this view's own job; the others are not its business."""
        for event in events:
            if self.job is None or event.key.job != self.job:
                continue
            if not self._comparing:
                # After its end, the job says which engine trained it and why.
                if isinstance(event, Status) and event.key.member is None:
                    self._on_engine_note(event.text)
                continue
            member = event.key.member
            race = self._run(member) if member is not None else None
            match event:
                case Started(info=info) if race is not None:
                    self.races.started(race, info)
                    self._show_row(race)
                    self._active.add(member)
                    self.status_label.setText(self._progress(member, race))
                case Steps(steps=steps, losses=losses) if race is not None:
                    self.races.add_steps(race, steps, losses)
                case EpochEnded(epoch=epoch, logs=logs, seconds=seconds) if race is not None:
                    self.races.add_epoch(race, epoch, logs, seconds)
                    if not self._stopping:
                        self.status_label.setText(
                            f"{self._progress(member, race)} · epoch {epoch}/{self._epochs}"
                        )
                case Finished(result=result) | Failed(result=result) if race is not None:
                    self._active.discard(member)
                    self._on_run_finished(race, result, getattr(event, "message", ""))
                case Failed(message=message) if member is None:
                    self.show_message(message, "error")
                    self.status_label.setText("The comparison failed.")
                case JobFinished(rows=rows):
                    self._on_compare_finished(list(rows))

    def _progress(self, member: int, race: Race) -> str:
        """What trains now: one run of the plan, or several together in one step."""
        if len(self._active) > 1:
            return f"Training {len(self._active)} of {len(self._runs)} runs together"
        return f"Run {member + 1} of {len(self._runs)}: {race.label}"

    def _on_run_finished(self, race: Race, result, message: str) -> None:
        race.status = result.status if result is not None else "failed"
        # a plugin's bug: the message names it, Help > Plugins keeps the traceback
        race.message = broken_run_message(result.message, result) if result is not None else message
        if result is not None:
            race.summary = summarize(race.label, result, self._target)
        self._show_row(race)

    def _rows(self) -> list:
        """What the table has a row for: each group of seeds, else each run."""
        return self.races.bands or self._runs

    def _show_row(self, race: Race) -> None:
        """Show `race` in the table: its own row now, or its group's at the next frame."""
        if race.band is None:
            self.table.show_run(race)
        else:
            self._rows_due[race.band.index] = race.band

    def _show_due_rows(self) -> None:
        due, self._rows_due = self._rows_due, {}
        for band in due.values():
            self._show_band(band)

    def _show_band(self, band: SeedBand) -> None:
        """Show group `band` in the table: the medians of the seeds ended so far."""
        ended = [m for m in band.members if m.summary is not None]
        if ended:
            rows = [m.summary for m in ended]
            group = SeedGroup(band.label, tuple(range(len(rows))), ())
            band.spread = group_summaries(rows, [group], self._target)[0]
            band.summary = band.spread.median_row()
            band.message = "; ".join(f"{m.label}: {m.message}" for m in ended if m.message)
        band.status = _group_status(band)
        self.table.show_run(band)

    def _on_compare_finished(self, rows: list) -> None:
        for race, row in zip(self._runs, rows, strict=False):
            race.summary = row
            race.status = row.status
        for race in self._runs:  # runs never reached: say so rather than "waiting"
            if race.status in ("waiting", "training"):
                race.status = "skipped" if race.status == "waiting" else "stopped"
        for race in self._runs:
            self._show_row(race)
        shown = rows
        if self.seeded and rows and self._plan is not None:
            self._rows_due = {}  # every group's row is made just below, from all its seeds
            groups = group_summaries(rows, self._plan.groups, self._target)
            for band, group in zip(self.races.bands, groups, strict=True):
                band.spread, band.summary, band.status = group, group.median_row(), group.status
                self.table.show_run(band)
            shown = [band.summary for band in self.races.bands]
        self._show_due_rows()
        self.races.end_following()
        self.draw_now()
        self._comparing = False
        elapsed = time.monotonic() - self._started_at
        done = sum(race.status not in ("waiting", "skipped") for race in self._runs)
        if self._stopping:
            stopped = sum(race.status == "stopped" for race in self._runs)
            self.status_label.setText(
                f"Stopped {stopped} of {len(self._runs)} runs while training together."
                if stopped > 1
                else f"Stopped after {done} of {len(self._runs)} runs."
            )
        elif rows and self.seeded:
            self.status_label.setText(
                f"Compared {len(self.races.bands)} runs \u00d7 {self._plan.seeds} seeds in "
                f"{elapsed:.0f} s."
            )
        elif rows:
            self.status_label.setText(f"Compared {len(rows)} runs in {elapsed:.0f} s.")
        self._stopping = False
        self._set_idle_controls()
        metric = next((row.metric for row in rows if row.metric), "")
        self.table.mark_best(metric == "accuracy")
        said = verdict_html(
            shown, validation=self._loss_key == "val_loss", target_loss=self._target
        )
        if self.seeded and said:
            said = f"Medians over {self._plan.seeds} seeds. {said}"
        self.verdict_label.setText(said)
        self._on_choices_changed()
        self.sig_comparison_finished.emit(rows)

    def _run(self, index: int) -> Race | None:
        return self._runs[index] if 0 <= index < len(self._runs) else None

    def _on_engine_note(self, text: str) -> None:
        self.engine_note = text
        said = self.status_label.text()
        self.status_label.setText(f"{said} {text}." if said else f"{text}.")

    # ========================================================================= visibility
    @Slot(int, bool)
    def set_run_visible(self, index: int, visible: bool) -> None:
        """Show or hide every curve of run `index` (its legend entry and row follow); with
        seeds, of group `index` (its median, band and seeds)."""
        race = self._row(index)
        if race is None:
            return
        self.races.set_visible(race, visible)
        self.table.set_ticked(index, race.visible)
        self.sig_run_visibility_changed.emit(index, race.visible)

    @Slot(int, bool)
    def _on_row_ticked(self, index: int, visible: bool) -> None:
        if self.is_run_visible(index) != visible:
            self.set_run_visible(index, visible)

    def is_run_visible(self, index: int) -> bool:
        """Whether run `index` (with seeds: group `index`) is shown."""
        race = self._row(index)
        return race is not None and race.visible

    def _row(self, index: int) -> Race | SeedBand | None:
        rows = self._rows()
        return rows[index] if 0 <= index < len(rows) else None

    def curves(self, index: int) -> dict:
        """Run `index`'s curves: "step" (smoothed), "raw", "epoch" and "time"."""
        race = self._runs[index]
        return {
            "step": race.step_curve,
            "raw": race.raw.item,
            "epoch": race.epoch_curve,
            "time": race.time_curve,
        }

    def band_curves(self, group: int) -> dict:
        """Group `group`'s drawn items (with seeds): "step" (its median line), and for "epoch"
        and "time" the median line, the band's "low" and "high" edges and the "fill"."""
        band = self.races.bands[group]
        items = {"step": band.step_curve}
        for name, curves in (("epoch", band.epoch), ("time", band.time)):
            items[name] = curves.median
            items[f"{name}_low"], items[f"{name}_high"] = curves.low, curves.high
            items[f"{name}_fill"] = curves.fill
        return items

    def group_labels(self) -> list[str]:
        """With seeds: the label of each group (the run its seeds repeat), in order."""
        return [band.label for band in self.races.bands]

    def run_info(self, index: int):
        """Run `index`'s `RunInfo` (sizes, steps per epoch ...), or None before it starts."""
        race = self._run(index)
        return race.info if race is not None else None

    def run_labels(self) -> list[str]:
        """The labels of the runs of the current (or last) comparison, in training order."""
        return [race.label for race in self._runs]

    # ============================================================================ drawing
    @Slot()
    def _on_redraw(self) -> None:
        self._show_due_rows()
        self.races.redraw()  # a frame: what fits in its budget, the rest in the next ones

    def draw_now(self) -> None:
        """Draw everything that changed at once, not frame by frame."""
        self._show_due_rows()
        self.races.redraw(budget_s=math.inf)

    def show_message(self, text: str, severity: str = "info") -> None:
        """Show `text` above the plots: info, warning or error. The curves stay."""
        self.banner.show_message(text, severity)


def _group_status(band: SeedBand) -> str:
    """A group's status while its seeds train: "waiting", "training 3/8", or once all ended
    its seeds' statuses ("completed", "7 completed, 1 diverged")."""
    statuses = [m.status for m in band.members]
    ended = sum(s not in ("waiting", "training") for s in statuses)
    if ended == len(statuses):
        return band.spread.status if band.spread is not None else statuses[0]
    if ended == 0 and "training" not in statuses:
        return "waiting"
    return f"training {ended}/{len(statuses)}"
