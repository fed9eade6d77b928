"""The PostgreSQL store: the :class:`~lsplug.store.roles.Store` interface on asyncpg.

Several server processes may share one database: task ids come from a counter on the
project row (``UPDATE ... RETURNING``), completion ids from an identity, leases are taken
with ``FOR UPDATE SKIP LOCKED``, and sink outbox entries are claimed by one process at a
time (a claim that runs out when its process dies). The work inside a transaction is in
:mod:`lsplug.store.postgres.ops`; leases in :mod:`~lsplug.store.postgres.leasing`,
predictions in :mod:`~lsplug.store.postgres.predictions`, sources and outbox in
:mod:`~lsplug.store.postgres.outbox`, projects and people in
:mod:`~lsplug.store.postgres.people`, jobs in :mod:`~lsplug.store.postgres.jobs`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

import asyncpg
import orjson

import lsplug.store.postgres.ops as ops
from lsplug.records import TaskRecord
from lsplug.store.bodies import dumps, without_id
from lsplug.store.postgres.base import count_of, disk_full_mapped
from lsplug.store.postgres.jobs import JobsMixin
from lsplug.store.postgres.leasing import LeasingMixin
from lsplug.store.postgres.migrations import LATEST, migrate
from lsplug.store.postgres.ops import Tx
from lsplug.store.postgres.outbox import OutboxMixin
from lsplug.store.postgres.people import PROJECT_SQL, PeopleMixin, project_row
from lsplug.store.postgres.predictions import PredictionsMixin
from lsplug.store.rows import (
    ImportResult,
    NewTask,
    ProjectRow,
    TaskOrder,
)

T = TypeVar("T")
SCHEMA_VERSION = LATEST
INSERT_CHUNK = 5000
ORDER_SQL = {
    "id": "id",
    "-id": "id DESC",
    "completed_at": "completed_at NULLS FIRST, id",
    "-completed_at": "completed_at DESC NULLS LAST, id DESC",
}


@disk_full_mapped
class PostgresStore(PeopleMixin, LeasingMixin, PredictionsMixin, OutboxMixin, JobsMixin):
    """The project state in a PostgreSQL database, shared by any number of processes."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Migrate the schema (one process at a time), then open the connection pool."""
        conn = await asyncpg.connect(self.url)
        try:
            await migrate(conn, _redacted(self.url))
        finally:
            await conn.close()
        self._pool = await asyncpg.create_pool(
            self.url, min_size=1, max_size=self._pool_size, reset=release_connection
        )

    async def close(self) -> None:
        """Wait for the running queries and close every connection."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # --- projects --------------------------------------------------------------------------

    async def ensure_project(self, uuid: str, title: str, label_config: str | None) -> ProjectRow:
        """The project with ``uuid``, created if new."""

        async def op(tx: Tx) -> int:
            await tx.conn.execute(
                "INSERT INTO projects (uuid, title, label_config, created_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (uuid) DO NOTHING",
                uuid, title, label_config, int(time.time()),
            )  # fmt: skip
            project_id: int = await tx.conn.fetchval("SELECT id FROM projects WHERE uuid=$1", uuid)
            return project_id

        return await self.get_project(await self._write(op))

    async def get_project(self, project_id: int) -> ProjectRow:
        """The project's row and counters (the sum of its counter slots)."""
        assert self._pool is not None, "the store is not open"
        row = await self._pool.fetchrow(PROJECT_SQL + "WHERE p.id=$1 GROUP BY p.id", project_id)
        if row is None:
            raise KeyError(project_id)
        return project_row(row)

    async def update_project(
        self,
        project_id: int,
        *,
        label_config: str | None = None,
        settings: dict[str, Any] | None = None,
        title: str | None = None,
    ) -> ProjectRow:
        """Change label config, settings or title."""
        changes = {"label_config": label_config, "title": title}
        if settings is not None:
            changes["settings"] = dumps(settings)
        changes = {k: v for k, v in changes.items() if v is not None}
        if changes:
            sets = ", ".join(f"{k}=${n}" for n, k in enumerate(changes, start=2))
            assert self._pool is not None, "the store is not open"
            await self._pool.execute(
                f"UPDATE projects SET {sets} WHERE id=$1", project_id, *changes.values()
            )
        return await self.get_project(project_id)

    # --- tasks -----------------------------------------------------------------------------

    async def import_tasks(
        self,
        project_id: int,
        tasks: Iterable[NewTask],
        source: str | None = None,
        enqueue: bool = False,
    ) -> ImportResult:
        """COPY every task in one transaction; the feed is read in a thread, chunk by chunk."""
        feed = iter(tasks)

        async def op(tx: Tx) -> ImportResult:
            ids: list[int] = []
            counts = [0, 0]
            while chunk := await asyncio.to_thread(_next_chunk, feed):
                chunk_ids, completions, predictions = await ops.insert_chunk(
                    tx, project_id, chunk, source, enqueue
                )
                ids.extend(chunk_ids)
                counts[0] += completions
                counts[1] += predictions
            return ImportResult(ids, counts[0], counts[1])

        return await self._write(op)

    async def import_flat(self, project_id: int, array: bytes, count: int) -> ImportResult:
        """Insert ``count`` flat tasks: PostgreSQL splits the JSON array itself."""

        async def op(tx: Tx) -> ImportResult:
            first = await ops.take_ids(tx, project_id, count)
            status = await tx.conn.execute(
                "INSERT INTO tasks (project_id, id, data, created_at) "
                "SELECT $1, $2 + e.n - 1, e.v::text, $3 "
                "FROM json_array_elements($4::json) WITH ORDINALITY AS e(v, n)",
                project_id, first, int(time.time()), array.decode(),
            )  # fmt: skip
            if count_of(status) != count:
                raise ValueError(f"import_flat: {count_of(status)} items, {count} expected")
            tx.bump(project_id, task_count=count)
            return ImportResult(list(range(first, first + count)), 0, 0)

        return await self._write(op)

    async def page_task_ids(
        self, project_id: int, order: TaskOrder, offset: int, limit: int
    ) -> list[int]:
        """One page of ids, read from an index."""
        return await self._column(
            f"SELECT id FROM tasks WHERE project_id=$1 ORDER BY {ORDER_SQL[order]} "
            "LIMIT $2 OFFSET $3",
            project_id,
            limit,
            offset,
        )

    async def get_tasks(self, project_id: int, ids: Sequence[int]) -> list[TaskRecord]:
        """Tasks by id, with completions and predictions, in the order asked."""
        if not ids:
            return []
        assert self._pool is not None, "the store is not open"
        return await ops.records_by_ids(self._pool, project_id, ids)

    async def replace_task(
        self,
        project_id: int,
        task_id: int,
        *,
        data: bytes | None = None,
        meta: bytes | None = None,
        completions: list[dict[str, Any]] | None = None,
        predictions: list[dict[str, Any]] | None = None,
        enqueue: bool = False,
    ) -> bool:
        """Rewrite parts of a task in one transaction."""

        async def op(tx: Tx) -> bool:
            if await ops.locked_task(tx, project_id, task_id) is None:
                return False
            for column, value in (("data", data), ("meta", meta)):
                if value is not None:
                    await tx.conn.execute(
                        f"UPDATE tasks SET {column}=$3 WHERE project_id=$1 AND id=$2",
                        project_id, task_id, ops.text(value),
                    )  # fmt: skip
            if completions is not None:
                await ops.drop_completions(tx, project_id, task_id)
                await ops.insert_completions(tx, project_id, task_id, completions)
            if predictions is not None:
                status = await tx.conn.execute(
                    "DELETE FROM predictions WHERE project_id=$1 AND task_id=$2",
                    project_id,
                    task_id,
                )
                tx.bump(project_id, prediction_count=-count_of(status))
                await ops.insert_predictions(tx, project_id, [(task_id, p) for p in predictions])
                await ops.rescore(tx, project_id, [task_id])
            if completions is not None:
                await ops.refresh_task(tx, project_id, task_id, enqueue)
            return True

        return await self._write(op)

    async def delete_task(self, project_id: int, task_id: int, enqueue: bool = False) -> bool:
        """Delete one task with what hangs on it."""

        async def op(tx: Tx) -> bool:
            labeled = await ops.locked_task(tx, project_id, task_id)
            if labeled is None:
                return False
            await ops.drop_completions(tx, project_id, task_id)
            status = await tx.conn.execute(
                "DELETE FROM predictions WHERE project_id=$1 AND task_id=$2", project_id, task_id
            )
            for table, column in (("tasks", "id"), ("leases", "task_id")):
                await tx.conn.execute(
                    f"DELETE FROM {table} WHERE project_id=$1 AND {column}=$2", project_id, task_id
                )
            tx.bump(
                project_id,
                task_count=-1,
                prediction_count=-count_of(status),
                labeled_count=-int(labeled),
            )
            if enqueue and labeled:
                await ops.enqueue(tx, project_id, [task_id])
            return True

        return await self._write(op)

    async def delete_all_tasks(self, project_id: int, enqueue: bool = False) -> int:
        """Delete every task; counters go to zero, the id sequence goes on."""

        async def op(tx: Tx) -> int:
            if enqueue:  # the sink removes the documents of the labeled tasks
                await ops.enqueue_labeled(tx, project_id)
            else:
                await tx.conn.execute("DELETE FROM outbox WHERE project_id=$1", project_id)
            for table in ("completions", "predictions", "leases", "source_items", "source_objects"):
                await tx.conn.execute(f"DELETE FROM {table} WHERE project_id=$1", project_id)
            status = await tx.conn.execute("DELETE FROM tasks WHERE project_id=$1", project_id)
            await tx.conn.execute("DELETE FROM project_counts WHERE project_id=$1", project_id)
            return count_of(status)

        return await self._write(op)

    async def iter_tasks(
        self, project_id: int, only_labeled: bool, batch_size: int = 1000
    ) -> AsyncIterator[list[TaskRecord]]:
        """Keyset-paged stream of tasks in id order."""
        last = -1
        while True:
            batch = await self._read(
                partial(_records_after, project_id, last, batch_size, only_labeled)
            )
            if not batch:
                return
            last = batch[-1].id
            yield batch

    async def iter_task_json(
        self, project_id: int, only_labeled: bool, batch_size: int = 5000
    ) -> AsyncIterator[bytes]:
        """Like :meth:`iter_tasks`, each batch as its tasks' JSON joined by commas."""
        async for batch in self.iter_tasks(project_id, only_labeled, batch_size):
            yield b",".join(r.json_bytes() for r in batch)

    # --- completions -----------------------------------------------------------------------

    async def add_completion(
        self, project_id: int, task_id: int, body: dict[str, Any], enqueue: bool
    ) -> dict[str, Any] | None:
        """Store a completion and end the task's lease (one round trip: a function)."""
        rest = without_id(body)
        assert self._pool is not None, "the store is not open"
        completion_id = await self._pool.fetchval(
            "SELECT lsplug_add_completion($1, $2, $3, $4, $5, $6, $7, $8)",
            project_id, task_id, dumps(rest), int(rest["created_at"]),
            bool(rest.get("was_cancelled")), enqueue, time.time(), ops.COUNTER_SLOTS,
        )  # fmt: skip
        return None if completion_id is None else {"id": completion_id, **rest}

    async def update_completion(
        self,
        project_id: int,
        task_id: int,
        completion_id: int,
        patch: dict[str, Any],
        enqueue: bool,
    ) -> dict[str, Any] | None:
        """Merge ``patch`` into the stored completion."""

        async def op(tx: Tx) -> dict[str, Any] | None:
            stored = await tx.conn.fetchval(
                "SELECT body FROM completions WHERE id=$1 AND project_id=$2 AND task_id=$3 "
                "FOR UPDATE",
                completion_id, project_id, task_id,
            )  # fmt: skip
            if stored is None:
                return None
            body = {**orjson.loads(stored), **without_id(patch)}
            await tx.conn.execute(
                "UPDATE completions SET body=$2, created_at=$3, was_cancelled=$4 WHERE id=$1",
                completion_id, dumps(body), int(body["created_at"]),
                bool(body.get("was_cancelled")),
            )  # fmt: skip
            await ops.refresh_task(tx, project_id, task_id, enqueue)
            return {"id": completion_id, **body}

        return await self._write(op)

    async def delete_completion(
        self, project_id: int, task_id: int, completion_id: int, enqueue: bool
    ) -> bool:
        """Delete one completion."""

        async def op(tx: Tx) -> bool:
            status = await tx.conn.execute(
                "DELETE FROM completions WHERE id=$1 AND project_id=$2 AND task_id=$3",
                completion_id, project_id, task_id,
            )  # fmt: skip
            if not count_of(status):
                return False
            tx.bump(project_id, completion_count=-1)
            await ops.refresh_task(tx, project_id, task_id, enqueue)
            return True

        return await self._write(op)

    async def delete_task_completions(self, project_id: int, task_id: int, enqueue: bool) -> bool:
        """Delete a task's completions."""

        async def op(tx: Tx) -> bool:
            if await ops.locked_task(tx, project_id, task_id) is None:
                return False
            await ops.drop_completions(tx, project_id, task_id)
            await ops.refresh_task(tx, project_id, task_id, enqueue)
            return True

        return await self._write(op)

    async def delete_all_completions(self, project_id: int, enqueue: bool) -> int:
        """Delete every completion of the project."""

        async def op(tx: Tx) -> int:
            if enqueue:
                await ops.enqueue_labeled(tx, project_id)
            status = await tx.conn.execute(
                "DELETE FROM completions WHERE project_id=$1", project_id
            )
            await tx.conn.execute(
                "UPDATE tasks SET is_labeled=FALSE, completed_at=NULL "
                "WHERE project_id=$1 AND is_labeled",
                project_id,
            )
            await tx.conn.execute(
                "UPDATE project_counts SET completion_count=0, labeled_count=0 WHERE project_id=$1",
                project_id,
            )
            return count_of(status)

        return await self._write(op)

    async def labeled_task_ids(self, project_id: int) -> AsyncIterator[list[int]]:
        """Ids of labeled tasks, in batches of 10,000."""
        last = -1
        while ids := await self._column(
            "SELECT id FROM tasks WHERE project_id=$1 AND is_labeled AND id>$2 "
            "ORDER BY id LIMIT 10000",
            project_id,
            last,
        ):
            last = ids[-1]
            yield ids

    # --- label config usage ----------------------------------------------------------------

    async def result_usage(self, project_id: int) -> list[tuple[str, str | None, int]]:
        """Completions per control and per label, counted in SQL over the result items."""
        assert self._pool is not None, "the store is not open"
        rows = await self._pool.fetch(ops.USAGE_SQL, project_id)
        return [(str(f), None if lb is None else str(lb), int(n)) for f, lb, n in rows]

    async def count_tasks_unlike(self, project_id: int, key: str, json_types: Sequence[str]) -> int:
        """Tasks whose ``data[key]`` is missing or of another JSON type (SQLite's names)."""
        assert self._pool is not None, "the store is not open"
        count: int = await self._pool.fetchval(
            f"SELECT count(*) FROM tasks WHERE project_id=$1 AND {ops.JSON_TYPE_SQL} <> ALL($3)",
            project_id,
            key,
            list(json_types),
        )
        return count


async def _records_after(
    project_id: int, after: int, limit: int, only_labeled: bool, conn: asyncpg.Connection
) -> list[TaskRecord]:
    return await ops.records_after(conn, project_id, after, limit, only_labeled)


def _next_chunk(feed: Iterator[NewTask]) -> list[NewTask]:
    """The feed's next chunk (read in a thread: the feed may still be converting)."""
    return list(itertools.islice(feed, INSERT_CHUNK))


async def release_connection(conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool: a rollback, if a failure left a
    transaction open. asyncpg's own reset (unlock all advisory locks, close cursors, unlisten,
    reset settings) is one more round trip for every request, and the store leaves none of
    that behind: settings are ``SET LOCAL``, and :meth:`exclusive` unlocks its own lock."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def _redacted(url: str) -> str:
    """The URL without its password, to name the database in messages."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, auth = head.partition("://")
    return f"{scheme}://{auth.split(':')[0]}@{tail}"
