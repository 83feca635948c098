"""Reading the run library: the SELECTs behind `RunLibrary`'s listing, runs, curves and filters.

Each function takes the library's open connection and returns records (`trainers.runs.records`)
or plain values. `RunLibrary` checks the arguments first and turns a sqlite3 error into a
RunLibraryError naming the file.
"""

from __future__ import annotations

import sqlite3

from trainers.runs.records import RunCurves, RunRecord, curves_from_rows, record_from_row

# A run carrying a tag that matches: `= ?` for the tag itself, `LIKE ? ESCAPE ...` for a part.
_HAS_TAG = "EXISTS (SELECT 1 FROM tags t WHERE t.run_id = runs.id AND t.tag {match})"


def select_runs(
    db: sqlite3.Connection,
    *,
    dataset: str | None,
    optimizer: str | None,
    status: str | None,
    tag: str | None,
    search: str | None,
    order_by: str,
    descending: bool,
    limit: int | None,
) -> list[RunRecord]:
    """The runs matching every filter given, sorted by the SQL `order_by` (one of
    `trainers.runs.store.ORDERS`' values), with their tags.

    `search` matches part of the name, the dataset or a tag, ignoring case.
    """
    where, values = [], []
    for column, value in (("dataset", dataset), ("optimizer", optimizer), ("status", status)):
        if value:
            where.append(f"{column} = ?")
            values.append(value)
    if tag:
        where.append(_HAS_TAG.format(match="= ?"))
        values.append(tag)
    if search:
        like = "LIKE ? ESCAPE '\\'"
        where.append(f"(name {like} OR dataset {like} OR {_HAS_TAG.format(match=like)})")
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        values += [pattern + "%"] * 3
    sql = "SELECT * FROM runs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    direction = "DESC" if descending else "ASC"
    # NULLs (a run with no loss yet) sort last whichever the direction.
    sql += f" ORDER BY {order_by.split()[0]} IS NULL, {order_by} {direction}, id"
    if limit is not None:
        sql += f" LIMIT {max(0, int(limit))}"
    cursor = db.execute(sql, values)
    records = [record_from_row(cursor.description, row) for row in cursor.fetchall()]
    _attach_tags(db, records)
    return records


def select_run(db: sqlite3.Connection, run_id: int) -> RunRecord | None:
    """One run with its tags, or None when there is no such run."""
    cursor = db.execute("SELECT * FROM runs WHERE id = ?", (int(run_id),))
    row = cursor.fetchone()
    if row is None:
        return None
    record = record_from_row(cursor.description, row)
    _attach_tags(db, [record])
    return record


def select_curves(db: sqlite3.Connection, run_id: int) -> RunCurves:
    """A run's step and epoch curves, as far as they were written."""
    chunks = db.execute(
        "SELECT steps, losses FROM step_chunks WHERE run_id = ? ORDER BY first_step", (run_id,)
    ).fetchall()
    epoch_rows = db.execute(
        "SELECT epoch, seconds, logs FROM epochs WHERE run_id = ? ORDER BY epoch", (run_id,)
    ).fetchall()
    return curves_from_rows(chunks, epoch_rows)


def distinct_values(db: sqlite3.Connection, column: str) -> list[str]:
    """The distinct values recorded in one of the runs' columns (a name from our code)."""
    rows = db.execute(f"SELECT DISTINCT {column} FROM runs ORDER BY {column}").fetchall()
    return [row[0] for row in rows]


def all_tags(db: sqlite3.Connection) -> list[str]:
    """Every tag in use, sorted."""
    return [row[0] for row in db.execute("SELECT DISTINCT tag FROM tags ORDER BY tag").fetchall()]


def running_runs(db: sqlite3.Connection, hostname: str) -> list[tuple[int, int | None, str | None]]:
    """(id, pid, process token) of the runs still marked `running` by processes of `hostname`."""
    return db.execute(
        "SELECT id, pid, process_token FROM runs WHERE status = 'running' AND hostname = ?",
        (hostname,),
    ).fetchall()


def process_token(db: sqlite3.Connection, run_id: int) -> str | None:
    """The token of the process that recorded a run (see `trainers.runs.process`)."""
    return db.execute("SELECT process_token FROM runs WHERE id = ?", (run_id,)).fetchone()[0]


def _attach_tags(db: sqlite3.Connection, records: list[RunRecord]) -> None:
    if not records:
        return
    by_id = {record.id: record for record in records}
    marks = ", ".join("?" * len(by_id))
    rows = db.execute(
        f"SELECT run_id, tag FROM tags WHERE run_id IN ({marks}) ORDER BY tag", list(by_id)
    ).fetchall()
    for run_id, tag in rows:
        by_id[run_id].tags.append(tag)
