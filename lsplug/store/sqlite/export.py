"""Export reads of the SQLite store: batches read ahead, and batches as JSON bytes.

An export is one long keyset scan. Two things keep it fast: the next batches are read on a
reader thread while the event loop sends the current one, and for exporters that only
splice each task's JSON SQLite writes the whole batch's JSON text in one statement (no
:class:`~lsplug.records.TaskRecord`, no Python object per task), so the reader thread runs
without the GIL and the event loop never touches a task.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")
Read = Callable[[sqlite3.Connection], T]

BATCH_BYTES = 1 << 20
"""A JSON batch aims at this size: big writes, yet memory stays flat with large tasks."""
MIN_BATCH = 100
READ_AHEAD = 2
"""How many batches the reader thread may have ready before the consumer takes one."""
JSON_READS = 1
"""JSON batches being made at once. Two at once on two threads measured slower (72 against
91-98 MB/s on 2 cores): SQLite's string building contends, and the client wants a core."""

# A task's JSON exactly as TaskRecord.json_bytes() writes it (tests check that the two
# agree), written by SQLite. Completions and predictions are looked up only for tasks that
# can have them: a labeled task (``is_labeled`` is the store's "has a completion"), and any
# task when the project holds a prediction at or past the batch (one check per batch).
WITH_ID = "'{\"id\":' || id || CASE WHEN body = '{}' THEN '}' ELSE ',' || substr(body, 2) END"


def _items(table: str) -> str:
    """The task's completions or predictions (``"id"`` spliced in first, as the store's
    ``with_id`` does) joined by commas: the (project_id, task_id, id) index feeds them in
    id order, so group_concat joins them in that order."""
    return (
        f"coalesce((SELECT group_concat({WITH_ID}, ',') FROM {table} "
        "WHERE project_id=?1 AND task_id=t.id), '')"
    )


# completed_at as format_completed_at() writes it (UTC), quoted; NULL stays null. datetime()
# writes that same form and costs less than strftime() with a pattern.
COMPLETED_AT = (
    "CASE WHEN t.completed_at IS NULL THEN 'null' "
    "ELSE '\"' || datetime(t.completed_at, 'unixepoch') || '\"' END"
)
META = "CASE WHEN length(t.meta) THEN t.meta ELSE '{}' END"
PREDICTED = "EXISTS (SELECT 1 FROM predictions WHERE project_id=?1 AND task_id>=?2)"
# printf() makes each task's text in one allocation, where || makes one per piece. A task
# with nothing but data (most of a big project) takes the first, shorter form.
PLAIN_TASK = (
    'printf(\'{"id":%d,"data":%s,"completions":[],"predictions":[],'
    f'"completed_at":null,"meta":%s}}\', t.id, t.data, {META})'
)
FULL_TASK = (
    'printf(\'{"id":%d,"data":%s,"completions":[%s],"predictions":[%s],'
    '"completed_at":%s,"meta":%s}\', t.id, t.data, '
    f"CASE WHEN t.is_labeled THEN {_items('completions')} ELSE '' END, "
    f"CASE WHEN {PREDICTED} THEN {_items('predictions')} ELSE '' END, {COMPLETED_AT}, {META})"
)
TASK_JSON = (
    f"CASE WHEN t.is_labeled=0 AND t.completed_at IS NULL AND NOT {PREDICTED} "
    f"THEN {PLAIN_TASK} ELSE {FULL_TASK} END"
)


async def read_ahead(
    run: Callable[[Read[T]], Awaitable[T]],
    first: Read[T],
    after: Callable[[T], Read[T] | None],
    depth: int = READ_AHEAD,
) -> AsyncIterator[T]:
    """``run(first)``, then ``run(after(result))`` until None; reads go on while up to
    ``depth`` results wait for the consumer, so the reader thread works while it does."""
    ready: asyncio.Queue[tuple[T, None] | tuple[None, BaseException | None]] = asyncio.Queue(depth)

    async def produce() -> None:
        read: Read[T] | None = first
        try:
            while read is not None:
                result = await run(read)
                read = after(result)
                if read is not None:
                    await ready.put((result, None))
        except Exception as exc:  # handed to the consumer, raised there
            await ready.put((None, exc))
            return
        await ready.put((None, None))

    producer = asyncio.ensure_future(produce())
    try:
        while True:
            result, error = await ready.get()
            if error is not None:
                raise error
            if result is None:
                return
            yield result
    finally:
        producer.cancel()


def next_span(span: int, size: int, most: int) -> int:
    """How many ids the next JSON batch spans: about :data:`BATCH_BYTES` at the bytes per id
    of the last one (``span`` ids, ``size`` bytes), at most ``most``."""
    return min(most, max(MIN_BATCH, span * BATCH_BYTES // max(size, 1)))


def id_bounds(
    conn: sqlite3.Connection, project_id: int, only_labeled: bool
) -> tuple[int | None, int | None]:
    """The smallest and largest task id the export will write (None, None: no task)."""
    labeled = " AND is_labeled=1" if only_labeled else ""
    row = conn.execute(
        f"SELECT min(id), max(id) FROM tasks WHERE project_id=?{labeled}", (project_id,)
    ).fetchone()
    return row[0], row[1]


def json_range(
    conn: sqlite3.Connection, project_id: int, lo: int, hi: int, only_labeled: bool
) -> bytes:
    """The JSON of the tasks with ids in ``lo..hi-1``, in id order, joined by commas, made in
    one statement: SQLite writes the whole batch, and the GIL is free meanwhile."""
    labeled = " AND t.is_labeled=1" if only_labeled else ""
    (blob,) = conn.execute(
        f"SELECT CAST(group_concat(task, ',') AS BLOB) FROM (SELECT {TASK_JSON} AS task "
        f"FROM tasks t WHERE t.project_id=?1 AND t.id>=?2 AND t.id<?3{labeled} ORDER BY t.id)",
        (project_id, lo, hi),
    ).fetchone()
    return blob or b""


async def json_batches(
    run: Callable[[Read[Any]], Awaitable[Any]],
    project_id: int,
    only_labeled: bool,
    most: int,
    depth: int = JSON_READS,
) -> AsyncIterator[bytes]:
    """The tasks' JSON in id order, a batch (tasks joined by commas) at a time.

    Batches are id ranges, which do not depend on the previous batch's result: the next
    ``depth`` are made on reader threads (SQLite runs without the GIL) while the consumer
    sends the current one. The ids are those of the tasks there at the start.
    """
    lo, top = await run(partial(id_bounds, project_id=project_id, only_labeled=only_labeled))
    if lo is None or top is None:
        return
    read = partial(json_range, project_id=project_id, only_labeled=only_labeled)
    span = min(most, 1000)
    pending: deque[tuple[int, asyncio.Future[bytes]]] = deque()

    def fill() -> None:
        nonlocal lo
        while lo <= top and len(pending) < depth:
            future = asyncio.ensure_future(run(partial(read, lo=lo, hi=lo + span)))
            pending.append((span, future))
            lo += span

    try:
        fill()
        while pending:
            used, future = pending.popleft()
            blob = await future
            span = next_span(used, len(blob), most)
            fill()  # the next read goes on while this batch is sent
            if blob:
                yield blob
    finally:
        for _, future in pending:
            future.cancel()
