"""How the PostgreSQL store leases the next task for ``/next``, with any number of processes.

The choice is the SQL function ``lsplug_lease`` (``schema.sql``; the database's clock for
every process): the task ``owner`` holds a running lease on, else the next free unlabeled one
by the sampling strategy, taken with ``FOR UPDATE SKIP LOCKED`` so that two processes never
lease one task at once. The lease is kept on the task's row (``lease_owner``,
``lease_expires``) and in ``leases``; it is not worth an fsync (``synchronous_commit`` off).
"""

from __future__ import annotations

from typing import Any

import lsplug.store.postgres.ops as ops
from lsplug.config import Sampling
from lsplug.records import TaskRecord
from lsplug.store.postgres.base import PgBase, count_of
from lsplug.store.postgres.ops import Tx


class LeasingMixin(PgBase):
    """Leases: the next task for an annotator, read in the same statement, and its release."""

    async def next_task(
        self, project_id: int, owner: str, strategy: Sampling, lease_seconds: float
    ) -> int | None:
        """Lease a task to ``owner`` (``FOR UPDATE SKIP LOCKED``: never two owners at once)."""
        assert self._pool is not None, "the store is not open"
        task_id: int | None = await self._pool.fetchval(
            "SELECT lsplug_lease($1, $2, $3, $4)", project_id, owner, strategy, lease_seconds
        )
        return task_id

    async def lease_next_task(
        self, project_id: int, owner: str, strategy: Sampling, lease_seconds: float
    ) -> TaskRecord | None:
        """The lease and the leased task in one statement (one round trip)."""
        assert self._pool is not None, "the store is not open"
        return await ops.leased_record(self._pool, project_id, owner, strategy, lease_seconds)

    async def release_lease(self, project_id: int, task_id: int, owner: str | None) -> bool:
        """Drop a lease."""
        sql = (
            "UPDATE tasks SET lease_owner=NULL, lease_expires=NULL "
            "WHERE project_id=$1 AND id=$2 AND lease_owner IS NOT NULL"
        )
        args: tuple[Any, ...] = (project_id, task_id)
        if owner is not None:
            sql, args = sql + " AND lease_owner=$3", (*args, owner)

        async def op(tx: Tx) -> bool:
            if not count_of(await tx.conn.execute(sql, *args)):
                return False
            await tx.conn.execute(
                "DELETE FROM leases WHERE project_id=$1 AND task_id=$2", project_id, task_id
            )
            return True

        return await self._write(op, durable=False)
