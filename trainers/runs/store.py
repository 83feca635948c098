"""The run library's file: where it lives, its schema, its one connection and its transactions.

Several processes may use one library at once (two windows, a window and a CLI run): the file
is in WAL mode, so readers never wait for a writer; every write is a short `BEGIN IMMEDIATE`
transaction, which takes the write lock up front instead of upgrading a read lock (the upgrade
is what makes SQLite give up at once with "database is locked"); and a busy timeout makes a
writer wait its turn. A `RunLibrary` holds one connection and, as `sqlite3` enforces, is used
only from the thread that opened it: the window's engine thread and its UI thread each open
their own.

The SQL itself is in `queries` (reading) and `writes` (writing); `RunLibrary` checks arguments,
holds the transactions, decides what may be deleted and which runs were interrupted, and turns
every sqlite3 error into a RunLibraryError that names the file and says what to do.
"""

from __future__ import annotations

import operator
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trainers.errors import DescentError
from trainers.runs import queries, writes
from trainers.runs.process import process_alive
from trainers.runs.records import RunCurves, RunRecord
from trainers.runs.writes import EpochRow

if TYPE_CHECKING:
    from trainers.config import RunConfig
    from trainers.events import RunInfo, RunResult

RUNS_DIR_ENV = "DESCENT_RUNS_DIR"
LIBRARY_FILE = "runs.sqlite"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0  # how long a writer waits for another process's transaction
STATUSES = ("running", "completed", "stopped", "diverged", "failed", "interrupted")
INTERRUPTED_MESSAGE = (
    "The process recording this run ended before the run did (closed by force, crashed or "
    "killed); the curves up to its last save are kept."
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    group_name TEXT,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    dataset TEXT NOT NULL,
    optimizer TEXT NOT NULL,
    loss TEXT,
    learning_rate REAL,
    batch_size TEXT,
    epochs INTEGER,
    config TEXT NOT NULL,
    started_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    duration_s REAL,
    epochs_done INTEGER NOT NULL DEFAULT 0,
    steps_done INTEGER NOT NULL DEFAULT 0,
    final_loss REAL,
    final_val_loss REAL,
    metric TEXT,
    final_metric REAL,
    final_val_metric REAL,
    final_logs TEXT,
    device TEXT,
    versions TEXT,
    details TEXT,
    model_path TEXT,
    pid INTEGER,
    process_token TEXT,
    hostname TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
CREATE TABLE IF NOT EXISTS step_chunks (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    first_step INTEGER NOT NULL,
    steps BLOB NOT NULL,
    losses BLOB NOT NULL,
    PRIMARY KEY (run_id, first_step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    seconds REAL,
    logs TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
"""

# What `list_runs(order=...)` may sort by: a name the caller knows -> the SQL that sorts.
ORDERS = {
    "started": "started_at",
    "name": "name COLLATE NOCASE",
    "status": "status",
    "dataset": "dataset",
    "optimizer": "optimizer",
    "loss": "final_loss",
    "val_loss": "final_val_loss",
    "duration": "duration_s",
    "epochs": "epochs_done",
}


class RunLibraryError(DescentError):
    """The run library could not be opened, read or written, or a run asked for is not there."""


MAX_ID = 2**63 - 1
"""The largest id SQLite's INTEGER holds."""


def printable_id(run_id) -> str:
    """An id as a message shows it: short, whatever was passed."""
    text = repr(run_id)
    return text if len(text) <= 30 else text[:27] + "..."


# ----------------------------------------------------------------------------------- location
def default_runs_dir() -> Path:
    """The folder of the library when none is chosen: $DESCENT_RUNS_DIR, else user data."""
    env = os.environ.get(RUNS_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("descent", appauthor=False))


def library_path(runs_dir: str | Path | None = None) -> Path:
    """The library file inside `runs_dir` (or inside the default folder when None)."""
    folder = Path(runs_dir).expanduser() if runs_dir else default_runs_dir()
    return folder / LIBRARY_FILE


# -------------------------------------------------------------------------------- the library
class RunLibrary:
    """The runs recorded in one SQLite file; one connection, used from the opening thread.

    Opening creates the folder and the file if needed and marks as `interrupted` the runs of
    processes that died (see `recover`). Every failure is a RunLibraryError naming the file.
    """

    def __init__(self, runs_dir: str | Path | None = None, *, recover: bool = True):
        self.path = library_path(runs_dir)
        self.hostname = socket.gethostname()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunLibraryError(
                f"Cannot create the run library's folder {self.path.parent}: "
                f"{exc.strerror or exc}. Choose a folder you can write to (--runs-dir, or "
                f"the Runs tab's folder setting)."
            ) from None
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE ... COMMIT ourselves (see above).
            self._db = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error("open", exc) from None
        try:
            self._setup()
            if recover:
                self.recover()
        except BaseException:
            self._db.close()
            raise

    # ------------------------------------------------------------------------ plumbing
    def _error(self, doing: str, exc: Exception) -> RunLibraryError:
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            advice = "The file is damaged or is not a run library: move it aside to start anew."
        elif "locked" in text or "busy" in text:
            advice = "Another Descent (window or command) kept it busy too long: try again."
        elif "readonly" in text or "unable to open" in text:
            advice = "Choose a folder you can write to (--runs-dir, or the Runs tab's setting)."
        else:
            advice = "Check the disk has room and the folder is writable."
        return RunLibraryError(f"Cannot {doing} the run library {self.path}: {text}. {advice}")

    def _setup(self) -> None:
        """Settings and tables. Two processes opening a new file at once can each hold a read
        lock while asking for the write lock to switch it to WAL; SQLite then fails one at once
        with "locked" instead of waiting, so a locked set-up is retried until the timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._setup_once()
                return
            except sqlite3.OperationalError as exc:
                text = str(exc)
                if ("locked" in text or "busy" in text) and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise self._error("open", exc) from None
            except sqlite3.Error as exc:
                raise self._error("open", exc) from None

    def _setup_once(self) -> None:
        self._db.execute("PRAGMA foreign_keys = ON")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RunLibraryError(
                f"The run library {self.path} was written by a newer Descent (format "
                f"{version}, this one reads {SCHEMA_VERSION}): update Descent, or choose "
                f"another folder."
            )
        # WAL lets readers (the Runs tab, `runs list`) read while a run is being written;
        # NORMAL sync in WAL survives any crash of the app, only power loss can cost the last
        # commits. The mode is stored in the file: switch only a file not in it yet.
        if self._db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            with self._write():
                self._create_tables()

    def _create_tables(self) -> None:
        # executescript would COMMIT our transaction first: run the statements one by one.
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taking the write lock at its start."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(doing, exc) from None

    @contextmanager
    def _writing(self, doing: str = "write to") -> Iterator[sqlite3.Connection]:
        """A write transaction whose failure is a RunLibraryError saying what was being done."""
        with self._guard(doing), self._write() as db:
            yield db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RunLibrary:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------ writing runs
    def start_run(
        self,
        config: RunConfig,
        *,
        name: str | None = None,
        kind: str = "train",
        group: str | None = None,
        source: str = "cli",
    ) -> int:
        """Add a run in status `running`, owned by this process; returns its id."""
        row = writes.new_run_row(
            config, name=name, kind=kind, group=group, source=source, hostname=self.hostname
        )
        with self._writing("add a run to") as db:
            return writes.insert_run(db, row)

    def set_info(self, run_id: int, info: RunInfo) -> None:
        """What the session built: loss, metric, device, dataset and model descriptions, and
        epoch 0 (the untrained model's losses)."""
        row = writes.info_row(info)
        with self._writing() as db:
            writes.update_run(db, run_id, row)
            if info.initial_logs:
                writes.insert_epochs(db, run_id, [(0, 0.0, info.initial_logs)])

    def append(
        self,
        run_id: int,
        steps: np.ndarray | None = None,
        losses: np.ndarray | None = None,
        epochs: Sequence[EpochRow] = (),
    ) -> None:
        """Add step points and epoch rows (epoch, seconds, logs) to a run, in one transaction."""
        if (steps is None or len(steps) == 0) and not epochs:
            return
        with self._writing() as db:
            writes.append_curves(db, run_id, steps, losses, epochs)

    def finish_run(self, run_id: int, result: RunResult | None, *, status: str = "") -> None:
        """Record how the run ended: status, message, duration and final metrics."""
        row = writes.finish_row(result, status)
        with self._writing() as db:
            writes.update_run(db, run_id, row)

    def set_model_path(self, run_id: int, path: str | Path | None) -> None:
        """Where the run's trained model was saved (a .keras file)."""
        with self._writing() as db:
            writes.update_run(db, run_id, {"model_path": str(path) if path else None})

    # ------------------------------------------------------------------------- recovery
    def recover(self) -> list[int]:
        """Mark `interrupted` the runs still `running` whose recording process (on this host)
        has ended; returns their ids. Runs of other hosts are left alone: their processes
        cannot be seen from here."""
        with self._guard("read"):
            rows = queries.running_runs(self._db, self.hostname)
        dead = [run_id for run_id, pid, token in rows if not process_alive(pid or 0, token)]
        if not dead:
            return []
        with self._writing() as db:
            writes.mark_interrupted(db, dead, INTERRUPTED_MESSAGE)
        return dead

    def _is_live(self, record: RunRecord) -> bool:
        if record.status != "running":
            return False
        if record.hostname != self.hostname:
            return True
        with self._guard("read"):
            token = queries.process_token(self._db, record.id)
        return process_alive(record.pid or 0, token)

    # ------------------------------------------------------------------------- reading
    def list_runs(
        self,
        *,
        dataset: str | None = None,
        optimizer: str | None = None,
        status: str | None = None,
        tag: str | None = None,
        search: str | None = None,
        order: str = "started",
        descending: bool = True,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs matching every filter given, newest first unless `order` says otherwise.

        `search` matches part of the name, the dataset or a tag, ignoring case.
        """
        if order not in ORDERS:
            raise RunLibraryError(
                f"Cannot sort runs by {order!r}. Choose one of: {', '.join(ORDERS)}."
            )
        with self._guard("read"):
            return queries.select_runs(
                self._db,
                dataset=dataset,
                optimizer=optimizer,
                status=status,
                tag=tag,
                search=search,
                order_by=ORDERS[order],
                descending=descending,
                limit=limit,
            )

    def get(self, run_id: int) -> RunRecord:
        """One run by id; RunLibraryError when there is none (an id that is not a whole
        number, or one past what SQLite can hold, included: every method taking an id comes
        through here)."""
        try:
            known = 0 < operator.index(run_id) <= MAX_ID and not isinstance(run_id, bool)
        except TypeError:
            known = False
        if not known:
            raise RunLibraryError(
                f"There is no run {printable_id(run_id)} in the run library {self.path}: a "
                "run's id is a whole number from 1 up, and `descent runs` lists the runs there."
            )
        with self._guard("read"):
            record = queries.select_run(self._db, run_id)
        if record is None:
            raise RunLibraryError(
                f"There is no run {run_id} in the run library {self.path}: "
                f"`descent runs` lists the runs there."
            )
        return record

    def curves(self, run_id: int) -> RunCurves:
        """The run's step and epoch curves, as far as they were written."""
        self.get(run_id)
        with self._guard("read"):
            return queries.select_curves(self._db, run_id)

    def values(self, column: str) -> list[str]:
        """The distinct datasets or optimizers recorded, for the filters."""
        if column not in ("dataset", "optimizer", "status"):
            raise RunLibraryError(f"Cannot list values of {column!r}.")
        with self._guard("read"):
            return queries.distinct_values(self._db, column)

    def tags(self) -> list[str]:
        """Every tag in use."""
        with self._guard("read"):
            return queries.all_tags(self._db)

    # --------------------------------------------------------------------------- editing
    def rename(self, run_id: int, name: str) -> None:
        """Give a run a new name (any text but an empty one)."""
        name = " ".join(str(name).split())
        if not name:
            raise RunLibraryError("A run's name cannot be empty: type a few words.")
        self.get(run_id)
        with self._writing() as db:
            writes.update_run(db, run_id, {"name": name})

    def set_tags(self, run_id: int, tags: Sequence[str]) -> list[str]:
        """Replace a run's tags; returns them as stored (trimmed, no duplicates, sorted)."""
        clean = _clean_tags(tags)
        self.get(run_id)
        with self._writing() as db:
            writes.replace_tags(db, run_id, clean)
        return clean

    def add_tags(self, run_id: int, tags: Sequence[str]) -> list[str]:
        """Add tags to a run; returns all its tags."""
        return self.set_tags(run_id, [*self.get(run_id).tags, *_clean_tags(tags)])

    def remove_tags(self, run_id: int, tags: Sequence[str]) -> list[str]:
        """Take tags off a run; returns the tags left."""
        drop = set(_clean_tags(tags))
        return self.set_tags(run_id, [t for t in self.get(run_id).tags if t not in drop])

    def delete(self, run_id: int) -> None:
        """Delete a run and its curves. A run still training is refused: its process would go
        on writing curves for a run that no longer exists."""
        record = self.get(run_id)
        if self._is_live(record):
            raise RunLibraryError(
                f"Run {run_id} ({record.name}) is still training in process {record.pid} on "
                f"{record.hostname}: stop it first, then delete it."
            )
        with self._writing("delete from") as db:
            writes.delete_run(db, run_id)


def _clean_tags(tags: Sequence[str]) -> list[str]:
    clean = []
    for tag in tags:
        text = " ".join(str(tag).split())
        if not text:
            continue
        if "," in text:
            raise RunLibraryError(f"A tag cannot hold a comma. Received: {text!r}")
        if text not in clean:
            clean.append(text)
    return sorted(clean)
