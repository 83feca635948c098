"""Recording runs as they train: `RunRecorder` writes one run into a library, buffering its
curves between flushes; `LibraryRecording` is the listener that records every run of a job
(one run, or each member of a comparison) from its events.

Curves are written in short transactions about once a second (`FLUSH_INTERVAL_S`), so an app
that is killed loses at most the last second or so of them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainers import events
from trainers.errors import DescentError
from trainers.events import Event, RunInfo, RunKey, RunResult

if TYPE_CHECKING:
    from trainers.config import RunConfig
    from trainers.runs.store import RunLibrary

FLUSH_INTERVAL_S = 1.0  # at most this much of a run's curves is lost if the app is killed


class RunRecorder:
    """Writes one run into a library as it trains, buffering curves between flushes.

    Recording must never break training: a write that fails (the disk is full, another program
    held the file too long) keeps the points buffered for the next flush, and the first error
    is kept in `error` for the caller to show once.
    """

    def __init__(
        self, library: RunLibrary, *, flush_interval_s: float = FLUSH_INTERVAL_S, **filing: Any
    ):
        """`filing` is what `RunLibrary.start_run` files the run under: its `name`, `kind`
        ("train" or "compare"), `group` and `source` ("cli" or "window")."""
        self.library = library
        self.filing = filing
        self.flush_interval_s = flush_interval_s
        self.run_id: int | None = None
        self.error: str | None = None
        self._steps: list[np.ndarray] = []
        self._losses: list[np.ndarray] = []
        self._epochs: list[tuple[int, float | None, dict[str, float]]] = []
        self._last_flush = time.monotonic()

    def _try(self, action, *args) -> bool:
        try:
            action(*args)
        except DescentError as exc:
            if self.error is None:
                self.error = str(exc)
            return False
        return True

    def begin(self, config: RunConfig, info: RunInfo | None = None) -> None:
        """Add the run (once); with `info`, also what the session built and epoch 0."""
        if self.run_id is None:
            try:
                self.run_id = self.library.start_run(config, **self.filing)
            except DescentError as exc:
                self.error = self.error or str(exc)
                return
        if info is not None:
            self._try(self.library.set_info, self.run_id, info)
        self._last_flush = time.monotonic()

    def steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        self._steps.append(np.asarray(steps))
        self._losses.append(np.asarray(losses))
        self._maybe_flush()

    def epoch(self, epoch: int, seconds: float | None, logs: dict[str, float]) -> None:
        self._epochs.append((int(epoch), seconds, dict(logs)))
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered now; on failure keep it for the next try."""
        self._last_flush = time.monotonic()
        if self.run_id is None or (not self._steps and not self._epochs):
            return
        steps = np.concatenate(self._steps) if self._steps else None
        losses = np.concatenate(self._losses) if self._losses else None
        if self._try(self.library.append, self.run_id, steps, losses, list(self._epochs)):
            self._steps, self._losses, self._epochs = [], [], []

    def finish(self, config: RunConfig, result: RunResult | None) -> None:
        """Flush the rest and record how the run ended (adding the run if it never started)."""
        if self.run_id is None:
            self.begin(result.config if result is not None else config)
        self.flush()
        if self.run_id is not None:
            self._try(self.library.finish_run, self.run_id, result)

    def set_model_path(self, path: str | Path) -> None:
        if self.run_id is not None:
            self._try(self.library.set_model_path, self.run_id, path)


class LibraryRecording:
    """A listener that records every run of a job in a library, each as its own row.

    Hand it the job's events before the window or the terminal gets them (`trainers.events.tee`
    with this first), so when they hear a run has ended it is already in the library. A run is
    added at its `Started` (named by its label, else `name`) and finished at its `Finished` or
    `Failed`; bad input caught before training (`Failed` with no result) is not recorded:
    nothing ran. The members of a comparison (`kind="compare"`) share one group name.
    """

    def __init__(
        self, library: RunLibrary, *, flush_interval_s: float = FLUSH_INTERVAL_S, **filing: Any
    ):
        """`filing`: the `name`, `kind`, `group` and `source` each run is filed under (see
        `RunRecorder`); a member's label, when it has one, is its name."""
        self.library = library
        self.flush_interval_s = flush_interval_s
        if filing.get("kind") == "compare" and filing.get("group") is None:
            filing["group"] = time.strftime("compare %Y-%m-%d %H:%M:%S")
        self.filing = filing
        self.recorders: dict[RunKey, RunRecorder] = {}

    @property
    def error(self) -> str | None:
        """The first failure to write the library, if any (training went on regardless)."""
        errors = [r.error for r in self.recorders.values() if r.error]
        return errors[0] if errors else None

    @property
    def run_ids(self) -> dict[int | None, int]:
        """The library's id of each member recorded, by member index."""
        return {key.member: r.run_id for key, r in self.recorders.items() if r.run_id is not None}

    def recorder_for(self, key: RunKey, label: str = "") -> RunRecorder:
        """The recorder of run `key` (made on first use)."""
        if key not in self.recorders:
            filing = dict(self.filing)
            if label:
                filing["name"] = label
            self.recorders[key] = RunRecorder(
                self.library, flush_interval_s=self.flush_interval_s, **filing
            )
        return self.recorders[key]

    def __call__(self, event: Event) -> None:
        match event:
            case events.Status():
                for recorder in self.recorders.values():
                    recorder.flush()  # e.g. "Paused": nothing should wait in memory meanwhile
            case events.Started(info=info, label=label):
                self.recorder_for(event.key, label).begin(info.config, info)
            case events.Steps(steps=steps, losses=losses) if event.key in self.recorders:
                self.recorders[event.key].steps(steps, losses)
            case events.EpochEnded(epoch=epoch, logs=logs, seconds=seconds) if (
                event.key in self.recorders
            ):
                self.recorders[event.key].epoch(epoch, seconds, logs)
            case events.Finished(result=result) | events.Failed(result=result) if result:
                self.recorder_for(event.key).finish(result.config, result)
