"""The tasks an export reads: batches of records, or for JSON-splicing formats their JSON.

Exporters get an async iterator of task batches (:data:`~lsplug.hooks.types.TaskBatches`).
The one given by the server is a :class:`TaskStream`, which also offers
:meth:`TaskStream.json_batches`: the tasks' JSON, batch by batch, made by the store where it
can (on its reader thread, without a record per task). A format that writes every task as
the tasks API shows it uses that when present; any other iterates the records as usual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lsplug.records import TaskRecord
from lsplug.store.base import Store


class TaskStream:
    """The tasks of a project in id order, as record batches or as JSON batches."""

    def __init__(self, store: Store, project_id: int, only_labeled: bool) -> None:
        self.store, self.project_id, self.only_labeled = store, project_id, only_labeled
        self._records: AsyncIterator[list[TaskRecord]] | None = None

    def __aiter__(self) -> TaskStream:
        return self

    async def __anext__(self) -> list[TaskRecord]:
        """The next batch of records."""
        if self._records is None:
            self._records = self.store.iter_tasks(self.project_id, self.only_labeled)
        return await anext(self._records)

    def json_batches(self) -> AsyncIterator[bytes]:
        """Each batch's tasks as the tasks API shows them, their JSON joined by commas."""
        fast: Any = getattr(self.store, "iter_task_json", None)
        if fast is not None:
            batches: AsyncIterator[bytes] = fast(self.project_id, self.only_labeled)
            return batches
        return self._joined()

    async def _joined(self) -> AsyncIterator[bytes]:
        """:meth:`json_batches` for a store without its own JSON reads."""
        async for batch in self:
            yield b",".join([record.json_bytes() for record in batch])
