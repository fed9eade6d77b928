"""The SQLite store's background jobs: one row per job, its progress written by its process.

Progress and heartbeats are written often (every half second of a running job), so they go
through the writer as non-durable writes: no fsync of their own. A job's outcome is durable.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from lsplug.store.rows import JobRow
from lsplug.store.sqlite.base import SQLiteBase

JOB_COLUMNS = (
    "id, kind, description, total, done, status, error, started_at, finished_at, owner, "
    "heartbeat_at"
)


def _job(row: tuple[Any, ...]) -> JobRow:
    return JobRow(*row)


class JobsMixin(SQLiteBase):
    """The ``jobs`` table."""

    async def add_job(
        self, project_id: int, kind: str, description: str, owner: str, now: float
    ) -> int:
        """Record a running job; its id (``AUTOINCREMENT``: never reused)."""
        sql = (
            "INSERT INTO jobs (project_id, kind, description, status, started_at, owner, "
            "heartbeat_at) VALUES (?, ?, ?, 'running', ?, ?, ?)"
        )
        args = (project_id, kind, description, now, owner, now)
        job_id: int = await self._write(lambda conn: conn.execute(sql, args).lastrowid)
        return job_id

    async def job_progress(
        self, project_id: int, job_id: int, total: int | None, done: int, error: str | None,
        now: float,
    ) -> None:  # fmt: skip
        """Write progress and heartbeat of a job still running (a late write never undoes
        its outcome)."""
        sql = (
            "UPDATE jobs SET total=?, done=?, error=?, heartbeat_at=? "
            "WHERE project_id=? AND id=? AND status='running'"
        )
        args = (total, done, error, now, project_id, job_id)
        await self._write(lambda conn: conn.execute(sql, args), durable=False)

    async def finish_job(
        self, project_id: int, job_id: int, total: int | None, done: int, status: str,
        error: str | None, now: float, keep: int,
    ) -> None:  # fmt: skip
        """Write the outcome, then prune the project's finished jobs to the newest ``keep``."""

        def op(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE jobs SET total=?, done=?, status=?, error=?, finished_at=?, "
                "heartbeat_at=? WHERE project_id=? AND id=?",
                (total, done, status, error, now, now, project_id, job_id),
            )
            conn.execute(
                "DELETE FROM jobs WHERE project_id=? AND status<>'running' AND id NOT IN "
                "(SELECT id FROM jobs WHERE project_id=? AND status<>'running' "
                "ORDER BY id DESC LIMIT ?)",
                (project_id, project_id, keep),
            )

        await self._write(op)

    async def fail_stale_jobs(self, project_id: int, before: float, error: str) -> int:
        """Fail the running jobs nobody has written since ``before``."""
        sql = (
            "UPDATE jobs SET status='failed', error=?, finished_at=heartbeat_at "
            "WHERE project_id=? AND status='running' AND heartbeat_at<?"
        )
        args = (error, project_id, before)
        count: int = await self._write(lambda conn: conn.execute(sql, args).rowcount)
        return count

    async def list_jobs(self, project_id: int, kind: str | None = None) -> list[JobRow]:
        """The project's jobs, newest first."""
        sql = f"SELECT {JOB_COLUMNS} FROM jobs WHERE project_id=?"
        args: tuple[Any, ...] = (project_id,)
        if kind is not None:
            sql, args = sql + " AND kind=?", (*args, kind)

        def op(conn: sqlite3.Connection) -> list[JobRow]:
            return [_job(r) for r in conn.execute(sql + " ORDER BY id DESC", args)]

        result: list[JobRow] = await self._read(op)
        return result

    async def get_job(self, project_id: int, job_id: int) -> JobRow | None:
        """One job of the project."""
        sql = f"SELECT {JOB_COLUMNS} FROM jobs WHERE project_id=? AND id=?"

        def op(conn: sqlite3.Connection) -> JobRow | None:
            row = conn.execute(sql, (project_id, job_id)).fetchone()
            return None if row is None else _job(row)

        result: JobRow | None = await self._read(op)
        return result
