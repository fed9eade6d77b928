"""Background jobs (sync, sink backfill, predictions) with the progress the API shows."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


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

    def as_json(self) -> dict[str, Any]:
        """The job as `/api/jobs` shows it."""
        progress = None if not self.total else round(min(1.0, self.done / self.total), 4)
        return {
            "id": self.id, "kind": self.kind, "description": self.description,
            "total": self.total, "done": self.done, "progress": progress,
            "status": self.status, "error": self.error,
            "started_at": self.started_at, "finished_at": self.finished_at,
        }  # fmt: skip


class Jobs:
    """The jobs of one app; finished ones are kept (the newest 100) so their outcome shows."""

    def __init__(self) -> None:
        self._jobs: dict[int, Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)

    def start(self, kind: str, description: str, work: Callable[[Job], Awaitable[None]]) -> Job:
        """Run ``work(job)`` in the background; it updates ``job.total`` and ``job.done``."""
        job = Job(next(self._ids), kind, description)
        self._jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(self._run(job, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._prune()
        return job

    async def _run(self, job: Job, work: Callable[[Job], Awaitable[None]]) -> None:
        try:
            await work(job)
            job.status = "done"
        except asyncio.CancelledError:
            job.status, job.error = "failed", "cancelled at shutdown"
            raise
        except Exception as exc:
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.status, job.error = "failed", str(exc) or type(exc).__name__
        finally:
            job.finished_at = time.time()

    def _prune(self) -> None:
        finished = [j for j in self._jobs.values() if j.status != "running"]
        for job in finished[: max(0, len(self._jobs) - 100)]:
            del self._jobs[job.id]

    def list(self, kind: str | None = None) -> list[Job]:
        """Jobs, newest first."""
        jobs = [j for j in self._jobs.values() if kind is None or j.kind == kind]
        return sorted(jobs, key=lambda j: -j.id)

    def get(self, job_id: int) -> Job | None:
        """One job by id."""
        return self._jobs.get(job_id)

    async def wait(self) -> None:
        """Wait for every running job (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_all(self) -> None:
        """Cancel running jobs at shutdown."""
        for task in list(self._tasks):
            task.cancel()
        await self.wait()
