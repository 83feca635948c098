"""The run library: every run, from the window or the command line, kept in one SQLite file.

A run is recorded as it trains, not when it ends: `RecordingListener` wraps the listener a
`TrainingSession` reports to, forwards every event unchanged, and writes the step and epoch
curves in short transactions about once a second (`FLUSH_INTERVAL_S`). So an app that is killed
loses at most the last second or so of its curves, and the run's row names the process (pid,
host and, on Linux, the process's start time) that was recording it. `RunLibrary` checks those
rows when it opens: a run still marked `running` whose process is gone is marked `interrupted`,
with its curves up to the last commit.

Several processes may use one library at once (two windows, a window and a CLI run): the file
is in WAL mode, so readers never wait for a writer; every write is a short `BEGIN IMMEDIATE`
transaction, which takes the write lock up front instead of upgrading a read lock (the upgrade
is what makes SQLite give up at once with "database is locked"); and a busy timeout makes a
writer wait its turn. A `RunLibrary` holds one connection and, as `sqlite3` enforces, is used
only from the thread that opened it: the window's engine thread and its UI thread each open
their own.

Where the file lives: the folder given (`--runs-dir`, the window's setting), else the folder in
`DESCENT_RUNS_DIR`, else the user's data folder (`platformdirs`). Tests and CI set the
variable, so they never touch a real user's library.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainers.errors import DescentError
from trainers.session import ForwardingListener, TrainingListener

if TYPE_CHECKING:
    from trainers.config import RunConfig
    from trainers.session import RunInfo, RunResult

RUNS_DIR_ENV = "DESCENT_RUNS_DIR"
LIBRARY_FILE = "runs.sqlite"
SCHEMA_VERSION = 1
FLUSH_INTERVAL_S = 1.0  # at most this much of a run's curves is lost if the app is killed
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


# ------------------------------------------------------------------------------ the records
@dataclass
class RunRecord:
    """One run as the library holds it (curves apart: see `RunLibrary.curves`)."""

    id: int
    name: str
    kind: str  # train or compare
    group: str | None  # the comparison it belongs to
    source: str  # cli or window
    status: str
    message: str
    dataset: str
    optimizer: str
    loss: str | None
    learning_rate: float | None
    batch_size: str | None
    epochs: int | None
    config: dict[str, Any]
    started_at: float
    updated_at: float
    finished_at: float | None
    duration_s: float | None
    epochs_done: int
    steps_done: int
    final_loss: float | None
    final_val_loss: float | None
    metric: str | None
    final_metric: float | None
    final_val_metric: float | None
    final_logs: dict[str, float]
    device: str | None
    versions: dict[str, str]
    details: dict[str, Any]
    model_path: str | None
    pid: int | None
    hostname: str | None
    tags: list[str] = field(default_factory=list)

    def run_config(self) -> RunConfig:
        """The run's configuration as a RunConfig, to train it again."""
        from trainers.config import RunConfig

        return RunConfig.from_dict(self.config)


@dataclass
class RunCurves:
    """A run's curves: every step's loss, and the epoch logs (epoch 0 is the untrained model).

    `history[key][i]` belongs to `epochs[i]`; NaN where that epoch has no such value.
    """

    steps: np.ndarray
    losses: np.ndarray
    epochs: np.ndarray
    epoch_seconds: np.ndarray
    history: dict[str, np.ndarray]


# ------------------------------------------------------------------------- process identity
def _process_token(pid: int) -> str | None:
    """Something that tells this process from a later one given the same pid: the start time
    in clock ticks since boot on Linux (from /proc); None where there is no cheap way."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _process_alive(pid: int, token: str | None) -> bool:
    """Whether the process `pid` that recorded a run (on this host) still runs."""
    if pid <= 0:
        return False
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                text = f.read()
        except OSError:
            return False
        fields = text[text.rfind(")") + 2 :].split()
        if fields and fields[0] in ("Z", "X"):  # killed, not yet reaped: gone all the same
            return False
        return token is None or (len(fields) > 19 and fields[19] == token)
    if sys.platform == "win32":
        import ctypes

        kernel = ctypes.windll.kernel32
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def versions() -> dict[str, str]:
    """Python, TensorFlow, Keras, NumPy and Descent versions, for a run's record."""
    found = {"python": platform.python_version(), "numpy": np.__version__}
    for name, module in (("tensorflow", "tensorflow"), ("keras", "keras")):
        loaded = sys.modules.get(module)
        found[name] = getattr(loaded, "__version__", None) or _dist_version(name)
    found["descent"] = _dist_version("descent")
    return found


def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def _finite_or_none(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def default_name(config: RunConfig) -> str:
    """A run's name until the user renames it: optimizer, learning rate and dataset."""
    dataset = Path(config.dataset).name if os.sep in config.dataset else config.dataset
    try:
        rate = f" lr={config.learning_rate():g}"
    except (ValueError, TypeError):
        rate = ""
    return f"{config.optimizer}{rate} · {dataset}"


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
        now = time.time()
        pid = os.getpid()
        try:
            rate = config.learning_rate()
        except (ValueError, TypeError):
            rate = None
        row = {
            "name": name or default_name(config),
            "kind": kind,
            "group_name": group,
            "source": source,
            "status": "running",
            "dataset": config.dataset,
            "optimizer": config.optimizer,
            "loss": config.loss,
            "learning_rate": rate,
            "batch_size": str(config.batch_size),
            "epochs": int(config.epochs),
            "config": json.dumps(config.to_dict()),
            "started_at": now,
            "updated_at": now,
            "versions": json.dumps(versions()),
            "pid": pid,
            "process_token": _process_token(pid),
            "hostname": self.hostname,
        }
        columns = ", ".join(row)
        marks = ", ".join(f":{key}" for key in row)
        with self._guard("add a run to"), self._write() as db:
            cursor = db.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", row)
            return int(cursor.lastrowid)

    def set_info(self, run_id: int, info: RunInfo) -> None:
        """What the session built: loss, metric, device, dataset and model descriptions, and
        epoch 0 (the untrained model's losses)."""
        details = {
            "dataset_summary": info.dataset_summary,
            "model_summary": info.model_summary,
            "task": info.task,
            "n_train": info.n_train,
            "n_val": info.n_val,
            "steps_per_epoch": info.steps_per_epoch,
            "steps_per_execution": info.steps_per_execution,
            "total_steps": info.total_steps,
        }
        with self._guard("write to"), self._write() as db:
            db.execute(
                "UPDATE runs SET loss = ?, metric = ?, device = ?, batch_size = ?, details = ?, "
                "config = ?, updated_at = ? WHERE id = ?",
                (
                    info.loss,
                    info.metric,
                    info.device,
                    str(info.batch_size),
                    json.dumps(details),
                    json.dumps(info.config.to_dict()),
                    time.time(),
                    run_id,
                ),
            )
            if info.initial_logs:
                db.execute(
                    "INSERT OR REPLACE INTO epochs (run_id, epoch, seconds, logs) "
                    "VALUES (?, 0, 0.0, ?)",
                    (run_id, json.dumps(info.initial_logs)),
                )

    def append(
        self,
        run_id: int,
        steps: np.ndarray | None = None,
        losses: np.ndarray | None = None,
        epochs: Sequence[tuple[int, float | None, dict[str, float]]] = (),
    ) -> None:
        """Add step points and epoch rows (epoch, seconds, logs) to a run, in one transaction.

        Steps are kept as chunks of raw float64 (one row per flush, not per step: a million-step
        run stays a few thousand rows), which also keeps NaN and inf of a diverged run exact.
        """
        has_steps = steps is not None and len(steps) > 0
        if not has_steps and not epochs:
            return
        with self._guard("write to"), self._write() as db:
            if has_steps:
                steps = np.ascontiguousarray(steps, dtype="<i8")
                losses = np.ascontiguousarray(losses, dtype="<f8")
                db.execute(
                    "INSERT OR REPLACE INTO step_chunks (run_id, first_step, steps, losses) "
                    "VALUES (?, ?, ?, ?)",
                    (run_id, int(steps[0]), steps.tobytes(), losses.tobytes()),
                )
            for epoch, seconds, logs in epochs:
                db.execute(
                    "INSERT OR REPLACE INTO epochs (run_id, epoch, seconds, logs) "
                    "VALUES (?, ?, ?, ?)",
                    (run_id, int(epoch), seconds, json.dumps(logs)),
                )
            updates = ["updated_at = ?"]
            values: list[Any] = [time.time()]
            if has_steps:
                updates.append("steps_done = MAX(steps_done, ?)")
                values.append(int(steps[-1]))
            if epochs:
                last_epoch, _, last_logs = epochs[-1]
                updates += ["epochs_done = MAX(epochs_done, ?)", "final_logs = ?"]
                values += [int(last_epoch), json.dumps(last_logs)]
                updates += ["final_loss = ?", "final_val_loss = ?"]
                values += [
                    _finite_or_none(last_logs.get("loss")),
                    _finite_or_none(last_logs.get("val_loss")),
                ]
            db.execute(f"UPDATE runs SET {', '.join(updates)} WHERE id = ?", (*values, run_id))

    def finish_run(self, run_id: int, result: RunResult | None, *, status: str = "") -> None:
        """Record how the run ended: status, message, duration and final metrics."""
        status = status or (result.status if result is not None else "failed")
        row: dict[str, Any] = {
            "status": status,
            "finished_at": time.time(),
            "message": result.message if result is not None else "",
        }
        if result is not None:
            row["duration_s"] = float(result.duration_s)
            row["epochs_done"] = int(result.epochs_done)
            final = {key: values[-1] for key, values in result.history.items() if values}
            if final:
                metric = result.info.metric if result.info is not None else None
                row.update(
                    final_logs=json.dumps(final),
                    final_loss=_finite_or_none(final.get("loss")),
                    final_val_loss=_finite_or_none(final.get("val_loss")),
                    final_metric=_finite_or_none(final.get(metric)) if metric else None,
                    final_val_metric=(
                        _finite_or_none(final.get(f"val_{metric}")) if metric else None
                    ),
                )
        sets = ", ".join(f"{key} = :{key}" for key in row)
        with self._guard("write to"), self._write() as db:
            db.execute(f"UPDATE runs SET {sets} WHERE id = :id", {**row, "id": run_id})

    def set_model_path(self, run_id: int, path: str | Path | None) -> None:
        """Where the run's trained model was saved (a .keras file)."""
        with self._guard("write to"), self._write() as db:
            db.execute(
                "UPDATE runs SET model_path = ? WHERE id = ?",
                (str(path) if path else None, run_id),
            )

    # ------------------------------------------------------------------------- recovery
    def recover(self) -> list[int]:
        """Mark `interrupted` the runs still `running` whose recording process (on this host)
        has ended; returns their ids. Runs of other hosts are left alone: their processes
        cannot be seen from here."""
        with self._guard("read"):
            rows = self._db.execute(
                "SELECT id, pid, process_token FROM runs WHERE status = 'running' AND hostname = ?",
                (self.hostname,),
            ).fetchall()
        dead = [run_id for run_id, pid, token in rows if not _process_alive(pid or 0, token)]
        if not dead:
            return []
        with self._guard("write to"), self._write() as db:
            for run_id in dead:
                db.execute(
                    "UPDATE runs SET status = 'interrupted', message = ?, "
                    "duration_s = updated_at - started_at WHERE id = ? AND status = 'running'",
                    (INTERRUPTED_MESSAGE, run_id),
                )
        return dead

    def _is_live(self, record: RunRecord) -> bool:
        if record.status != "running":
            return False
        if record.hostname != self.hostname:
            return True
        with self._guard("read"):
            token = self._db.execute(
                "SELECT process_token FROM runs WHERE id = ?", (record.id,)
            ).fetchone()[0]
        return _process_alive(record.pid or 0, token)

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
        where, values = [], []
        for column, value in (("dataset", dataset), ("optimizer", optimizer), ("status", status)):
            if value:
                where.append(f"{column} = ?")
                values.append(value)
        if tag:
            where.append("EXISTS (SELECT 1 FROM tags t WHERE t.run_id = runs.id AND t.tag = ?)")
            values.append(tag)
        if search:
            where.append(
                "(name LIKE ? ESCAPE '\\' OR dataset LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 "
                "FROM tags t WHERE t.run_id = runs.id AND t.tag LIKE ? ESCAPE '\\'))"
            )
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            values += [pattern + "%"] * 3
        sql = "SELECT * FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        direction = "DESC" if descending else "ASC"
        # NULLs (a run with no loss yet) sort last whichever the direction.
        sql += f" ORDER BY {ORDERS[order].split()[0]} IS NULL, {ORDERS[order]} {direction}, id"
        if limit is not None:
            sql += f" LIMIT {max(0, int(limit))}"
        with self._guard("read"):
            cursor = self._db.execute(sql, values)
            rows = [self._record(cursor.description, row) for row in cursor.fetchall()]
            self._attach_tags(rows)
        return rows

    def get(self, run_id: int) -> RunRecord:
        """One run by id; RunLibraryError when there is none."""
        with self._guard("read"):
            cursor = self._db.execute("SELECT * FROM runs WHERE id = ?", (int(run_id),))
            row = cursor.fetchone()
            if row is None:
                raise RunLibraryError(
                    f"There is no run {run_id} in the run library {self.path}: "
                    f"`descent runs` lists the runs there."
                )
            record = self._record(cursor.description, row)
            self._attach_tags([record])
        return record

    def curves(self, run_id: int) -> RunCurves:
        """The run's step and epoch curves, as far as they were written."""
        self.get(run_id)
        with self._guard("read"):
            chunks = self._db.execute(
                "SELECT steps, losses FROM step_chunks WHERE run_id = ? ORDER BY first_step",
                (run_id,),
            ).fetchall()
            epoch_rows = self._db.execute(
                "SELECT epoch, seconds, logs FROM epochs WHERE run_id = ? ORDER BY epoch",
                (run_id,),
            ).fetchall()
        if chunks:
            steps = np.concatenate([np.frombuffer(s, dtype="<i8") for s, _ in chunks])
            losses = np.concatenate([np.frombuffer(v, dtype="<f8") for _, v in chunks])
        else:
            steps, losses = np.zeros(0, np.int64), np.zeros(0, np.float64)
        logs = [json.loads(text) for _, _, text in epoch_rows]
        keys = sorted({key for entry in logs for key in entry})
        history = {
            key: np.array([float(entry.get(key, math.nan)) for entry in logs]) for key in keys
        }
        return RunCurves(
            steps=steps.astype(np.int64),
            losses=losses.astype(np.float64),
            epochs=np.array([row[0] for row in epoch_rows], dtype=np.int64),
            epoch_seconds=np.array(
                [math.nan if row[1] is None else row[1] for row in epoch_rows], dtype=np.float64
            ),
            history=history,
        )

    def values(self, column: str) -> list[str]:
        """The distinct datasets or optimizers recorded, for the filters."""
        if column not in ("dataset", "optimizer", "status"):
            raise RunLibraryError(f"Cannot list values of {column!r}.")
        with self._guard("read"):
            rows = self._db.execute(
                f"SELECT DISTINCT {column} FROM runs ORDER BY {column}"
            ).fetchall()
        return [row[0] for row in rows]

    def tags(self) -> list[str]:
        """Every tag in use."""
        with self._guard("read"):
            rows = self._db.execute("SELECT DISTINCT tag FROM tags ORDER BY tag").fetchall()
        return [row[0] for row in rows]

    def _record(self, description, row) -> RunRecord:
        data = {column[0]: value for column, value in zip(description, row, strict=True)}
        return RunRecord(
            id=data["id"],
            name=data["name"],
            kind=data["kind"],
            group=data["group_name"],
            source=data["source"],
            status=data["status"],
            message=data["message"] or "",
            dataset=data["dataset"],
            optimizer=data["optimizer"],
            loss=data["loss"],
            learning_rate=data["learning_rate"],
            batch_size=data["batch_size"],
            epochs=data["epochs"],
            config=json.loads(data["config"]),
            started_at=data["started_at"],
            updated_at=data["updated_at"],
            finished_at=data["finished_at"],
            duration_s=data["duration_s"],
            epochs_done=data["epochs_done"],
            steps_done=data["steps_done"],
            final_loss=data["final_loss"],
            final_val_loss=data["final_val_loss"],
            metric=data["metric"],
            final_metric=data["final_metric"],
            final_val_metric=data["final_val_metric"],
            final_logs=json.loads(data["final_logs"]) if data["final_logs"] else {},
            device=data["device"],
            versions=json.loads(data["versions"]) if data["versions"] else {},
            details=json.loads(data["details"]) if data["details"] else {},
            model_path=data["model_path"],
            pid=data["pid"],
            hostname=data["hostname"],
        )

    def _attach_tags(self, records: list[RunRecord]) -> None:
        if not records:
            return
        by_id = {record.id: record for record in records}
        marks = ", ".join("?" * len(by_id))
        rows = self._db.execute(
            f"SELECT run_id, tag FROM tags WHERE run_id IN ({marks}) ORDER BY tag", list(by_id)
        ).fetchall()
        for run_id, tag in rows:
            by_id[run_id].tags.append(tag)

    # --------------------------------------------------------------------------- editing
    def rename(self, run_id: int, name: str) -> None:
        """Give a run a new name (any text but an empty one)."""
        name = " ".join(str(name).split())
        if not name:
            raise RunLibraryError("A run's name cannot be empty: type a few words.")
        self.get(run_id)
        with self._guard("write to"), self._write() as db:
            db.execute("UPDATE runs SET name = ? WHERE id = ?", (name, run_id))

    def set_tags(self, run_id: int, tags: Sequence[str]) -> list[str]:
        """Replace a run's tags; returns them as stored (trimmed, no duplicates, sorted)."""
        clean = _clean_tags(tags)
        self.get(run_id)
        with self._guard("write to"), self._write() as db:
            db.execute("DELETE FROM tags WHERE run_id = ?", (run_id,))
            db.executemany(
                "INSERT INTO tags (run_id, tag) VALUES (?, ?)", [(run_id, t) for t in clean]
            )
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
        with self._guard("delete from"), self._write() as db:
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))


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


# ----------------------------------------------------------------------------------- as text
def _cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else str(value)
    return str(value)


def format_time(timestamp: float | None) -> str:
    """A run's start time as local date and minute, the way a person scans a list."""
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def format_table(records: Sequence[RunRecord]) -> str:
    """Runs as an aligned plain-text table, one line each (for `descent runs`)."""
    columns = [
        ("id", lambda r: str(r.id)),
        ("name", lambda r: r.name),
        ("status", lambda r: r.status),
        ("dataset", lambda r: r.dataset),
        ("optimizer", lambda r: r.optimizer),
        ("epochs", lambda r: f"{r.epochs_done}/{r.epochs if r.epochs is not None else '?'}"),
        ("loss", lambda r: _cell(r.final_loss)),
        ("val_loss", lambda r: _cell(r.final_val_loss)),
        ("time s", lambda r: _cell(r.duration_s, 1)),
        ("started", lambda r: format_time(r.started_at)),
        ("tags", lambda r: ", ".join(r.tags)),
    ]
    cells = [[title for title, _ in columns]]
    cells += [[cell(record) for _, cell in columns] for record in records]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    numeric = {"id", "epochs", "loss", "val_loss", "time s"}
    lines = []
    for line in cells:
        parts = [
            value.rjust(width) if title in numeric else value.ljust(width)
            for value, width, (title, _) in zip(line, widths, columns, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def format_details(record: RunRecord, curves: RunCurves | None = None) -> str:
    """Everything about one run, as `descent runs show` prints it: settings, result, where it
    ran, and the epoch table when `curves` are given."""
    lines = [
        f"Run {record.id}: {record.name}",
        f"  status       {record.status}" + (f": {record.message}" if record.message else ""),
        f"  kind         {record.kind} (from the {record.source})"
        + (f", group {record.group!r}" if record.group else ""),
        f"  dataset      {record.dataset}",
        f"  optimizer    {record.optimizer}, learning rate {_cell(record.learning_rate, 6)}",
        f"  loss         {record.loss or '-'}; batch {record.batch_size}",
        f"  epochs       {record.epochs_done} of {record.epochs}; {record.steps_done} steps",
        f"  started      {format_time(record.started_at)}; duration "
        f"{_cell(record.duration_s, 1)} s",
        f"  final        loss {_cell(record.final_loss)}, val_loss {_cell(record.final_val_loss)}"
        + (
            f", {record.metric} {_cell(record.final_metric)}, val_{record.metric} "
            f"{_cell(record.final_val_metric)}"
            if record.metric
            else ""
        ),
        f"  tags         {', '.join(record.tags) or '-'}",
        f"  model        {record.model_path or 'not saved'}",
        f"  device       {record.device or '-'} on {record.hostname} (pid {record.pid})",
        "  versions     " + ", ".join(f"{k} {v}" for k, v in record.versions.items()),
    ]
    for key, title in (("dataset_summary", "data"), ("model_summary", "network")):
        if key in record.details:
            lines.append(f"  {title:<12} {record.details[key]}")
    lines.append("  config       " + json.dumps(record.config, sort_keys=True))
    if curves is not None and len(curves.epochs):
        keys = [k for k in ("loss", "val_loss") if k in curves.history]
        keys += sorted(k for k in curves.history if k not in keys)
        lines.append("")
        lines.append("  " + "  ".join(["epoch".rjust(5), *(k.rjust(12) for k in keys)]))
        for i, epoch in enumerate(curves.epochs.tolist()):
            values = [_cell(float(curves.history[k][i])).rjust(12) for k in keys]
            lines.append("  " + "  ".join([str(epoch).rjust(5), *values]))
    return "\n".join(lines)


def record_as_dict(record: RunRecord) -> dict[str, Any]:
    """A run as plain JSON-ready data (for `descent runs --json`)."""
    return dataclasses.asdict(record)


# ---------------------------------------------------------------------------- recording runs
class RunRecorder:
    """Writes one run into a library as it trains, buffering curves between flushes.

    Recording must never break training: a write that fails (the disk is full, another program
    held the file too long) keeps the points buffered for the next flush, and the first error
    is kept in `error` for the caller to show once.
    """

    def __init__(
        self,
        library: RunLibrary,
        *,
        name: str | None = None,
        kind: str = "train",
        group: str | None = None,
        source: str = "cli",
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ):
        self.library = library
        self.name = name
        self.kind = kind
        self.group = group
        self.source = source
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
                self.run_id = self.library.start_run(
                    config, name=self.name, kind=self.kind, group=self.group, source=self.source
                )
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


class RecordingListener(ForwardingListener):
    """A TrainingListener that records the run in a library and forwards every event.

    Wrap the listener you would give a `TrainingSession`; the library is written before each
    event is forwarded, so when the wrapped listener hears `on_finished` the run is already in
    the library. Bad input caught before training (`on_failed` with no result) is not recorded:
    nothing ran. Set `session` to the TrainingSession to record each epoch's time exactly.
    """

    def __init__(
        self,
        library: RunLibrary,
        config: RunConfig,
        listener: TrainingListener | None = None,
        **recorder_options: Any,
    ):
        super().__init__(listener)
        self.config = config
        self.recorder = RunRecorder(library, **recorder_options)
        self.session = None
        self._started = time.perf_counter()

    @property
    def run_id(self) -> int | None:
        return self.recorder.run_id

    @property
    def error(self) -> str | None:
        """The first failure to write the library, if any (training went on regardless)."""
        return self.recorder.error

    def on_status(self, text: str) -> None:
        self.recorder.flush()  # e.g. "Paused": nothing should wait in memory while it holds
        self.listener.on_status(text)

    def on_started(self, info: RunInfo) -> None:
        self.config = info.config
        self.recorder.begin(info.config, info)
        self._started = time.perf_counter()
        self.listener.on_started(info)

    def on_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        self.recorder.steps(steps, losses)
        self.listener.on_steps(steps, losses)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        result = getattr(self.session, "result", None)
        if result is not None and result.epoch_times:
            seconds = float(result.epoch_times[-1])
        else:
            seconds = time.perf_counter() - self._started
        self.recorder.epoch(epoch, seconds, logs)
        self.listener.on_epoch_end(epoch, logs)

    def on_finished(self, result: RunResult) -> None:
        self.recorder.finish(self.config, result)
        self.listener.on_finished(result)

    def on_failed(self, message: str, result: RunResult | None) -> None:
        if result is not None:
            self.recorder.finish(self.config, result)
        self.listener.on_failed(message, result)


class CompareRecording:
    """Records each run of a `CompareSession` (one library row per run, grouped by the
    comparison) and forwards every event to the comparison's own listener."""

    def __init__(
        self,
        library: RunLibrary,
        listener: Any = None,
        *,
        group: str | None = None,
        source: str = "cli",
    ):
        self.library = library
        self.listener = listener
        self.group = group or time.strftime("compare %Y-%m-%d %H:%M:%S")
        self.source = source
        self.recorders: dict[int, RunRecorder] = {}
        self.run_ids: dict[int, int] = {}

    @property
    def error(self) -> str | None:
        errors = [r.error for r in self.recorders.values() if r.error]
        return errors[0] if errors else None

    def _forward(self, name: str, *args) -> None:
        method = getattr(self.listener, name, None)
        if method is not None:
            method(*args)

    def _recorder(self, index: int, label: str) -> RunRecorder:
        if index not in self.recorders:
            self.recorders[index] = RunRecorder(
                self.library, name=label, kind="compare", group=self.group, source=self.source
            )
        return self.recorders[index]

    def on_status(self, text: str) -> None:
        for recorder in self.recorders.values():
            recorder.flush()
        self._forward("on_status", text)

    def on_run_started(self, index: int, label: str, info: RunInfo) -> None:
        self._recorder(index, label).begin(info.config, info)
        self._forward("on_run_started", index, label, info)

    def on_run_steps(self, index: int, steps: np.ndarray, losses: np.ndarray) -> None:
        if index in self.recorders:
            self.recorders[index].steps(steps, losses)
        self._forward("on_run_steps", index, steps, losses)

    def on_run_epoch(self, index: int, epoch: int, logs: dict, seconds: float) -> None:
        if index in self.recorders:
            self.recorders[index].epoch(epoch, seconds, logs)
        self._forward("on_run_epoch", index, epoch, logs, seconds)

    def on_run_finished(self, index: int, label: str, result: RunResult) -> None:
        recorder = self._recorder(index, label)
        recorder.finish(result.config, result)
        if recorder.run_id is not None:
            self.run_ids[index] = recorder.run_id
        self._forward("on_run_finished", index, label, result)

    def on_all_finished(self, rows: list) -> None:
        self._forward("on_all_finished", rows)


__all__ = [
    "CompareRecording",
    "RecordingListener",
    "RunCurves",
    "RunLibrary",
    "RunLibraryError",
    "RunRecord",
    "RunRecorder",
    "default_runs_dir",
    "format_details",
    "format_table",
    "library_path",
]
