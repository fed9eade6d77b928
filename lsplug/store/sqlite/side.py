"""The SQLite store's side tables: predictions, label config usage, sources, outbox."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson

from lsplug.store.rows import (
    OutboxEntry,
    OutboxStats,
)
from lsplug.store.sqlite.base import SQLiteBase
from lsplug.store.sqlite.ops import (
    _column,
    _insert_predictions,
    _params,
    _task_exists,
)


class SideTablesMixin(SQLiteBase):
    """Predictions and scores, what completions use, synced objects, the sink outbox."""

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
            "SELECT task_id, attempts, seq FROM outbox WHERE project_id=? AND next_try<=? "
            "ORDER BY next_try LIMIT ?"
        )

        def op(conn: sqlite3.Connection) -> list[OutboxEntry]:
            rows = conn.execute(sql, (project_id, time.time(), limit))
            return [OutboxEntry(*r) for r in rows]

        result: list[OutboxEntry] = await self._read(op)
        return result

    async def outbox_done(self, project_id: int, entries: Sequence[OutboxEntry]) -> None:
        """Drop written entries that were not queued again meanwhile (their ``seq`` is new)."""

        def op(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "DELETE FROM outbox WHERE project_id=? AND task_id=? AND seq=?",
                [(project_id, e.task_id, e.seq) for e in entries],
            )

        # Not worth an fsync: a delete lost to a power cut only writes the files again.
        await self._write(op, durable=False)

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
