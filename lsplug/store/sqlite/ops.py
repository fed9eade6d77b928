"""The SQLite store's work inside a transaction: inserts, counters, task rows.

Each function takes the connection of a transaction already open (the writer's, or a
reader's) and does one step of a :class:`~lsplug.store.sqlite.store.SQLiteStore` method.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from lsplug.records import TaskRecord
from lsplug.store.bodies import dumps, score_of, with_id
from lsplug.store.rows import (
    ImportResult,
    NewTask,
)

INSERT_CHUNK = 5000


def _params(n: int) -> str:
    return ",".join("?" * n)


def _column(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[Any]:
    """The first column of every row of a query."""
    return [r[0] for r in conn.execute(sql, args)]


def _task_exists(conn: sqlite3.Connection, project_id: int, task_id: int) -> bool:
    sql = "SELECT 1 FROM tasks WHERE project_id=? AND id=?"
    return conn.execute(sql, (project_id, task_id)).fetchone() is not None


def _bump(conn: sqlite3.Connection, project_id: int, **deltas: int) -> None:
    """Add ``deltas`` to the project's counters."""
    deltas = {k: v for k, v in deltas.items() if v}
    if deltas:
        sets = ", ".join(f"{k}={k}+?" for k in deltas)
        conn.execute(f"UPDATE projects SET {sets} WHERE id=?", (*deltas.values(), project_id))


def _enqueue(conn: sqlite3.Connection, project_id: int, task_ids: Iterable[int]) -> None:
    now = time.time()
    conn.executemany(
        "INSERT OR REPLACE INTO outbox (project_id, task_id, queued_at) VALUES (?, ?, ?)",
        [(project_id, t, now) for t in task_ids],
    )


def _insert_tasks(
    conn: sqlite3.Connection,
    project_id: int,
    tasks: Iterable[NewTask],
    source: str | None,
    enqueue: bool,
) -> ImportResult:
    """Insert tasks chunk by chunk (the feed may still be converting later ones)."""
    (first,) = conn.execute(
        "SELECT next_task_id FROM projects WHERE id=?", (project_id,)
    ).fetchone()
    ids: list[int] = []
    counts = [0, 0]
    for chunk in _batched(tasks, INSERT_CHUNK):
        chunk_ids = range(first + len(ids), first + len(ids) + len(chunk))
        _insert_chunk(conn, project_id, chunk_ids, chunk, source, enqueue, counts)
        ids.extend(chunk_ids)
    conn.execute(
        "UPDATE projects SET next_task_id=?, task_count=task_count+? WHERE id=?",
        (first + len(ids), len(ids), project_id),
    )
    return ImportResult(ids, counts[0], counts[1])


def _batched(items: Iterable[NewTask], size: int) -> Iterator[list[NewTask]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _insert_chunk(
    conn: sqlite3.Connection,
    project_id: int,
    ids: range,
    tasks: Sequence[NewTask],
    source: str | None,
    enqueue: bool,
    counts: list[int],
) -> None:
    """Insert tasks with ids ``ids``; add the completions and predictions made to ``counts``."""
    now = int(time.time())
    conn.executemany(
        "INSERT INTO tasks (project_id, id, data, meta, created_at) VALUES (?, ?, ?, ?, ?)",
        [(project_id, i, t.data, t.meta, now) for i, t in zip(ids, tasks, strict=True)],
    )
    for task_id, task in zip(ids, tasks, strict=True):
        if task.completions:
            counts[0] += len(_insert_completions(conn, project_id, task_id, task.completions))
            _refresh_task(conn, project_id, task_id, enqueue)
        if task.predictions:
            counts[1] += _insert_predictions(conn, project_id, task_id, task.predictions)
    if source is not None:
        conn.executemany(
            "INSERT OR IGNORE INTO source_items VALUES (?, ?, ?, ?)",
            [(project_id, source, t.source_key, i) for i, t in zip(ids, tasks, strict=True)],
        )


def _add_completion(
    conn: sqlite3.Connection, project_id: int, task_id: int, body: dict[str, Any], enqueue: bool
) -> dict[str, Any] | None:
    """The hot path of labeling: five statements, counters and flags updated incrementally."""
    row = conn.execute(
        "SELECT is_labeled FROM tasks WHERE project_id=? AND id=?", (project_id, task_id)
    ).fetchone()
    if row is None:
        return None
    rest = {k: v for k, v in body.items() if k != "id"}
    created = rest["created_at"]
    cur = conn.execute(
        "INSERT INTO completions (project_id, task_id, body, created_at, was_cancelled) "
        "VALUES (?, ?, ?, ?, ?)",
        (project_id, task_id, dumps(rest), created, bool(rest.get("was_cancelled"))),
    )
    conn.execute(
        "UPDATE tasks SET is_labeled=1, completed_at=max(coalesce(completed_at, ?), ?) "
        "WHERE project_id=? AND id=?",
        (created, created, project_id, task_id),
    )
    _bump(conn, project_id, completion_count=1, labeled_count=1 - row[0])
    conn.execute("DELETE FROM leases WHERE project_id=? AND task_id=?", (project_id, task_id))
    if enqueue:
        _enqueue(conn, project_id, [task_id])
    return {"id": cur.lastrowid, **rest}


def _insert_completions(
    conn: sqlite3.Connection, project_id: int, task_id: int, bodies: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Insert completions; the id is a column, spliced into the JSON when read."""
    saved = []
    for body in bodies:
        rest = {k: v for k, v in body.items() if k != "id"}
        cur = conn.execute(
            "INSERT INTO completions (project_id, task_id, body, created_at, was_cancelled) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                project_id,
                task_id,
                dumps(rest),
                rest["created_at"],
                bool(rest.get("was_cancelled")),
            ),
        )
        saved.append({"id": cur.lastrowid, **rest})
    _bump(conn, project_id, completion_count=len(saved))
    return saved


def _insert_predictions(
    conn: sqlite3.Connection, project_id: int, task_id: int, bodies: list[dict[str, Any]]
) -> int:
    conn.executemany(
        "INSERT INTO predictions (project_id, task_id, body, score, model_version, created_by) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (project_id, task_id, dumps({k: v for k, v in b.items() if k != "id"}),
             score_of(b), b.get("model_version"), b.get("created_by"))
            for b in bodies
        ],
    )  # fmt: skip
    _bump(conn, project_id, prediction_count=len(bodies))
    _rescore(conn, project_id, task_id)
    return len(bodies)


def _rescore(conn: sqlite3.Connection, project_id: int, task_id: int) -> None:
    """A task's score is that of its newest scored prediction (active-learning sampling)."""
    conn.execute(
        "UPDATE tasks SET score=(SELECT score FROM predictions WHERE project_id=?1 "
        "AND task_id=?2 AND score IS NOT NULL ORDER BY id DESC LIMIT 1) "
        "WHERE project_id=?1 AND id=?2",
        (project_id, task_id),
    )


def _drop_completions(conn: sqlite3.Connection, project_id: int, task_id: int) -> None:
    n = conn.execute(
        "DELETE FROM completions WHERE project_id=? AND task_id=?", (project_id, task_id)
    ).rowcount
    _bump(conn, project_id, completion_count=-n)


def _refresh_task(conn: sqlite3.Connection, project_id: int, task_id: int, enqueue: bool) -> None:
    """Recompute a task's labeled flag and completed time after its completions changed."""
    count, newest = conn.execute(
        "SELECT count(*), max(created_at) FROM completions WHERE project_id=? AND task_id=?",
        (project_id, task_id),
    ).fetchone()
    labeled = 1 if count else 0
    (was,) = conn.execute(
        "SELECT is_labeled FROM tasks WHERE project_id=? AND id=?", (project_id, task_id)
    ).fetchone()
    conn.execute(
        "UPDATE tasks SET is_labeled=?, completed_at=? WHERE project_id=? AND id=?",
        (labeled, newest, project_id, task_id),
    )
    _bump(conn, project_id, labeled_count=labeled - was)
    if enqueue:
        _enqueue(conn, project_id, [task_id])


TASK_COLUMNS = "id, data, meta, completed_at"


def _records_by_ids(
    conn: sqlite3.Connection, project_id: int, ids: Sequence[int]
) -> list[TaskRecord]:
    rows = conn.execute(
        f"SELECT {TASK_COLUMNS} FROM tasks WHERE project_id=? AND id IN ({_params(len(ids))})",
        (project_id, *ids),
    ).fetchall()
    where = f"project_id=? AND task_id IN ({_params(len(ids))})"
    records = _assemble(conn, project_id, rows, where, (project_id, *ids))
    by_id = {r.id: r for r in records}
    return [by_id[i] for i in ids if i in by_id]


def _records_after(
    conn: sqlite3.Connection, project_id: int, after: int, limit: int, only_labeled: bool
) -> list[TaskRecord]:
    labeled = " AND is_labeled=1" if only_labeled else ""
    rows = conn.execute(
        f"SELECT {TASK_COLUMNS} FROM tasks WHERE project_id=? AND id>?{labeled} "
        "ORDER BY id LIMIT ?",
        (project_id, after, limit),
    ).fetchall()
    if not rows:
        return []
    where = "project_id=? AND task_id BETWEEN ? AND ?"
    return _assemble(conn, project_id, rows, where, (project_id, rows[0][0], rows[-1][0]))


def _assemble(
    conn: sqlite3.Connection,
    project_id: int,
    rows: list[tuple[Any, ...]],
    where: str,
    args: tuple[Any, ...],
) -> list[TaskRecord]:
    """Task rows joined with their completions and predictions (two indexed queries)."""
    completions: dict[int, list[bytes]] = {}
    predictions: dict[int, list[bytes]] = {}
    for table, into in (("completions", completions), ("predictions", predictions)):
        sql = f"SELECT task_id, id, body FROM {table} WHERE {where} ORDER BY task_id, id"
        for task_id, item_id, body in conn.execute(sql, args):
            into.setdefault(task_id, []).append(with_id(item_id, body))
    return [
        TaskRecord(
            id=r[0],
            data=r[1] if isinstance(r[1], bytes) else r[1].encode(),
            meta=(r[2] if isinstance(r[2], bytes) else r[2].encode()) if r[2] else None,
            completions=completions.get(r[0], ()),
            predictions=predictions.get(r[0], ()),
            completed_at=r[3],
        )
        for r in rows
    ]
