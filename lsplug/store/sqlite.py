"""The SQLite store: the :class:`~lsplug.store.base.Store` interface on one WAL file.

Reads run on reader threads, writes on the single writer thread (see
:mod:`lsplug.store.sqlite_engine`). Counters are kept on the project row in the same
transaction as the change, so no request ever counts a table.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from lsplug.records import TaskRecord
from lsplug.store.base import (
    ImportResult,
    NewTask,
    OutboxEntry,
    OutboxStats,
    ProjectRow,
    Strategy,
    TaskOrder,
    UserRow,
)
from lsplug.store.migrations_sqlite import LATEST, migrate
from lsplug.store.sqlite_engine import Readers, Writer, connect
from lsplug.store.sqlite_export import json_batches, read_ahead

SCHEMA_VERSION = LATEST
INSERT_CHUNK = 5000
ORDER_SQL = {
    "id": "id",
    "-id": "id DESC",
    "completed_at": "completed_at, id",
    "-completed_at": "completed_at DESC, id DESC",
}
PROJECT_COLUMNS = (
    "id, uuid, title, label_config, settings, task_count, completion_count, "
    "prediction_count, labeled_count, created_at"
)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer lsplug than this one."""


def _project(row: tuple[Any, ...]) -> ProjectRow:
    values = list(row)
    values[4] = orjson.loads(values[4])
    return ProjectRow(*values)


def _params(n: int) -> str:
    return ",".join("?" * n)


class SQLiteStore:
    """The project state in a SQLite file (WAL mode)."""

    def __init__(self, path: Path, synchronous: str = "full") -> None:
        self.path = path
        self._synchronous = synchronous
        self._writer: Writer | None = None
        self._readers: Readers | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Create or check the schema, then start the writer and reader threads."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()
        self._writer = Writer(self.path, self._synchronous)
        self._writer.start()
        self._readers = Readers(self.path)

    def _migrate(self) -> None:
        conn = connect(self.path)
        try:
            conn.executescript(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            )
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"{self.path} has schema version {version}, newer than this lsplug "
                    f"({SCHEMA_VERSION}): upgrade lsplug"
                )
            migrate(conn, version)
        finally:
            conn.close()

    async def close(self) -> None:
        """Finish queued writes, stop the threads, close the connections."""
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._readers is not None:
            self._readers.close()
            self._readers = None

    async def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        assert self._readers is not None, "the store is not open"
        return await self._readers.run(fn)

    async def _write(self, fn: Callable[[sqlite3.Connection], Any], durable: bool = True) -> Any:
        assert self._writer is not None, "the store is not open"
        return await self._writer.submit(fn, durable)

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

    async def find_project(self, uuid: str) -> ProjectRow | None:
        """The project with ``uuid``, or None."""

        def op(conn: sqlite3.Connection) -> ProjectRow | None:
            row = conn.execute(
                f"SELECT {PROJECT_COLUMNS} FROM projects WHERE uuid=?", (uuid,)
            ).fetchone()
            return _project(row) if row else None

        result: ProjectRow | None = await self._read(op)
        return result

    async def list_projects(self) -> list[ProjectRow]:
        """Every project, oldest first."""

        def op(conn: sqlite3.Connection) -> list[ProjectRow]:
            rows = conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects ORDER BY id")
            return [_project(r) for r in rows]

        result: list[ProjectRow] = await self._read(op)
        return result

    # --- people ----------------------------------------------------------------------------

    async def add_user(self, name: str, password_hash: str) -> UserRow:
        """Add a person, or set the password of the one called ``name``."""

        def op(conn: sqlite3.Connection) -> UserRow:
            conn.execute(
                "INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET password_hash=excluded.password_hash",
                (name, password_hash, int(time.time())),
            )
            row = conn.execute(
                "SELECT id, name, password_hash FROM users WHERE name=?", (name,)
            ).fetchone()
            return UserRow(*row)

        result: UserRow = await self._write(op)
        return result

    async def find_user(self, name: str) -> UserRow | None:
        """The person called ``name``, or None."""

        def op(conn: sqlite3.Connection) -> UserRow | None:
            row = conn.execute(
                "SELECT id, name, password_hash FROM users WHERE name=?", (name,)
            ).fetchone()
            return UserRow(*row) if row else None

        result: UserRow | None = await self._read(op)
        return result

    async def count_users(self) -> int:
        """How many people can sign in."""
        result: int = await self._read(
            lambda conn: conn.execute("SELECT count(*) FROM users").fetchone()[0]
        )
        return result

    async def add_credential(
        self, digest: str, kind: str, user_id: int, expires_at: int | None
    ) -> None:
        """Keep a session or token digest."""
        await self._write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO credentials VALUES (?, ?, ?, ?)",
                (digest, kind, user_id, expires_at),
            )
        )

    async def credential_user(self, digest: str, kind: str, now: int) -> UserRow | None:
        """The person a live credential belongs to."""

        def op(conn: sqlite3.Connection) -> UserRow | None:
            row = conn.execute(
                "SELECT u.id, u.name, u.password_hash FROM credentials c "
                "JOIN users u ON u.id = c.user_id WHERE c.digest=? AND c.kind=? "
                "AND (c.expires_at IS NULL OR c.expires_at > ?)",
                (digest, kind, now),
            ).fetchone()
            return UserRow(*row) if row else None

        result: UserRow | None = await self._read(op)
        return result

    async def delete_credential(self, digest: str) -> None:
        """Forget a credential."""
        await self._write(
            lambda conn: conn.execute("DELETE FROM credentials WHERE digest=?", (digest,))
        )

    async def set_member(self, project_id: int, user_id: int, role: str) -> None:
        """Make a person a member of a project."""
        await self._write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?)", (project_id, user_id, role)
            )
        )

    async def member_role(self, project_id: int, user_id: int) -> str | None:
        """A person's role in a project, or None."""

        def op(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT role FROM members WHERE project_id=? AND user_id=?",
                (project_id, user_id),
            ).fetchone()
            return row[0] if row else None

        result: str | None = await self._read(op)
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
                (_dumps(body), body["created_at"], bool(body.get("was_cancelled")), completion_id),
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
        self, project_id: int, owner: str, strategy: Strategy, lease_seconds: float
    ) -> int | None:
        """Lease a task to ``owner`` (a lease is not worth an fsync: not durable)."""

        def op(conn: sqlite3.Connection) -> int | None:
            return _lease_next(conn, project_id, owner, strategy, lease_seconds)

        result: int | None = await self._write(op, durable=False)
        return result

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

    # --- predictions -----------------------------------------------------------------------

    async def add_predictions(
        self, project_id: int, items: Sequence[tuple[int, dict[str, Any]]]
    ) -> int:
        """Store predictions ``(task_id, body)`` of tasks that exist; the number stored."""

        def op(conn: sqlite3.Connection) -> int:
            stored = 0
            for task_id, body in items:
                if _task_exists(conn, project_id, task_id):
                    stored += _insert_predictions(conn, project_id, task_id, [body])
            return stored

        result: int = await self._write(op)
        return result

    async def predicted_ids(
        self, project_id: int, task_ids: Sequence[int], created_by: str, model_version: str | None
    ) -> set[int]:
        """Which of ``task_ids`` have a prediction of that model at that version."""
        version = "model_version IS ?" if model_version is None else "model_version=?"
        sql = (
            f"SELECT task_id FROM predictions WHERE project_id=? AND created_by=? AND {version} "
            f"AND task_id IN ({_params(len(task_ids))})"
        )

        def op(conn: sqlite3.Connection) -> set[int]:
            args = (project_id, created_by, model_version, *task_ids)
            return {r[0] for r in conn.execute(sql, args)}

        result: set[int] = await self._read(op) if task_ids else set()
        return result

    async def unscored_task_ids(self, project_id: int, limit: int, after: int = -1) -> list[int]:
        """Unlabeled tasks no prediction has scored yet, in id order (an index walk)."""
        sql = (
            "SELECT id FROM tasks WHERE project_id=? AND is_labeled=0 AND score IS NULL "
            "AND id>? ORDER BY id LIMIT ?"
        )
        result: list[int] = await self._read(
            partial(_column, sql=sql, args=(project_id, after, limit))
        )
        return result

    # --- label config usage (read by label config changes) ---------------------------------

    async def result_usage(self, project_id: int) -> list[tuple[str, str | None, int]]:
        """Completions per control and per label, counted in SQL over the result items."""
        sql = (
            "SELECT json_extract(r.value, '$.from_name'), l.value, count(DISTINCT c.id) "
            "FROM completions c, json_each(c.body, '$.result') r "
            "LEFT JOIN json_each(r.value, '$.value.' || json_quote(json_extract(r.value, "
            "'$.type'))) l WHERE c.project_id=? AND json_valid(c.body) "
            "AND json_type(r.value, '$.from_name') = 'text' GROUP BY 1, 2"
        )

        def op(conn: sqlite3.Connection) -> list[tuple[str, str | None, int]]:
            return [(str(f), None if lb is None else str(lb), int(n))
                    for f, lb, n in conn.execute(sql, (project_id,))]  # fmt: skip

        result: list[tuple[str, str | None, int]] = await self._read(op)
        return result

    async def count_tasks_unlike(self, project_id: int, key: str, json_types: Sequence[str]) -> int:
        """Tasks whose ``data[key]`` is missing or of another JSON type."""
        path = "$." + orjson.dumps(key).decode()
        sql = (
            "SELECT count(*) FROM tasks WHERE project_id=? AND "
            f"coalesce(json_type(data, ?), 'missing') NOT IN ({_params(len(json_types))})"
        )

        def op(conn: sqlite3.Connection) -> int:
            return int(conn.execute(sql, (project_id, path, *json_types)).fetchone()[0])

        result: int = await self._read(op)
        return result

    # --- sources ---------------------------------------------------------------------------

    async def known_objects(self, project_id: int, source: str) -> dict[str, str]:
        """Object versions already synced from ``source``."""
        sql = "SELECT key, version FROM source_objects WHERE project_id=? AND source=?"

        def op(conn: sqlite3.Connection) -> dict[str, str]:
            return dict(conn.execute(sql, (project_id, source)).fetchall())

        result: dict[str, str] = await self._read(op)
        return result

    async def mark_object(self, project_id: int, source: str, key: str, version: str) -> None:
        """Remember an object's synced version."""
        sql = "INSERT OR REPLACE INTO source_objects VALUES (?, ?, ?, ?)"
        await self._write(lambda conn: conn.execute(sql, (project_id, source, key, version)))

    async def mark_objects(
        self, project_id: int, source: str, objects: Sequence[tuple[str, str]]
    ) -> None:
        """Remember many objects' synced versions in one write."""
        sql = "INSERT OR REPLACE INTO source_objects VALUES (?, ?, ?, ?)"
        rows = [(project_id, source, key, version) for key, version in objects]
        await self._write(lambda conn: conn.executemany(sql, rows))

    async def known_items(self, project_id: int, source: str, keys: Sequence[str]) -> set[str]:
        """Which item keys were imported from ``source``."""

        def op(conn: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                found.update(
                    r[0]
                    for r in conn.execute(
                        "SELECT key FROM source_items WHERE project_id=? AND source=? "
                        f"AND key IN ({_params(len(chunk))})",
                        (project_id, source, *chunk),
                    )
                )
            return found

        result: set[str] = await self._read(op)
        return result

    # --- outbox ----------------------------------------------------------------------------

    async def enqueue_all(self, project_id: int) -> int:
        """Queue every labeled task (a new sink receives the existing completions)."""
        sql = (
            "INSERT OR REPLACE INTO outbox (project_id, task_id, queued_at) "
            "SELECT project_id, id, ? FROM tasks WHERE project_id=? AND is_labeled=1"
        )
        result: int = await self._write(
            lambda conn: conn.execute(sql, (time.time(), project_id)).rowcount
        )
        return result

    async def outbox_due(self, project_id: int, limit: int) -> list[OutboxEntry]:
        """Entries due now, oldest first."""
        sql = (
            "SELECT task_id, attempts FROM outbox WHERE project_id=? AND next_try<=? "
            "ORDER BY next_try LIMIT ?"
        )

        def op(conn: sqlite3.Connection) -> list[OutboxEntry]:
            rows = conn.execute(sql, (project_id, time.time(), limit))
            return [OutboxEntry(*r) for r in rows]

        result: list[OutboxEntry] = await self._read(op)
        return result

    async def outbox_done(self, project_id: int, task_ids: Sequence[int], since: float) -> None:
        """Drop written entries that were not queued again meanwhile."""

        def op(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "DELETE FROM outbox WHERE project_id=? AND task_id=? AND queued_at<=?",
                [(project_id, t, since) for t in task_ids],
            )

        await self._write(op)

    async def outbox_failed(
        self, project_id: int, task_ids: Sequence[int], error: str, retry_in: float
    ) -> None:
        """Count a failed try and push the next one back."""

        def op(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE outbox SET attempts=attempts+1, next_try=?, last_error=? "
                "WHERE project_id=? AND task_id=?",
                [(time.time() + retry_in, error[:2000], project_id, t) for t in task_ids],
            )

        await self._write(op)

    async def outbox_stats(self, project_id: int) -> OutboxStats:
        """Backlog size, failing entries and the newest error."""

        def op(conn: sqlite3.Connection) -> OutboxStats:
            backlog, failing = conn.execute(
                "SELECT count(*), coalesce(sum(attempts>0), 0) FROM outbox WHERE project_id=?",
                (project_id,),
            ).fetchone()
            err = conn.execute(
                "SELECT last_error FROM outbox WHERE project_id=? AND last_error IS NOT NULL "
                "ORDER BY next_try DESC LIMIT 1",
                (project_id,),
            ).fetchone()
            return OutboxStats(backlog, failing, err[0] if err else None)

        result: OutboxStats = await self._read(op)
        return result


# --- helpers that run inside a transaction --------------------------------------------------


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


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
        (project_id, task_id, _dumps(rest), created, bool(rest.get("was_cancelled"))),
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
                _dumps(rest),
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
            (project_id, task_id, _dumps({k: v for k, v in b.items() if k != "id"}),
             _score(b), b.get("model_version"), b.get("created_by"))
            for b in bodies
        ],
    )  # fmt: skip
    _bump(conn, project_id, prediction_count=len(bodies))
    _rescore(conn, project_id, task_id)
    return len(bodies)


def _score(body: dict[str, Any]) -> float | None:
    score = body.get("score")
    return float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None


def _rescore(conn: sqlite3.Connection, project_id: int, task_id: int) -> None:
    """A task's score is that of its newest scored prediction (active-learning sampling)."""
    conn.execute(
        "UPDATE tasks SET score=(SELECT score FROM predictions WHERE project_id=?1 "
        "AND task_id=?2 AND score IS NOT NULL ORDER BY id DESC LIMIT 1) "
        "WHERE project_id=?1 AND id=?2",
        (project_id, task_id),
    )


def with_id(item_id: int, body: str) -> bytes:
    """A stored body (JSON object without id) with ``"id"`` spliced in first."""
    if body == "{}":
        return b'{"id":%d}' % item_id
    return b'{"id":%d,' % item_id + body[1:].encode()


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


def _lease_next(
    conn: sqlite3.Connection, project_id: int, owner: str, strategy: Strategy, seconds: float
) -> int | None:
    now = time.time()
    held = conn.execute(
        "SELECT task_id FROM leases WHERE project_id=? AND owner=? AND expires_at>? "
        "ORDER BY task_id LIMIT 1",
        (project_id, owner, now),
    ).fetchone()
    task_id = held[0] if held else _pick(conn, project_id, owner, strategy, now)
    if task_id is not None:
        conn.execute(
            "INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?)",
            (project_id, task_id, owner, now + seconds),
        )
    return task_id


FREE = (
    "t.project_id=? AND t.is_labeled=0 AND NOT EXISTS (SELECT 1 FROM leases l "
    "WHERE l.project_id=t.project_id AND l.task_id=t.id AND l.expires_at>?)"
)


def _pick(
    conn: sqlite3.Connection, project_id: int, owner: str, strategy: Strategy, now: float
) -> int | None:
    """The first free unlabeled task by ``strategy`` (no lease of anyone else running)."""
    if strategy.startswith("prediction-score"):
        found = _pick_by_score(conn, project_id, now, strategy.endswith("max"))
        if found is not None:
            return found
    if strategy == "uniform":
        return _pick_uniform(conn, project_id, now)
    row = conn.execute(
        f"SELECT t.id FROM tasks t WHERE {FREE} ORDER BY t.id LIMIT 1", (project_id, now)
    ).fetchone()
    return row[0] if row else None


def _pick_uniform(conn: sqlite3.Connection, project_id: int, now: float) -> int | None:
    """A free task at a random place of the id range (two index seeks, no scan)."""
    low, high = conn.execute(
        "SELECT min(id), max(id) FROM tasks WHERE project_id=? AND is_labeled=0", (project_id,)
    ).fetchone()
    if low is None:
        return None
    start = random.randint(low, high)
    for cond in ("t.id>=?", "t.id<?"):
        row = conn.execute(
            f"SELECT t.id FROM tasks t WHERE {FREE} AND {cond} ORDER BY t.id LIMIT 1",
            (project_id, now, start),
        ).fetchone()
        if row:
            return int(row[0])
    return None


def _pick_by_score(
    conn: sqlite3.Connection, project_id: int, now: float, highest: bool
) -> int | None:
    order = "DESC" if highest else "ASC"
    row = conn.execute(  # the partial index tasks_scored: one seek, however many tasks
        f"SELECT t.id FROM tasks t WHERE {FREE} AND t.score IS NOT NULL "
        f"ORDER BY t.score {order}, t.id {order} LIMIT 1",
        (project_id, now),
    ).fetchone()
    return row[0] if row else None
