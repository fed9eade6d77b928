"""The PostgreSQL store's background jobs, seen by every process sharing the database.

Ids come from an identity column, so two processes never give the same one. Progress and
heartbeats are written with ``synchronous_commit`` off (they are rewritten within a second);
a job's outcome is durable.
"""

from __future__ import annotations

import asyncpg

from lsplug.store.postgres.base import PgBase, count_of
from lsplug.store.postgres.ops import Tx
from lsplug.store.rows import JobRow

JOB_COLUMNS = (
    "id, kind, description, total, done, status, error, started_at, finished_at, owner, "
    "heartbeat_at"
)


def _job(row: asyncpg.Record) -> JobRow:
    return JobRow(*row)


class JobsMixin(PgBase):
    """The ``jobs`` table."""

    async def add_job(
        self, project_id: int, kind: str, description: str, owner: str, now: float
    ) -> int:
        """Record a running job; its id."""
        job_id: int = await self._p().fetchval(
            "INSERT INTO jobs (project_id, kind, description, status, started_at, owner, "
            "heartbeat_at) VALUES ($1, $2, $3, 'running', $4, $5, $4) RETURNING id",
            project_id, kind, description, now, owner,
        )  # fmt: skip
        return job_id

    async def job_progress(
        self, project_id: int, job_id: int, total: int | None, done: int, error: str | None,
        now: float,
    ) -> None:  # fmt: skip
        """Write progress and heartbeat of a job still running (a late write never undoes
        its outcome)."""

        async def op(tx: Tx) -> None:
            await tx.conn.execute(
                "UPDATE jobs SET total=$3, done=$4, error=$5, heartbeat_at=$6 "
                "WHERE project_id=$1 AND id=$2 AND status='running'",
                project_id, job_id, total, done, error, now,
            )  # fmt: skip

        await self._write(op, durable=False)

    async def finish_job(
        self, project_id: int, job_id: int, total: int | None, done: int, status: str,
        error: str | None, now: float, keep: int,
    ) -> None:  # fmt: skip
        """Write the outcome, then prune the project's finished jobs to the newest ``keep``."""

        async def op(tx: Tx) -> None:
            await tx.conn.execute(
                "UPDATE jobs SET total=$3, done=$4, status=$5, error=$6, finished_at=$7, "
                "heartbeat_at=$7 WHERE project_id=$1 AND id=$2",
                project_id, job_id, total, done, status, error, now,
            )  # fmt: skip
            await tx.conn.execute(
                "DELETE FROM jobs WHERE project_id=$1 AND status<>'running' AND id NOT IN "
                "(SELECT id FROM jobs WHERE project_id=$1 AND status<>'running' "
                "ORDER BY id DESC LIMIT $2)",
                project_id, keep,
            )  # fmt: skip

        await self._write(op)

    async def fail_stale_jobs(self, project_id: int, before: float, error: str) -> int:
        """Fail the running jobs nobody has written since ``before``."""
        status: str = await self._p().execute(
            "UPDATE jobs SET status='failed', error=$3, finished_at=heartbeat_at "
            "WHERE project_id=$1 AND status='running' AND heartbeat_at<$2",
            project_id, before, error,
        )  # fmt: skip
        return count_of(status)

    async def list_jobs(self, project_id: int, kind: str | None = None) -> list[JobRow]:
        """The project's jobs, newest first."""
        rows = await self._p().fetch(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE project_id=$1 "
            "AND ($2::text IS NULL OR kind=$2) ORDER BY id DESC",
            project_id, kind,
        )  # fmt: skip
        return [_job(r) for r in rows]

    async def get_job(self, project_id: int, job_id: int) -> JobRow | None:
        """One job of the project."""
        row = await self._p().fetchrow(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE project_id=$1 AND id=$2", project_id, job_id
        )
        return None if row is None else _job(row)
