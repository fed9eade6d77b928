"""Background jobs (sync, sink backfill, predictions) with the progress the API shows.

A job is a row of the store, so every server process sharing the store shows every job of
the project, and the store gives the ids. The process running a job writes its progress
when it changed, at most every :data:`PROGRESS_SECONDS` (never once per item), and at least
every :data:`HEARTBEAT_SECONDS` as a heartbeat. A running job whose heartbeat is older than
:data:`STALE_SECONDS` belongs to a process that stopped: it shows as failed. Work that one
process at a time may do (:mod:`lsplug.service.exclusive`) then runs in another process's
job, the one that shows the progress.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from lsplug.store import JobRow, Store

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5  # the most often a running job's progress is written
HEARTBEAT_SECONDS = 5.0  # the least often: a job whose progress stands still still beats
STALE_SECONDS = 30.0  # a running job not written for this long has lost its process
KEEP_FINISHED = 100  # finished jobs kept per project, so their outcome shows
STOPPED = "its server process stopped"

Work = Callable[["Job"], Awaitable[None]]


async def _call(work: Work, job: Job) -> None:
    await work(job)


def process_identity() -> str:
    """Who runs a job: ``host:pid:random`` (the random part tells apart a reused pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Job:
    """One long operation and how far it got."""

    id: int
    kind: str
    description: str
    total: int | None = None
    done: int = 0
    status: str = "running"  # running, done, failed
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    @classmethod
    def from_row(cls, row: JobRow, now: float) -> Job:
        """A stored job as it stands at ``now``: failed if its process stopped beating."""
        job = cls(
            row.id, row.kind, row.description, row.total, row.done, row.status, row.error,
            row.started_at, row.finished_at,
        )  # fmt: skip
        if job.status == "running" and row.heartbeat_at < now - STALE_SECONDS:
            job.status, job.error, job.finished_at = "failed", STOPPED, row.heartbeat_at
        return job

    def as_json(self) -> dict[str, Any]:
        """The job as `/api/jobs` shows it."""
        progress = None if not self.total else round(min(1.0, self.done / self.total), 4)
        return {
            "id": self.id, "kind": self.kind, "description": self.description,
            "total": self.total, "done": self.done, "progress": progress,
            "status": self.status, "error": self.error,
            "started_at": self.started_at, "finished_at": self.finished_at,
        }  # fmt: skip

    def _progress(self) -> tuple[int | None, int, str | None]:
        return self.total, self.done, self.error


class Jobs:
    """The jobs of one project, run by this process and read from the store (every
    process's); finished ones are kept (the newest :data:`KEEP_FINISHED`)."""

    def __init__(self, store: Store, project_id: int, owner: str | None = None) -> None:
        self.store, self.project_id = store, project_id
        self.owner = owner or process_identity()
        self._tasks: set[asyncio.Task[None]] = set()
        self._unfinished: dict[int, Job] = {}  # started here, outcome not yet written

    async def start(self, kind: str, description: str, work: Work) -> Job:
        """Record a job, then run ``work(job)`` in the background; it updates ``job.total``
        and ``job.done``, which are written to the store as they change."""
        job = await self._record(kind, description)
        self._unfinished[job.id] = job
        self._track(asyncio.get_running_loop().create_task(self._run(job, work)))
        return job

    def start_soon(self, kind: str, description: str, work: Work) -> None:
        """Like :meth:`start`, for a caller that cannot wait for the job's record."""
        running = self._record_and_run(kind, description, work)
        self._track(asyncio.get_running_loop().create_task(running))

    async def _record(self, kind: str, description: str) -> Job:
        now = time.time()
        await self.store.fail_stale_jobs(self.project_id, now - STALE_SECONDS, STOPPED)
        job_id = await self.store.add_job(self.project_id, kind, description, self.owner, now)
        return Job(job_id, kind, description, started_at=now)

    async def _record_and_run(self, kind: str, description: str, work: Work) -> None:
        try:
            job = await self._record(kind, description)
        except Exception:
            log.exception("the %s job could not be recorded, so it did not run", kind)
            return
        self._unfinished[job.id] = job
        await self._run(job, work)

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job, work: Work) -> None:
        """Run the work in a task of its own while this one writes its progress."""
        task = asyncio.get_running_loop().create_task(_call(work, job), name=f"lsplug-job-{job.id}")
        try:
            await self._watch(job, task)
            job.status = "done"
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.wait({task})
            job.status, job.error = "failed", "cancelled at shutdown"
            raise
        except Exception as exc:
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.status, job.error = "failed", str(exc) or type(exc).__name__
        finally:
            await self._write_outcome(job)

    async def _watch(self, job: Job, task: asyncio.Task[None]) -> None:
        """Until ``task`` ends (its exception raised here), write the job's progress when it
        changed, every :data:`PROGRESS_SECONDS` at most, and a heartbeat when it did not."""
        loop = asyncio.get_running_loop()
        written, beat = job._progress(), loop.time()
        while True:
            finished, _ = await asyncio.wait({task}, timeout=PROGRESS_SECONDS)
            if finished:
                task.result()
                return
            if job._progress() == written and loop.time() - beat < HEARTBEAT_SECONDS:
                continue
            written, beat = job._progress(), loop.time()
            try:
                await self.store.job_progress(
                    self.project_id, job.id, job.total, job.done, job.error, time.time()
                )
            except Exception as exc:  # progress is worth a warning, never the job
                log.warning("job %s: its progress could not be written: %s", job.id, exc)

    async def _write_outcome(self, job: Job) -> None:
        job.finished_at = time.time()
        self._unfinished.pop(job.id, None)
        try:
            await self.store.finish_job(
                self.project_id, job.id, job.total, job.done, job.status, job.error,
                job.finished_at, KEEP_FINISHED,
            )  # fmt: skip
        except Exception:
            log.exception("job %s: its outcome (%s) could not be written", job.id, job.status)

    async def get(self, job_id: int) -> Job | None:
        """One job by id, whichever process runs it."""
        row = await self.store.get_job(self.project_id, job_id)
        return None if row is None else Job.from_row(row, time.time())

    async def wait(self) -> None:
        """Wait for every job this process runs (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_all(self) -> None:
        """Cancel the jobs this process runs (at shutdown); each is recorded as failed."""
        for task in list(self._tasks):
            task.cancel()
        await self.wait()
        for job in list(self._unfinished.values()):  # cancelled before they began
            job.status, job.error = "failed", "cancelled at shutdown"
            await self._write_outcome(job)

    async def list(self, kind: str | None = None) -> list[Job]:
        """The project's jobs of every process, newest first."""
        now = time.time()
        return [Job.from_row(r, now) for r in await self.store.list_jobs(self.project_id, kind)]
