"""Importing tasks from the project's source: only objects that are new or changed.

Objects are tracked by key and version, items by key, so a sync that runs twice (or a
restart) never imports a task twice. A file that does not parse is reported in the job
and retried when it changes; the other files still import.

Objects are read a batch at a time, several at once (a bucket answers each GET slowly but
many in parallel); a batch's item keys are checked in one query, converted in a thread,
and imported and marked with one write each per flush, never one per object.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from lsplug.errors import BadInput
from lsplug.hooks.types import SourceItem, SourceObject, TaskSource
from lsplug.labelconfig import LabelConfig
from lsplug.service.items import to_new_tasks
from lsplug.service.jobs import Job
from lsplug.service.project import Project
from lsplug.store import NewTask

log = logging.getLogger(__name__)
FLUSH_TASKS = 5000
READ_BATCH = 1000
READ_CONCURRENCY = 16
Read = tuple[SourceObject, list[SourceItem] | str]  # the items of an object, or its error


class SourceSync:
    """One sync of one source into one project; ``run`` is a job's work."""

    def __init__(self, project: Project, source: TaskSource, identity: str) -> None:
        self.project = project
        self.source = source
        self.identity = identity
        self.pending: list[NewTask] = []
        self.marks: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.imported = 0
        # seconds spent per step: list (the source's listing and the known objects),
        # read (the objects' contents), convert (known items, tasks made), write (store)
        self.timings = dict.fromkeys(("list", "read", "convert", "write"), 0.0)

    async def run(self, job: Job) -> None:
        """List the source, read what is new, import in batches; progress in ``job``."""
        started = time.perf_counter()
        known = await self.project.store.known_objects(self.project.id, self.identity)
        todo = [o async for o in self.source.list_objects() if known.get(o.key) != o.version]
        del known
        self.timings["list"] += time.perf_counter() - started
        job.total = len(todo)
        try:
            for start in range(0, len(todo), READ_BATCH):
                batch = todo[start : start + READ_BATCH]
                began = time.perf_counter()
                reads = await self._read_all(batch)
                read = time.perf_counter()
                await self._take(reads)
                self.timings["read"] += read - began
                self.timings["convert"] += time.perf_counter() - read
                job.done += len(batch)
                if len(self.pending) >= FLUSH_TASKS:
                    await self._flush()
        finally:
            await self._flush()  # what was read before a failure is kept
        if self.errors:
            job.error = f"{len(self.errors)} objects not imported: " + "; ".join(self.errors[:20])
        log.info(
            "sync of %s: %d tasks imported from %d objects; seconds: %s",
            self.identity,
            self.imported,
            len(todo),
            ", ".join(f"{step} {took:.2f}" for step, took in self.timings.items()),
            extra={"sync_timings": dict(self.timings), "sync_objects": len(todo)},
        )

    async def _read_all(self, batch: Sequence[SourceObject]) -> list[Read]:
        """Read the objects of a batch with a few readers at once, in batch order."""
        out: list[Read | None] = [None] * len(batch)
        cursor = iter(range(len(batch)))

        async def reader() -> None:
            for index in cursor:
                out[index] = (batch[index], await self._read(batch[index]))

        await asyncio.gather(*(reader() for _ in range(min(READ_CONCURRENCY, len(batch)))))
        return [r for r in out if r is not None]

    async def _read(self, obj: SourceObject) -> list[SourceItem] | str:
        """The items of one object, or why it could not be read."""
        try:
            return [item async for item in self.source.read_object(obj)]
        except ValueError as exc:
            return str(exc)

    async def _take(self, reads: list[Read]) -> None:
        """Queue the new tasks of a batch; one query tells which items are known."""
        keys = [f"{o.key}#{i.key}" for o, items in reads if isinstance(items, list) for i in items]
        seen = await self.project.store.known_items(self.project.id, self.identity, keys)
        converted = await asyncio.to_thread(_convert, reads, seen, self.project.label_config)
        for obj, outcome in converted:
            if isinstance(outcome, str):
                self.errors.append(f"{obj.key}: {outcome}")
                log.warning("source object %s not imported: %s", obj.key, outcome)
                continue
            self.pending.extend(outcome)
            self.marks.append((obj.key, obj.version))

    async def _flush(self) -> None:
        """Import the queued tasks, then mark their objects synced: one write each."""
        store, pid = self.project.store, self.project.id
        began = time.perf_counter()
        if self.pending:
            result = await store.import_tasks(pid, self.pending, self.identity)
            self.imported += len(result.task_ids)
        if self.marks:
            await store.mark_objects(pid, self.identity, self.marks)
        self.pending, self.marks = [], []
        self.timings["write"] += time.perf_counter() - began


def _convert(
    reads: list[Read], seen: set[str], config: LabelConfig
) -> list[tuple[SourceObject, list[NewTask] | str]]:
    """Each object's unseen items as new tasks, or the error that keeps it out (blocking)."""
    out: list[tuple[SourceObject, list[NewTask] | str]] = []
    for obj, items in reads:
        if isinstance(items, str):
            out.append((obj, items))
            continue
        fresh: list[tuple[str, Any]] = [
            (k, i.task) for i in items if (k := f"{obj.key}#{i.key}") not in seen
        ]
        try:
            items_only, keys = [t for _, t in fresh], [k for k, _ in fresh]
            tasks = to_new_tasks(items_only, config.data_types, keys, config=config)
        except BadInput as exc:
            out.append((obj, exc.detail))
            continue
        out.append((obj, tasks))
    return out
