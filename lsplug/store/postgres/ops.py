"""The PostgreSQL store's work inside one transaction: inserts, counters, leases, records.

Each function takes a :class:`Tx` (a connection in a transaction and the counter changes
made so far); :meth:`Tx.flush` writes the counters last, so the one contended row of a
transaction is locked for as short a time as possible.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from lsplug.records import TaskRecord
from lsplug.store.bodies import dumps, score_of, with_id, without_id
from lsplug.store.rows import COUNTERS, NewTask

COUNTER_SLOTS = 64


class Tx:
    """One transaction's connection and the counter deltas it owes the project."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.deltas: dict[int, dict[str, int]] = {}

    def bump(self, project_id: int, **deltas: int) -> None:
        """Add ``deltas`` to the project's counters when the transaction ends."""
        mine = self.deltas.setdefault(project_id, dict.fromkeys(COUNTERS, 0))
        for key, value in deltas.items():
            mine[key] += value

    async def flush(self) -> None:
        """Write the counters into this connection's slot row (writers seldom wait)."""
        for project_id, d in self.deltas.items():
            if any(d.values()):
                await self.conn.execute(
                    "INSERT INTO project_counts AS c "
                    f"VALUES ($1, pg_backend_pid() % {COUNTER_SLOTS}, $2, $3, $4, $5) "
                    "ON CONFLICT (project_id, slot) DO UPDATE SET "
                    + ", ".join(f"{k}=c.{k}+excluded.{k}" for k in COUNTERS),
                    project_id,
                    *(d[k] for k in COUNTERS),
                )
        self.deltas.clear()


def text(value: bytes | str | None) -> str | None:
    """JSON bytes as the text a TEXT column takes."""
    return value.decode() if isinstance(value, bytes) else value


async def enqueue(tx: Tx, project_id: int, task_ids: Sequence[int]) -> None:
    """Queue tasks for the sink (a fresh try, a new ``seq``; a running claim stays with its
    process)."""
    await tx.conn.execute(
        "INSERT INTO outbox (project_id, task_id, queued_at) "
        "SELECT $1, t, $3 FROM unnest($2::bigint[]) t "
        "ON CONFLICT (project_id, task_id) DO UPDATE SET queued_at=excluded.queued_at, "
        "seq=excluded.seq, attempts=0, next_try=0, last_error=NULL",
        project_id,
        list(task_ids),
        time.time(),
    )


async def enqueue_labeled(tx: Tx, project_id: int) -> int:
    """Queue every labeled task; the count."""
    status: str = await tx.conn.execute(
        "INSERT INTO outbox (project_id, task_id, queued_at) "
        "SELECT project_id, id, $2 FROM tasks WHERE project_id=$1 AND is_labeled "
        "ON CONFLICT (project_id, task_id) DO UPDATE SET queued_at=excluded.queued_at, "
        "seq=excluded.seq, attempts=0, next_try=0, last_error=NULL",
        project_id,
        time.time(),
    )
    return int(status.split()[-1])


async def take_ids(tx: Tx, project_id: int, count: int) -> int:
    """Reserve ``count`` task ids (the project row stays locked until the transaction ends)."""
    first: int = await tx.conn.fetchval(
        "UPDATE projects SET next_task_id=next_task_id+$2 WHERE id=$1 RETURNING next_task_id-$2",
        project_id,
        count,
    )
    return first


async def _sequence_ids(tx: Tx, table: str, count: int) -> list[int]:
    if not count:
        return []
    rows = await tx.conn.fetch(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)",
        count,
    )
    return [r[0] for r in rows]


async def insert_chunk(
    tx: Tx, project_id: int, tasks: Sequence[NewTask], source: str | None, enqueue_it: bool
) -> tuple[list[int], int, int]:
    """COPY a chunk of new tasks with their completions and predictions; ids and counts."""
    first = await take_ids(tx, project_id, len(tasks))
    ids = list(range(first, first + len(tasks)))
    now = int(time.time())
    completions = [
        (i, without_id(c)) for i, t in zip(ids, tasks, strict=True) for c in t.completions
    ]
    predictions = [
        (i, without_id(p)) for i, t in zip(ids, tasks, strict=True) for p in t.predictions
    ]
    newest: dict[int, int] = {}
    for task_id, body in completions:
        newest[task_id] = max(newest.get(task_id, body["created_at"]), body["created_at"])
    scores = {i: s for i, p in predictions if (s := score_of(p)) is not None}
    await tx.conn.copy_records_to_table(
        "tasks",
        columns=["project_id", "id", "data", "meta", "completed_at", "is_labeled", "score",
                 "created_at"],
        records=[(project_id, i, text(t.data), text(t.meta), newest.get(i), i in newest,
                  scores.get(i), now) for i, t in zip(ids, tasks, strict=True)],
    )  # fmt: skip
    await _copy_completions(tx, project_id, completions)
    await _copy_predictions(tx, project_id, predictions)
    if source is not None:
        await tx.conn.executemany(
            "INSERT INTO source_items VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(project_id, source, t.source_key, i) for i, t in zip(ids, tasks, strict=True)],
        )
    if enqueue_it and newest:
        await enqueue(tx, project_id, sorted(newest))
    tx.bump(
        project_id,
        task_count=len(ids),
        completion_count=len(completions),
        prediction_count=len(predictions),
        labeled_count=len(newest),
    )
    return ids, len(completions), len(predictions)


async def _copy_completions(
    tx: Tx, project_id: int, items: Sequence[tuple[int, dict[str, Any]]]
) -> list[int]:
    ids = await _sequence_ids(tx, "completions", len(items))
    if items:
        await tx.conn.copy_records_to_table(
            "completions",
            columns=["id", "project_id", "task_id", "body", "created_at", "was_cancelled"],
            records=[(cid, project_id, t, dumps(b), int(b["created_at"]),
                      bool(b.get("was_cancelled")))
                     for cid, (t, b) in zip(ids, items, strict=True)],
        )  # fmt: skip
    return ids


async def _copy_predictions(
    tx: Tx, project_id: int, items: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    ids = await _sequence_ids(tx, "predictions", len(items))
    if items:
        await tx.conn.copy_records_to_table(
            "predictions",
            columns=["id", "project_id", "task_id", "body", "score", "model_version",
                     "created_by"],
            records=[(pid, project_id, t, dumps(b), score_of(b), b.get("model_version"),
                      b.get("created_by")) for pid, (t, b) in zip(ids, items, strict=True)],
        )  # fmt: skip


async def insert_completions(
    tx: Tx, project_id: int, task_id: int, bodies: list[dict[str, Any]]
) -> int:
    """Insert completions of an existing task (its flags are refreshed by the caller)."""
    items = [(task_id, without_id(b)) for b in bodies]
    await _copy_completions(tx, project_id, items)
    tx.bump(project_id, completion_count=len(items))
    return len(items)


async def insert_predictions(
    tx: Tx, project_id: int, items: Sequence[tuple[int, dict[str, Any]]]
) -> int:
    """Insert predictions of existing tasks and rescore those tasks."""
    await _copy_predictions(tx, project_id, [(t, without_id(b)) for t, b in items])
    tx.bump(project_id, prediction_count=len(items))
    await rescore(tx, project_id, sorted({t for t, _ in items}))
    return len(items)


async def rescore(tx: Tx, project_id: int, task_ids: Sequence[int]) -> None:
    """A task's score is that of its newest scored prediction (active-learning sampling)."""
    await tx.conn.execute(
        "UPDATE tasks t SET score=(SELECT p.score FROM predictions p WHERE p.project_id=$1 "
        "AND p.task_id=t.id AND p.score IS NOT NULL ORDER BY p.id DESC LIMIT 1) "
        "WHERE t.project_id=$1 AND t.id=ANY($2::bigint[])",
        project_id,
        list(task_ids),
    )


async def locked_task(tx: Tx, project_id: int, task_id: int) -> bool | None:
    """Lock a task's row; its labeled flag, or None if it does not exist."""
    labeled: bool | None = await tx.conn.fetchval(
        "SELECT is_labeled FROM tasks WHERE project_id=$1 AND id=$2 FOR UPDATE",
        project_id,
        task_id,
    )
    return labeled


async def drop_completions(tx: Tx, project_id: int, task_id: int) -> None:
    """Delete a task's completions (its flags are refreshed by the caller)."""
    status: str = await tx.conn.execute(
        "DELETE FROM completions WHERE project_id=$1 AND task_id=$2", project_id, task_id
    )
    tx.bump(project_id, completion_count=-int(status.split()[-1]))


async def refresh_task(tx: Tx, project_id: int, task_id: int, enqueue_it: bool) -> None:
    """Recompute a task's labeled flag and completed time after its completions changed."""
    was = await locked_task(tx, project_id, task_id)
    count, newest = await tx.conn.fetchrow(
        "SELECT count(*), max(created_at) FROM completions WHERE project_id=$1 AND task_id=$2",
        project_id,
        task_id,
    )
    await tx.conn.execute(
        "UPDATE tasks SET is_labeled=$3, completed_at=$4 WHERE project_id=$1 AND id=$2",
        project_id,
        task_id,
        count > 0,
        newest,
    )
    tx.bump(project_id, labeled_count=int(count > 0) - int(bool(was)))
    if enqueue_it:
        await enqueue(tx, project_id, [task_id])


# --- reading tasks ----------------------------------------------------------------------------

TASK_COLUMNS = "id, data, meta, completed_at"


async def assemble(
    conn: asyncpg.Connection, project_id: int, rows: Sequence[asyncpg.Record], where: str,
    args: tuple[Any, ...],
) -> list[TaskRecord]:  # fmt: skip
    """Task rows joined with their completions and predictions (two indexed queries)."""
    found: dict[str, dict[int, list[bytes]]] = {"completions": {}, "predictions": {}}
    for table, into in found.items():
        sql = f"SELECT task_id, id, body FROM {table} WHERE {where} ORDER BY task_id, id"
        for task_id, item_id, body in await conn.fetch(sql, project_id, *args):
            into.setdefault(task_id, []).append(with_id(item_id, body))
    return [
        TaskRecord(
            id=r[0],
            data=r[1].encode(),
            meta=r[2].encode() if r[2] else None,
            completions=found["completions"].get(r[0], ()),
            predictions=found["predictions"].get(r[0], ()),
            completed_at=r[3],
        )
        for r in rows
    ]


def _items_of(table: str, column: str) -> str:
    return (
        f"ARRAY(SELECT x.{column} FROM {table} x WHERE x.project_id=t.project_id "
        "AND x.task_id=t.id ORDER BY x.id)"
    )


# One statement (one round trip, one snapshot): the tasks with their items' ids and bodies.
RECORD_COLUMNS = (
    f"t.id, t.data, t.meta, t.completed_at, {_items_of('completions', 'id')}, "
    f"{_items_of('completions', 'body')}, {_items_of('predictions', 'id')}, "
    f"{_items_of('predictions', 'body')}"
)
BY_IDS_SQL = (
    f"SELECT {RECORD_COLUMNS} FROM tasks t WHERE t.project_id=$1 AND t.id=ANY($2::bigint[])"
)
# The lease function runs once (a materialized CTE), then its task is read like BY_IDS_SQL.
LEASED_SQL = (
    "WITH leased AS MATERIALIZED (SELECT lsplug_lease($1, $2, $3, $4) AS id) "
    f"SELECT {RECORD_COLUMNS}, leased.id FROM leased "
    "LEFT JOIN tasks t ON t.project_id=$1 AND t.id=leased.id"
)


def _record(r: asyncpg.Record) -> TaskRecord:
    return TaskRecord(
        id=r[0],
        data=r[1].encode(),
        meta=r[2].encode() if r[2] else None,
        completions=[with_id(i, b) for i, b in zip(r[4], r[5], strict=True)],
        predictions=[with_id(i, b) for i, b in zip(r[6], r[7], strict=True)],
        completed_at=r[3],
    )


async def leased_record(
    conn: asyncpg.Connection | asyncpg.Pool,
    project_id: int,
    owner: str,
    strategy: str,
    lease_seconds: float,
) -> TaskRecord | None:
    """Lease the next task to ``owner`` and read it, in one statement.

    The statement reads the task in the snapshot it started with, taken before the lease
    function chose it: a task imported by another process in between is leased but not
    seen there, and is read again by a statement of its own.
    """
    row = await conn.fetchrow(LEASED_SQL, project_id, owner, strategy, lease_seconds)
    leased = row[8]
    if leased is None:
        return None
    if row[0] is None:
        found = await records_by_ids(conn, project_id, [leased])
        return found[0] if found else None
    return _record(row)


async def records_by_ids(
    conn: asyncpg.Connection | asyncpg.Pool, project_id: int, ids: Sequence[int]
) -> list[TaskRecord]:
    """Tasks by id, in the order asked."""
    wanted = list(ids)
    by_id = {}
    for r in await conn.fetch(BY_IDS_SQL, project_id, wanted):
        by_id[r[0]] = _record(r)
    return [by_id[i] for i in wanted if i in by_id]


async def records_after(
    conn: asyncpg.Connection, project_id: int, after: int, limit: int, only_labeled: bool
) -> list[TaskRecord]:
    """The next batch of a keyset-paged stream."""
    labeled = " AND is_labeled" if only_labeled else ""
    rows = await conn.fetch(
        f"SELECT {TASK_COLUMNS} FROM tasks WHERE project_id=$1 AND id>$2{labeled} "
        "ORDER BY id LIMIT $3",
        project_id,
        after,
        limit,
    )
    if not rows:
        return []
    where = "project_id=$1 AND task_id BETWEEN $2 AND $3"
    return await assemble(conn, project_id, rows, where, (rows[0][0], rows[-1][0]))


# data[key]'s type by SQLite's json_type names (text, integer, real, true, false, null, ...).
JSON_TYPE_SQL = (
    "(CASE json_typeof(data::json->$2) WHEN 'string' THEN 'text' "
    "WHEN 'number' THEN CASE WHEN data::json->>$2 ~ '[.eE]' THEN 'real' ELSE 'integer' END "
    "WHEN 'boolean' THEN data::json->>$2 "
    "ELSE coalesce(json_typeof(data::json->$2), 'missing') END)"
)

# Per result item: its control, and each label of its value's list named by its type.
USAGE_SQL = """
SELECT r.item->>'from_name', l.label, count(DISTINCT c.id)
FROM completions c
CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(c.body::json->'result')='array'
    THEN c.body::json->'result' ELSE '[]'::json END) AS r(item)
LEFT JOIN LATERAL (
    SELECT CASE WHEN json_typeof(x)='string' THEN x#>>'{}' ELSE x::text END AS label
    FROM json_array_elements(CASE json_typeof(r.item->'value'->(r.item->>'type'))
        WHEN 'array' THEN r.item->'value'->(r.item->>'type')
        WHEN 'string' THEN json_build_array(r.item->'value'->(r.item->>'type'))
        WHEN 'number' THEN json_build_array(r.item->'value'->(r.item->>'type'))
        ELSE '[]'::json END) AS e(x)
) l ON TRUE
WHERE c.project_id=$1 AND json_typeof(r.item->'from_name')='string'
GROUP BY 1, 2
"""
