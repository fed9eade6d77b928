"""The PostgreSQL store's predictions, and the scores active-learning sampling orders by.

A task keeps the score of its newest scored prediction (``tasks.score``), so sampling by
score is an index walk (see :mod:`lsplug.store.postgres.leasing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lsplug.store.postgres.ops as ops
from lsplug.store.postgres.base import PgBase
from lsplug.store.postgres.ops import Tx


class PredictionsMixin(PgBase):
    """Predictions of tasks that exist, which tasks a model has predicted, unscored tasks."""

    async def add_predictions(
        self, project_id: int, items: Sequence[tuple[int, dict[str, Any]]]
    ) -> int:
        """Store predictions ``(task_id, body)`` of tasks that exist; the number stored."""

        async def op(tx: Tx) -> int:
            rows = await tx.conn.fetch(
                "SELECT id FROM tasks WHERE project_id=$1 AND id=ANY($2::bigint[])",
                project_id,
                sorted({t for t, _ in items}),
            )
            exist = {r[0] for r in rows}
            kept = [(t, b) for t, b in items if t in exist]
            return await ops.insert_predictions(tx, project_id, kept) if kept else 0

        return await self._write(op)

    async def predicted_ids(
        self, project_id: int, task_ids: Sequence[int], created_by: str, model_version: str | None
    ) -> set[int]:
        """Which of ``task_ids`` have a prediction of that model at that version."""
        if not task_ids:
            return set()
        return set(
            await self._column(
                "SELECT task_id FROM predictions WHERE project_id=$1 AND created_by=$2 "
                "AND model_version IS NOT DISTINCT FROM $3 AND task_id=ANY($4::bigint[])",
                project_id,
                created_by,
                model_version,
                list(task_ids),
            )
        )

    async def unscored_task_ids(self, project_id: int, limit: int, after: int = -1) -> list[int]:
        """Unlabeled tasks no prediction has scored yet, in id order (an index walk)."""
        return await self._column(
            "SELECT id FROM tasks WHERE project_id=$1 AND NOT is_labeled AND score IS NULL "
            "AND id>$2 ORDER BY id LIMIT $3",
            project_id,
            after,
            limit,
        )
