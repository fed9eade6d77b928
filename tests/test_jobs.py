"""Background jobs kept in the store: their progress written a few times a second (never once
per item), their outcome, jobs of a stopped process, and two servers on one PostgreSQL
database showing each other's jobs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lsplug.service.jobs import STOPPED, Job, Jobs
from lsplug.store import Store
from lsplug.store.sqlite import SQLiteStore
from lsplug.testing import Client, MakeClient
from lsplug.web import keys


class CountingSQLiteStore(SQLiteStore):
    """A SQLite store that counts its progress writes."""

    progress_writes = 0

    async def job_progress(self, *args: Any, **kwargs: Any) -> None:
        self.progress_writes += 1
        await super().job_progress(*args, **kwargs)


@pytest.fixture
async def jobs(store: Store) -> Jobs:
    return Jobs(store, (await store.ensure_project("uuid-1", "test", None)).id)


async def _counted(job: Job) -> None:
    job.total = 3
    for _ in range(3):
        job.done += 1
        await asyncio.sleep(0)


async def _failing(job: Job) -> None:
    job.total = 2
    raise RuntimeError("the bucket is gone")


async def test_a_started_job_is_listed_with_a_store_id(jobs: Jobs) -> None:
    job = await jobs.start("sync", "sync from local source", _counted)
    listed = await jobs.list()
    assert [j.id for j in listed] == [job.id] and listed[0].description == "sync from local source"
    await jobs.wait()


async def test_a_finished_job_shows_its_outcome(jobs: Jobs) -> None:
    job = await jobs.start("sync", "d", _counted)
    await jobs.wait()
    shown = await jobs.get(job.id)
    assert shown is not None
    assert (shown.status, shown.total, shown.done) == ("done", 3, 3)
    assert shown.as_json()["progress"] == 1.0
    assert shown.finished_at is not None and shown.finished_at >= shown.started_at


async def test_a_failed_job_shows_its_error(jobs: Jobs) -> None:
    job = await jobs.start("sync", "d", _failing)
    await jobs.wait()
    shown = await jobs.get(job.id)
    assert shown is not None and (shown.status, shown.error) == ("failed", "the bucket is gone")


async def test_a_job_cancelled_at_shutdown_is_recorded_failed(jobs: Jobs) -> None:
    job = await jobs.start("predict", "d", lambda job: asyncio.sleep(60))
    await jobs.cancel_all()
    shown = await jobs.get(job.id)
    assert shown is not None and (shown.status, shown.error) == ("failed", "cancelled at shutdown")


async def test_jobs_list_by_kind_newest_first(jobs: Jobs) -> None:
    first = await jobs.start("sync", "d", _counted)
    await jobs.start("predict", "d", _counted)
    last = await jobs.start("sync", "d", _counted)
    await jobs.wait()
    assert [j.id for j in await jobs.list("sync")] == [last.id, first.id]


async def test_a_job_started_soon_is_listed_once_recorded(jobs: Jobs) -> None:
    jobs.start_soon("train", "training after new completions", _counted)
    await jobs.wait()
    assert [(j.kind, j.status) for j in await jobs.list()] == [("train", "done")]


async def test_progress_is_written_a_few_times_a_second_not_per_item(tmp_path: Path) -> None:
    store = CountingSQLiteStore(tmp_path / "store.sqlite3")
    await store.open()
    try:
        jobs = Jobs(store, (await store.ensure_project("u", "t", None)).id)
        seen: list[int] = []

        async def many(job: Job) -> None:
            job.total = 20_000
            for _ in range(20):  # 20,000 items in about 1.2 s
                for _ in range(1000):
                    job.done += 1
                await asyncio.sleep(0.06)
                shown = await jobs.get(job.id)
                seen.append(shown.done if shown else -1)

        await jobs.start("sync", "d", many)
        await jobs.wait()
    finally:
        await store.close()
    assert 1 <= store.progress_writes <= 4
    assert 0 < max(seen) < 20_000  # the stored progress moved while the job ran


async def test_a_running_job_of_a_stopped_process_shows_failed(store: Store, jobs: Jobs) -> None:
    gone = time.time() - 60  # a process that started a job, then died a minute ago
    job_id = await store.add_job(jobs.project_id, "sync", "d", "gone-host:7:dead", gone)
    await store.job_progress(jobs.project_id, job_id, 100, 40, None, gone + 10)
    shown = await jobs.get(job_id)
    assert shown is not None
    assert (shown.status, shown.error, shown.done) == ("failed", STOPPED, 40)
    assert shown.finished_at == gone + 10  # its last sign of life


async def test_starting_a_job_records_the_stopped_ones_as_failed(store: Store, jobs: Jobs) -> None:
    gone = time.time() - 60
    job_id = await store.add_job(jobs.project_id, "sync", "d", "gone-host:7:dead", gone)
    await jobs.start("sync", "d", _counted)
    await jobs.wait()
    row = await store.get_job(jobs.project_id, job_id)
    assert row is not None and (row.status, row.error) == ("failed", STOPPED)


# --- two servers on one PostgreSQL database ---------------------------------------------------


@pytest.fixture
async def two_servers(make_client: MakeClient, pg_server: Any) -> tuple[Client, Client]:
    """Two apps (as two processes behind a load balancer) sharing one PostgreSQL store."""
    store = {"url": pg_server.new_database()}
    return await make_client(store=store), await make_client(store=store)


async def test_a_job_of_one_server_shows_its_progress_on_the_other(
    two_servers: tuple[Client, Client], poll: Callable[..., Any]
) -> None:
    first, second = two_servers
    release = asyncio.Event()

    async def halfway(job: Job) -> None:
        job.total, job.done = 10, 4
        await release.wait()
        job.done = 10

    job = await first.app[keys.JOBS].start("predict", "predictions for all tasks", halfway)

    async def shown(done: int, status: str) -> bool:
        resp = await second.get(f"/api/jobs/{job.id}")
        body = await resp.json()
        return resp.status == 200 and (body["done"], body["status"]) == (done, status)

    assert await poll(lambda: shown(4, "running"))
    listed = await (await second.get("/api/jobs?kind=predict")).json()
    assert [(j["id"], j["progress"]) for j in listed] == [(job.id, 0.4)]
    release.set()
    await first.app[keys.JOBS].wait()
    assert await shown(10, "done")


async def test_job_ids_of_two_servers_never_collide(two_servers: tuple[Client, Client]) -> None:
    first, second = two_servers
    started = [await c.app[keys.JOBS].start("sync", "d", _counted) for c in two_servers * 3]
    for client in two_servers:
        await client.app[keys.JOBS].wait()
    assert len({j.id for j in started}) == 6
    for client in (first, second):
        listed = await (await client.get("/api/jobs")).json()
        assert sorted(j["id"] for j in listed) == sorted(j.id for j in started)


async def test_a_job_whose_server_stopped_beating_shows_failed_on_the_other(
    two_servers: tuple[Client, Client],
) -> None:
    first, second = two_servers
    store, pid = first.app[keys.STORE], first.app[keys.PROJECT].id
    gone = time.time() - 60  # the first server's process, frozen or dead for a minute
    job_id = await store.add_job(
        pid, "sync", "sync from s3 source", first.app[keys.JOBS].owner, gone
    )
    await store.job_progress(pid, job_id, 50, 20, None, gone + 5)
    body = await (await second.get(f"/api/jobs/{job_id}")).json()
    assert (body["status"], body["error"], body["done"]) == ("failed", STOPPED, 20)
