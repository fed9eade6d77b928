"""Importing tasks from the project's source: only objects that are new or changed.

Objects are tracked by key and version, items by key, so a sync that runs twice (or a
restart) never imports a task twice. A file that does not parse is reported in the job
and retried when it changes; the other files still import.
"""

from __future__ import annotations

import logging
from typing import Any

from lsplug.errors import BadInput
from lsplug.hooks.types import SourceObject, TaskSource
from lsplug.service.items import to_new_tasks
from lsplug.service.jobs import Job
from lsplug.service.project import Project
from lsplug.store.base import NewTask

log = logging.getLogger(__name__)
FLUSH_TASKS = 5000


class SourceSync:
    """One sync of one source into one project; ``run`` is a job's work."""

    def __init__(self, project: Project, source: TaskSource, identity: str) -> None:
        self.project = project
        self.source = source
        self.identity = identity
        self.pending: list[NewTask] = []
        self.marks: list[SourceObject] = []
        self.errors: list[str] = []
        self.imported = 0

    async def run(self, job: Job) -> None:
        """List the source, read what is new, import in batches; progress in ``job``."""
        store, pid = self.project.store, self.project.id
        known = await store.known_objects(pid, self.identity)
        todo = [o async for o in self.source.list_objects() if known.get(o.key) != o.version]
        job.total = len(todo)
        for obj in todo:
            await self._read(obj)
            job.done += 1
            if len(self.pending) >= FLUSH_TASKS:
                await self._flush()
        await self._flush()
        if self.errors:
            job.error = f"{len(self.errors)} objects not imported: " + "; ".join(self.errors[:20])
        log.info(
            "sync of %s: %d tasks imported from %d objects", self.identity, self.imported, len(todo)
        )

    async def _read(self, obj: SourceObject) -> None:
        try:
            items = [item async for item in self.source.read_object(obj)]
            keys = [f"{obj.key}#{item.key}" for item in items]
            seen = await self.project.store.known_items(self.project.id, self.identity, keys)
            fresh: list[tuple[str | None, Any]] = [
                (k, i.task) for k, i in zip(keys, items, strict=True) if k not in seen
            ]
            tasks = to_new_tasks(
                [t for _, t in fresh], self.project.label_config.data_types, [k for k, _ in fresh]
            )
        except (ValueError, BadInput) as exc:
            detail = exc.detail if isinstance(exc, BadInput) else str(exc)
            self.errors.append(f"{obj.key}: {detail}")
            log.warning("source object %s not imported: %s", obj.key, detail)
            return
        self.pending.extend(tasks)
        self.marks.append(obj)

    async def _flush(self) -> None:
        store, pid = self.project.store, self.project.id
        if self.pending:
            result = await store.import_tasks(pid, self.pending, self.identity)
            self.imported += len(result.task_ids)
        for obj in self.marks:
            await store.mark_object(pid, self.identity, obj.key, obj.version)
        self.pending, self.marks = [], []
