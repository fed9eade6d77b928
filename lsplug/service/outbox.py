"""Delivering completions to the sink from the outbox, with retries and back-off.

A completion is acknowledged once it is in the store, together with its outbox entry; this
worker writes the task's document to the sink afterwards, so a sink that is down delays
writes but never loses one, even across a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson

from lsplug.hooks.types import CompletionSink
from lsplug.records import TaskRecord
from lsplug.service.project import Project

log = logging.getLogger(__name__)
BATCH = 256
CONCURRENCY = 64
MAX_BACKOFF = 60.0
GATHER_SECONDS = 0.05
"""After a wake-up the worker waits this long, so that the changes of a busy moment are
written as one batch (one read of the tasks, one group of files, one delete) rather than
one small batch per completion."""


def sink_document(record: TaskRecord) -> bytes:
    """The document a sink stores for a task: the seed's keys and Label Studio 0.8's."""
    task = record.as_dict()
    doc: dict[str, Any] = {
        "id": task["id"],
        "data": task["data"],
        "completions": task["completions"],
        "predictions": task["predictions"],
        "completed_at": task["completed_at"],
        "meta": task["meta"],
        "task": task["data"],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones."""
    return float(min(MAX_BACKOFF, 0.5 * 2**attempts))


async def _deliver(sink: CompletionSink, task_id: int, record: TaskRecord | None) -> None:
    if record is None or not record.completions:
        await sink.delete_task(task_id)
    else:
        await sink.write_task(task_id, sink_document(record))


async def _deliver_all(
    sink: CompletionSink, ids: list[int], records: dict[int, TaskRecord]
) -> list[BaseException | None]:
    """Write each task's document with bounded concurrency; the error of each, or None."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(task_id: int) -> BaseException | None:
        async with gate:
            try:
                await _deliver(sink, task_id, records.get(task_id))
            except Exception as exc:
                return exc
            return None

    return list(await asyncio.gather(*(one(t) for t in ids)))


async def drain_once(project: Project) -> int:
    """Deliver every due entry once; the number delivered."""
    sink, store, pid = project.storages.sink, project.store, project.id
    delivered = 0
    while sink is not None and (entries := await store.outbox_due(pid, BATCH)):
        # The tasks are read after their entries: a change committed after this read has
        # queued its entry again with a new seq, which outbox_done leaves in place.
        ids = [e.task_id for e in entries]
        records = {r.id: r for r in await store.get_tasks(pid, ids)}
        outcomes = await _deliver_all(sink, ids, records)
        ok = [e for e, err in zip(entries, outcomes, strict=True) if err is None]
        await store.outbox_done(pid, ok)
        delivered += len(ok)
        await _record_failures(project, entries, outcomes)
        if len(ok) < len(ids):
            break
    return delivered


async def _record_failures(
    project: Project, entries: list[Any], outcomes: list[BaseException | None]
) -> None:
    for entry, err in zip(entries, outcomes, strict=True):
        if err is not None:
            message = f"{type(err).__name__}: {err}"
            log.warning(
                "sink write of task %s failed (try %d): %s",
                entry.task_id,
                entry.attempts + 1,
                message,
            )
            await project.store.outbox_failed(
                project.id, [entry.task_id], message, backoff(entry.attempts)
            )


async def run_sink_worker(project: Project, interval: float = 1.0) -> None:
    """Forever: wait for a change (or ``interval``), gather a moment, deliver what is due."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(project.sink_wakeup.wait(), interval)
        await asyncio.sleep(GATHER_SECONDS)
        project.sink_wakeup.clear()
        try:
            await drain_once(project)
        except Exception:
            log.exception("the sink worker failed; it tries again")
