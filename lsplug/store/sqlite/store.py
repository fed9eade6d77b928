"""The SQLite store: the :class:`~lsplug.store.roles.Store` interface on one WAL file.

Reads run on reader threads, writes on the single writer thread (see
:mod:`lsplug.store.sqlite.engine`). Counters are kept on the project row in the same
transaction as the change, so no request ever counts a table.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from functools import partial
from typing import Any

import orjson

from lsplug.config import Sampling
from lsplug.records import TaskRecord
from lsplug.store.bodies import dumps
from lsplug.store.rows import (
    ImportResult,
    NewTask,
    ProjectRow,
    TaskOrder,
)
from lsplug.store.sqlite.base import (
    ORDER_SQL,
    PROJECT_COLUMNS,
    _project,
)
from lsplug.store.sqlite.export import json_batches, read_ahead
from lsplug.store.sqlite.jobs import JobsMixin
from lsplug.store.sqlite.leasing import lease_next
from lsplug.store.sqlite.ops import (
    _add_completion,
    _bump,
    _column,
    _drop_completions,
    _enqueue,
    _insert_completions,
    _insert_predictions,
    _insert_tasks,
    _records_after,
    _records_by_ids,
    _refresh_task,
    _rescore,
    _task_exists,
)
from lsplug.store.sqlite.people import PeopleMixin
from lsplug.store.sqlite.side import SideTablesMixin


class SQLiteStore(PeopleMixin, SideTablesMixin, JobsMixin):
    """The project state in a SQLite file (WAL mode): projects, tasks, completions, leases."""

    # --- projects --------------------------------------------------------------------------

    async def ensure_project(self, uuid: str, title: str, label_config: str | None) -> ProjectRow:
        """The project with ``uuid``, created if new."""

        def op(conn: sqlite3.Connection) -> ProjectRow:
            conn.execute(
                "INSERT OR IGNORE INTO projects (uuid, title, label_config, created_at) "
                "VALUES (?, ?, ?, ?)",
                (uuid, title, label_config, int(time.time())),
            )
            row = conn.execute(
                f"SELECT {PROJECT_COLUMNS} FROM projects WHERE uuid=?", (uuid,)
            ).fetchone()
            return _project(row)

        result: ProjectRow = await self._write(op)
        return result

    async def get_project(self, project_id: int) -> ProjectRow:
        """The project's row and counters."""

        def op(conn: sqlite3.Connection) -> ProjectRow:
            row = conn.execute(
                f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id=?", (project_id,)
            ).fetchone()
            if row is None:
                raise KeyError(project_id)
            return _project(row)

        result: ProjectRow = await self._read(op)
        return result

    async def update_project(
        self,
        project_id: int,
        *,
        label_config: str | None = None,
        settings: dict[str, Any] | None = None,
        title: str | None = None,
    ) -> ProjectRow:
        """Change label config, settings or title."""

        def op(conn: sqlite3.Connection) -> ProjectRow:
            if label_config is not None:
                conn.execute(
                    "UPDATE projects SET label_config=? WHERE id=?", (label_config, project_id)
                )
            if settings is not None:
                conn.execute(
                    "UPDATE projects SET settings=? WHERE id=?",
                    (orjson.dumps(settings).decode(), project_id),
                )
            if title is not None:
                conn.execute("UPDATE projects SET title=? WHERE id=?", (title, project_id))
            row = conn.execute(
                f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id=?", (project_id,)
            ).fetchone()
            return _project(row)

        result: ProjectRow = await self._write(op)
        return result

    # --- tasks -----------------------------------------------------------------------------

    async def import_tasks(
        self,
        project_id: int,
        tasks: Iterable[NewTask],
        source: str | None = None,
        enqueue: bool = False,
    ) -> ImportResult:
        """Insert every task in one transaction (``tasks`` may be a feed still converting)."""

        def op(conn: sqlite3.Connection) -> ImportResult:
            return _insert_tasks(conn, project_id, tasks, source, enqueue)

        result: ImportResult = await self._write(op)
        return result

    async def import_flat(self, project_id: int, array: bytes, count: int) -> ImportResult:
        """Insert ``count`` flat tasks from one JSON array; SQLite splits it (no per-task work)."""

        def op(conn: sqlite3.Connection) -> ImportResult:
            (first,) = conn.execute(
                "SELECT next_task_id FROM projects WHERE id=?", (project_id,)
            ).fetchone()
            conn.execute(
                "INSERT INTO tasks (project_id, id, data, created_at) "
                "SELECT ?, ? + key, value, ? FROM json_each(?)",
                (project_id, first, int(time.time()), array),
            )
            conn.execute(
                "UPDATE projects SET next_task_id=?, task_count=task_count+? WHERE id=?",
                (first + count, count, project_id),
            )
            return ImportResult(list(range(first, first + count)), 0, 0)

        result: ImportResult = await self._write(op)
        return result

    async def page_task_ids(
        self, project_id: int, order: TaskOrder, offset: int, limit: int
    ) -> list[int]:
        """One page of ids, read from the covering index."""
        sql = (
            f"SELECT id FROM tasks WHERE project_id=? ORDER BY {ORDER_SQL[order]} LIMIT ? OFFSET ?"
        )

        def op(conn: sqlite3.Connection) -> list[int]:
            return [r[0] for r in conn.execute(sql, (project_id, limit, offset))]

        result: list[int] = await self._read(op)
        return result

    async def get_tasks(self, project_id: int, ids: Sequence[int]) -> list[TaskRecord]:
        """Tasks by id, with completions and predictions, in the order asked."""
        if not ids:
            return []

        def op(conn: sqlite3.Connection) -> list[TaskRecord]:
            return _records_by_ids(conn, project_id, ids)

        result: list[TaskRecord] = await self._read(op)
        return result

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

        def op(conn: sqlite3.Connection) -> bool:
            if not _task_exists(conn, project_id, task_id):
                return False
            if data is not None:
                conn.execute(
                    "UPDATE tasks SET data=? WHERE project_id=? AND id=?",
                    (data, project_id, task_id),
                )
            if meta is not None:
                conn.execute(
                    "UPDATE tasks SET meta=? WHERE project_id=? AND id=?",
                    (meta, project_id, task_id),
                )
            if completions is not None:
                _drop_completions(conn, project_id, task_id)
                _insert_completions(conn, project_id, task_id, completions)
            if predictions is not None:
                n = conn.execute(
                    "DELETE FROM predictions WHERE project_id=? AND task_id=?",
                    (project_id, task_id),
                ).rowcount
                _bump(conn, project_id, prediction_count=-n)
                _insert_predictions(conn, project_id, task_id, predictions)
                _rescore(conn, project_id, task_id)
            if completions is not None:
                _refresh_task(conn, project_id, task_id, enqueue)
            return True

        result: bool = await self._write(op)
        return result

    async def delete_task(self, project_id: int, task_id: int, enqueue: bool = False) -> bool:
        """Delete one task with what hangs on it."""

        def op(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT is_labeled FROM tasks WHERE project_id=? AND id=?", (project_id, task_id)
            ).fetchone()
            if row is None:
                return False
            _drop_completions(conn, project_id, task_id)
            n = conn.execute(
                "DELETE FROM predictions WHERE project_id=? AND task_id=?", (project_id, task_id)
            ).rowcount
            conn.execute("DELETE FROM tasks WHERE project_id=? AND id=?", (project_id, task_id))
            conn.execute(
                "DELETE FROM leases WHERE project_id=? AND task_id=?", (project_id, task_id)
            )
            _bump(conn, project_id, task_count=-1, prediction_count=-n, labeled_count=-row[0])
            if enqueue and row[0]:
                _enqueue(conn, project_id, [task_id])
            return True

        result: bool = await self._write(op)
        return result

    async def delete_all_tasks(self, project_id: int, enqueue: bool = False) -> int:
        """Delete every task; counters go to zero, the id sequence goes on."""

        def op(conn: sqlite3.Connection) -> int:
            if enqueue:  # the sink removes the documents of the labeled tasks
                conn.execute(
                    "INSERT OR REPLACE INTO outbox (project_id, task_id, queued_at) "
                    "SELECT project_id, id, ? FROM tasks WHERE project_id=? AND is_labeled=1",
                    (time.time(), project_id),
                )
            else:
                conn.execute("DELETE FROM outbox WHERE project_id=?", (project_id,))
            for table in ("completions", "predictions", "leases", "source_items"):
                conn.execute(f"DELETE FROM {table} WHERE project_id=?", (project_id,))
            conn.execute("DELETE FROM source_objects WHERE project_id=?", (project_id,))
            n: int = conn.execute("DELETE FROM tasks WHERE project_id=?", (project_id,)).rowcount
            conn.execute(
                "UPDATE projects SET task_count=0, completion_count=0, prediction_count=0, "
                "labeled_count=0 WHERE id=?",
                (project_id,),
            )
            return n

        result: int = await self._write(op)
        return result

    async def iter_tasks(
        self, project_id: int, only_labeled: bool, batch_size: int = 1000
    ) -> AsyncIterator[list[TaskRecord]]:
        """Keyset-paged stream of tasks in id order, the next batch read while this one is used."""
        read = partial(
            _records_after, project_id=project_id, limit=batch_size, only_labeled=only_labeled
        )

        def after(batch: list[TaskRecord]) -> Callable[[sqlite3.Connection], Any] | None:
            return partial(read, after=batch[-1].id) if batch else None

        async for batch in read_ahead(self._read, partial(read, after=-1), after):
            yield batch

    async def iter_task_json(
        self, project_id: int, only_labeled: bool, batch_size: int = 5000
    ) -> AsyncIterator[bytes]:
        """Like :meth:`iter_tasks`, each batch as its tasks' JSON joined by commas (about
        1 MiB, at most ``batch_size`` ids), written by SQLite; the next batch is read while
        this one is sent. For exports that only splice tasks' JSON."""
        async for blob in json_batches(self._read, project_id, only_labeled, batch_size):
            yield blob

    # --- completions -----------------------------------------------------------------------

    async def add_completion(
        self, project_id: int, task_id: int, body: dict[str, Any], enqueue: bool
    ) -> dict[str, Any] | None:
        """Store a completion and release the task's lease."""

        def op(conn: sqlite3.Connection) -> dict[str, Any] | None:
            return _add_completion(conn, project_id, task_id, body, enqueue)

        result: dict[str, Any] | None = await self._write(op)
        return result

    async def update_completion(
        self,
        project_id: int,
        task_id: int,
        completion_id: int,
        patch: dict[str, Any],
        enqueue: bool,
    ) -> dict[str, Any] | None:
        """Merge ``patch`` into the stored completion."""

        def op(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute(
                "SELECT body FROM completions WHERE id=? AND project_id=? AND task_id=?",
                (completion_id, project_id, task_id),
            ).fetchone()
            if row is None:
                return None
            body = {**orjson.loads(row[0]), **{k: v for k, v in patch.items() if k != "id"}}
            conn.execute(
                "UPDATE completions SET body=?, created_at=?, was_cancelled=? WHERE id=?",
                (dumps(body), body["created_at"], bool(body.get("was_cancelled")), completion_id),
            )
            _refresh_task(conn, project_id, task_id, enqueue)
            return {"id": completion_id, **body}

        result: dict[str, Any] | None = await self._write(op)
        return result

    async def delete_completion(
        self, project_id: int, task_id: int, completion_id: int, enqueue: bool
    ) -> bool:
        """Delete one completion."""

        def op(conn: sqlite3.Connection) -> bool:
            n = conn.execute(
                "DELETE FROM completions WHERE id=? AND project_id=? AND task_id=?",
                (completion_id, project_id, task_id),
            ).rowcount
            if not n:
                return False
            _bump(conn, project_id, completion_count=-1)
            _refresh_task(conn, project_id, task_id, enqueue)
            return True

        result: bool = await self._write(op)
        return result

    async def delete_task_completions(self, project_id: int, task_id: int, enqueue: bool) -> bool:
        """Delete a task's completions."""

        def op(conn: sqlite3.Connection) -> bool:
            if not _task_exists(conn, project_id, task_id):
                return False
            _drop_completions(conn, project_id, task_id)
            _refresh_task(conn, project_id, task_id, enqueue)
            return True

        result: bool = await self._write(op)
        return result

    async def delete_all_completions(self, project_id: int, enqueue: bool) -> int:
        """Delete every completion of the project."""

        def op(conn: sqlite3.Connection) -> int:
            if enqueue:
                conn.execute(
                    "INSERT OR REPLACE INTO outbox (project_id, task_id, queued_at) "
                    "SELECT project_id, id, ? FROM tasks WHERE project_id=? AND is_labeled=1",
                    (time.time(), project_id),
                )
            n: int = conn.execute(
                "DELETE FROM completions WHERE project_id=?", (project_id,)
            ).rowcount
            conn.execute(
                "UPDATE tasks SET is_labeled=0, completed_at=NULL "
                "WHERE project_id=? AND is_labeled=1",
                (project_id,),
            )
            conn.execute(
                "UPDATE projects SET completion_count=0, labeled_count=0 WHERE id=?",
                (project_id,),
            )
            return n

        result: int = await self._write(op)
        return result

    async def labeled_task_ids(self, project_id: int) -> AsyncIterator[list[int]]:
        """Ids of labeled tasks, in batches of 10,000."""
        last = -1
        sql = (
            "SELECT id FROM tasks WHERE project_id=? AND is_labeled=1 AND id>? "
            "ORDER BY id LIMIT 10000"
        )
        while True:
            ids: list[int] = await self._read(partial(_column, sql=sql, args=(project_id, last)))
            if not ids:
                return
            last = ids[-1]
            yield ids

    # --- labeling stream -------------------------------------------------------------------

    async def next_task(
        self, project_id: int, owner: str, strategy: Sampling, lease_seconds: float
    ) -> int | None:
        """Lease a task to ``owner`` (a lease is not worth an fsync: not durable)."""

        def op(conn: sqlite3.Connection) -> int | None:
            return lease_next(conn, project_id, owner, strategy, lease_seconds)

        result: int | None = await self._write(op, durable=False)
        return result

    async def lease_next_task(
        self, project_id: int, owner: str, strategy: Sampling, lease_seconds: float
    ) -> TaskRecord | None:
        """The lease on the writer thread, then the task from a reader (the writer stays free
        for the next write meanwhile)."""
        task_id = await self.next_task(project_id, owner, strategy, lease_seconds)
        if task_id is None:
            return None
        found = await self.get_tasks(project_id, [task_id])
        return found[0] if found else None

    async def release_lease(self, project_id: int, task_id: int, owner: str | None) -> bool:
        """Drop a lease."""
        sql = "DELETE FROM leases WHERE project_id=? AND task_id=?"
        args: tuple[Any, ...] = (project_id, task_id)
        if owner is not None:
            sql, args = sql + " AND owner=?", (*args, owner)

        def op(conn: sqlite3.Connection) -> bool:
            return bool(conn.execute(sql, args).rowcount)

        result: bool = await self._write(op, durable=False)
        return result
