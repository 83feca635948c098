"""The run library: every run, from the window or the command line, kept in one SQLite file.

A run is recorded as it trains, not when it ends: `RecordingListener` wraps the listener a
`TrainingSession` reports to, forwards every event unchanged, and writes the step and epoch
curves in short transactions about once a second (`FLUSH_INTERVAL_S`). So an app that is killed
loses at most the last second or so of its curves, and the run's row names the process (pid,
host and, on Linux, the process's start time) that was recording it. `RunLibrary` checks those
rows when it opens: a run still marked `running` whose process is gone is marked `interrupted`,
with its curves up to the last commit.

Several processes may use one library at once (two windows, a window and a CLI run): WAL mode,
short `BEGIN IMMEDIATE` transactions and a busy timeout (see `store`). A `RunLibrary` holds one
connection and is used only from the thread that opened it.

Where the file lives: the folder given (`--runs-dir`, the window's setting), else the folder in
`DESCENT_RUNS_DIR`, else the user's data folder (`platformdirs`). Tests and CI set the
variable, so they never touch a real user's library.

The modules: `store` (the file, its schema and `RunLibrary`), `queries` and `writes` (its SQL),
`records` (`RunRecord`, `RunCurves`), `process` (is a run's process alive; versions) and
`recorder` (the listener that records a job's runs). The library formats no text: the command line's
tables and details are in `trainers.cli.output`.
"""

from trainers.runs.process import versions
from trainers.runs.recorder import FLUSH_INTERVAL_S, LibraryRecording, RunRecorder
from trainers.runs.records import RunCurves, RunRecord, record_as_dict
from trainers.runs.store import (
    LIBRARY_FILE,
    ORDERS,
    RUNS_DIR_ENV,
    STATUSES,
    RunLibrary,
    RunLibraryError,
    default_runs_dir,
    library_path,
)

__all__ = [
    "FLUSH_INTERVAL_S",
    "LIBRARY_FILE",
    "ORDERS",
    "RUNS_DIR_ENV",
    "STATUSES",
    "LibraryRecording",
    "RunCurves",
    "RunLibrary",
    "RunLibraryError",
    "RunRecord",
    "RunRecorder",
    "default_runs_dir",
    "library_path",
    "record_as_dict",
    "versions",
]
