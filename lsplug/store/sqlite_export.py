"""Export reads of the SQLite store: batches read ahead, and batches as JSON bytes.

An export is one long keyset scan. Two things keep it fast: the next batch is read on a
reader thread while the event loop sends the current one, and for exporters that only
splice each task's JSON the reader thread writes the whole batch's JSON itself, with one
``%`` format per task and no :class:`~lsplug.records.TaskRecord`, so the event loop never
touches a task.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
Read = Callable[[sqlite3.Connection], T]

BATCH_BYTES = 1 << 20
"""A JSON batch aims at this size: big writes, yet memory stays flat with large tasks."""
MIN_BATCH = 100
# A task's JSON as TaskRecord.json_bytes() writes it (tests check that the two agree), and
# the same for a task without completions, predictions or completed_at: most tasks.
FULL = b'{"id":%d,"data":%b,"completions":[%b],"predictions":[%b],"completed_at":%b,"meta":%b}'
PLAIN = b'{"id":%d,"data":%b,"completions":[],"predictions":[],"completed_at":null,"meta":%b}'
# completed_at as format_completed_at() writes it (UTC), quoted; NULL stays NULL.
COMPLETED_AT = (
    "CAST('\"' || strftime('%Y-%m-%d %H:%M:%S', completed_at, 'unixepoch') || '\"' AS BLOB)"
)
WITH_ID = "'{\"id\":' || id || CASE WHEN body = '{}' THEN '}' ELSE ',' || substr(body, 2) END"


async def read_ahead(
    run: Callable[[Read[T]], Awaitable[T]], first: Read[T], after: Callable[[T], Read[T] | None]
) -> AsyncIterator[T]:
    """``run(first)``, then ``run(after(result))`` until None, each read started before the
    previous result is yielded, so that the reader thread works while the consumer does."""
    pending = asyncio.ensure_future(run(first))
    try:
        while True:
            result = await pending
            following = after(result)
            if following is None:
                return
            pending = asyncio.ensure_future(run(following))
            yield result
    finally:
        pending.cancel()


JsonBatch = tuple[int, int, bytes]
"""The last task id, the number of tasks, and their JSON joined by commas."""


def next_limit(batch: JsonBatch, most: int) -> int:
    """The size of the next JSON batch: about :data:`BATCH_BYTES`, at most ``most`` tasks."""
    _, count, blob = batch
    return max(MIN_BATCH, min(most, count * BATCH_BYTES // max(len(blob), 1)))


def json_after(
    conn: sqlite3.Connection, project_id: int, after: int, limit: int, only_labeled: bool
) -> JsonBatch:
    """The JSON of up to ``limit`` tasks after id ``after`` in id order (count 0: no more)."""
    labeled = " AND is_labeled=1" if only_labeled else ""
    rows = conn.execute(
        f"SELECT id, CAST(data AS BLOB), CAST(meta AS BLOB), {COMPLETED_AT} FROM tasks "
        f"WHERE project_id=? AND id>?{labeled} ORDER BY id LIMIT ?",
        (project_id, after, limit),
    ).fetchall()
    if not rows:
        return after, 0, b""
    span = (project_id, rows[0][0], rows[-1][0])
    completions = _items(conn, "completions", span)
    predictions = _items(conn, "predictions", span)
    special = completions.keys() | predictions.keys()
    joined = b",".join([
        PLAIN % (i, d, m or b"{}") if c is None and i not in special
        else FULL % (
            i, d, completions.get(i, b""), predictions.get(i, b""), c or b"null", m or b"{}"
        )
        for i, d, m, c in rows
    ])  # fmt: skip
    return rows[-1][0], len(rows), joined


def _items(conn: sqlite3.Connection, table: str, span: tuple[int, int, int]) -> dict[int, bytes]:
    """The completions or predictions of the tasks with ids in a span: per task, their JSON
    (``"id"`` spliced in first, as the store's ``with_id`` does) joined by commas."""
    # The (project_id, task_id, id) index feeds each group in id order, so group_concat
    # joins them in that order.
    sql = (
        f"SELECT task_id, CAST(group_concat({WITH_ID}, ',') AS BLOB) FROM {table} "
        "WHERE project_id=? AND task_id BETWEEN ? AND ? GROUP BY task_id ORDER BY task_id"
    )
    return dict(conn.execute(sql, span).fetchall())
