"""The tasks an export reads: batches of records, or for JSON-splicing formats their JSON.

Exporters get an async iterator of task batches (:data:`~lsplug.hooks.types.TaskBatches`).
The one given by the server is a :class:`TaskStream`, which also offers
:meth:`TaskStream.json_batches`: the tasks' JSON, batch by batch, made by the store's
:meth:`~lsplug.store.roles.ExportStore.iter_task_json` when the stream is given it (SQLite
writes it on its reader thread, without a record per task). A format that writes every task
as the tasks API shows it uses that when present; any other iterates the records as usual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from lsplug.records import TaskRecord
from lsplug.store import ExportStore

JsonReads = Callable[[int, bool], AsyncIterator[bytes]]
"""``(project_id, only_labeled)`` -> the tasks' JSON batch by batch: the store's
:meth:`~lsplug.store.roles.ExportStore.iter_task_json`."""


class TaskStream:
    """The tasks of a project in id order, as record batches or as JSON batches."""

    def __init__(
        self, store: ExportStore, project_id: int, only_labeled: bool,
        json_reads: JsonReads | None = None,
    ) -> None:  # fmt: skip
        self.store, self.project_id, self.only_labeled = store, project_id, only_labeled
        self._json_reads = json_reads
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
        if self._json_reads is not None:
            return self._json_reads(self.project_id, self.only_labeled)
        return self._joined()

    async def _joined(self) -> AsyncIterator[bytes]:
        """:meth:`json_batches` for a stream not given the store's JSON reads."""
        async for batch in self:
            yield b",".join([record.json_bytes() for record in batch])
