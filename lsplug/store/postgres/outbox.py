"""The PostgreSQL store's sources (objects and items synced) and sink outbox.

Outbox entries are claimed by one process at a time (``FOR UPDATE SKIP LOCKED``); a claim
lasts :data:`OUTBOX_CLAIM_SECONDS`, so the entries of a process that died are taken over.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import asyncpg

import lsplug.store.postgres.ops as ops
from lsplug.store.postgres.base import PgBase
from lsplug.store.postgres.ops import Tx
from lsplug.store.rows import OutboxEntry, OutboxStats

# How long a sink write claim lasts: the longest a dead process delays its entries.
OUTBOX_CLAIM_SECONDS = float(os.environ.get("LSPLUG_OUTBOX_CLAIM_SECONDS", "60"))


class OutboxMixin(PgBase):
    """Sources and outbox."""

    # --- sources ---------------------------------------------------------------------------

    async def known_objects(self, project_id: int, source: str) -> dict[str, str]:
        """Object versions already synced from ``source``."""
        assert self._pool is not None, "the store is not open"
        rows = await self._pool.fetch(
            "SELECT key, version FROM source_objects WHERE project_id=$1 AND source=$2",
            project_id,
            source,
        )
        return {r[0]: r[1] for r in rows}

    async def mark_object(self, project_id: int, source: str, key: str, version: str) -> None:
        """Remember an object's synced version."""
        await self.mark_objects(project_id, source, [(key, version)])

    async def mark_objects(
        self, project_id: int, source: str, objects: Sequence[tuple[str, str]]
    ) -> None:
        """Remember many objects' synced versions in one transaction."""
        assert self._pool is not None, "the store is not open"
        await self._pool.executemany(
            "INSERT INTO source_objects VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (project_id, source, key) DO UPDATE SET version=excluded.version",
            [(project_id, source, key, version) for key, version in objects],
        )

    async def known_items(self, project_id: int, source: str, keys: Sequence[str]) -> set[str]:
        """Which item keys were imported from ``source``."""
        if not keys:
            return set()
        return set(
            await self._column(
                "SELECT key FROM source_items WHERE project_id=$1 AND source=$2 "
                "AND key=ANY($3::text[])",
                project_id,
                source,
                list(keys),
            )
        )

    # --- outbox ----------------------------------------------------------------------------

    async def enqueue_all(self, project_id: int) -> int:
        """Queue every labeled task (a new sink receives the existing completions)."""
        return await self._write(lambda tx: ops.enqueue_labeled(tx, project_id))

    async def outbox_due(self, project_id: int, limit: int) -> list[OutboxEntry]:
        """Claim the entries due now for this process, oldest first (SKIP LOCKED).

        A claim lasts :data:`OUTBOX_CLAIM_SECONDS`: if this process dies before the writes
        are done or failed, another process takes the entries over when it runs out.
        """
        now = time.time()
        assert self._pool is not None, "the store is not open"
        rows = await self._pool.fetch(
            "UPDATE outbox o SET claimed_until=$4 FROM (SELECT task_id FROM outbox "
            "WHERE project_id=$1 AND next_try<=$2 AND (claimed_until IS NULL OR "
            "claimed_until<=$2) ORDER BY next_try LIMIT $3 FOR UPDATE SKIP LOCKED) due "
            "WHERE o.project_id=$1 AND o.task_id=due.task_id "
            "RETURNING o.task_id, o.attempts, o.seq, o.next_try",
            project_id,
            now,
            limit,
            now + OUTBOX_CLAIM_SECONDS,
        )
        return [OutboxEntry(r[0], r[1], r[2]) for r in sorted(rows, key=lambda r: (r[3], r[0]))]

    async def outbox_done(self, project_id: int, entries: Sequence[OutboxEntry]) -> None:
        """Drop written entries; one queued again meanwhile (a new ``seq``) stays, unclaimed.

        A change still committing holds its entry's row: the delete waits for it, then sees
        the new ``seq``.
        """

        async def op(tx: Tx) -> None:
            ids = [e.task_id for e in entries]
            await tx.conn.execute(
                "DELETE FROM outbox o USING unnest($2::bigint[], $3::bigint[]) AS d(task_id, seq) "
                "WHERE o.project_id=$1 AND o.task_id=d.task_id AND o.seq=d.seq",
                project_id, ids, [e.seq for e in entries],
            )  # fmt: skip
            await tx.conn.execute(
                "UPDATE outbox SET claimed_until=NULL WHERE project_id=$1 "
                "AND task_id=ANY($2::bigint[])",
                project_id,
                ids,
            )

        # Not worth an fsync: a delete lost to a crash of the database only writes again.
        await self._write(op, durable=False)

    async def outbox_failed(
        self, project_id: int, task_ids: Sequence[int], error: str, retry_in: float
    ) -> None:
        """Count a failed try, push the next one back, release the claim."""
        assert self._pool is not None, "the store is not open"
        await self._pool.execute(
            "UPDATE outbox SET attempts=attempts+1, next_try=$3, last_error=$4, "
            "claimed_until=NULL WHERE project_id=$1 AND task_id=ANY($2::bigint[])",
            project_id,
            list(task_ids),
            time.time() + retry_in,
            error[:2000],
        )

    async def outbox_stats(self, project_id: int) -> OutboxStats:
        """Backlog size, failing entries and the newest error."""

        async def op(conn: asyncpg.Connection) -> OutboxStats:
            backlog, failing = await conn.fetchrow(
                "SELECT count(*), count(*) FILTER (WHERE attempts>0) FROM outbox "
                "WHERE project_id=$1",
                project_id,
            )
            error = await conn.fetchval(
                "SELECT last_error FROM outbox WHERE project_id=$1 AND last_error IS NOT NULL "
                "ORDER BY next_try DESC LIMIT 1",
                project_id,
            )
            return OutboxStats(backlog, failing, error)

        return await self._read(op)
