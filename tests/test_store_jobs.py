"""The store's jobs table, the same on both back-ends: ids, progress, outcome, pruning,
jobs whose process stopped. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import time

from stores import Opener

from lsplug.store import Store

NOW = 1_700_000_000.0


async def test_a_new_job_is_running_without_progress(store: Store, pid: int) -> None:
    job_id = await store.add_job(pid, "sync", "sync from s3 source", "host:1:ab", NOW)
    job = await store.get_job(pid, job_id)
    assert job is not None
    assert (job.kind, job.description, job.status, job.total, job.done, job.error) == (
        "sync", "sync from s3 source", "running", None, 0, None,
    )  # fmt: skip
    assert (job.started_at, job.heartbeat_at, job.finished_at, job.owner) == (
        NOW, NOW, None, "host:1:ab",
    )  # fmt: skip


async def test_job_ids_are_unique_across_stores_on_one_database(
    store: Store, pid: int, opener: Opener
) -> None:
    other = opener()  # a second process's store on the same database
    await other.open()
    try:
        ids = [await s.add_job(pid, "sync", "d", "o", NOW) for s in [store, other] * 5]
    finally:
        await other.close()
    assert len(set(ids)) == 10


async def test_progress_is_written_with_the_heartbeat(store: Store, pid: int) -> None:
    job_id = await store.add_job(pid, "predict", "d", "o", NOW)
    await store.job_progress(pid, job_id, 200, 50, None, NOW + 2)
    job = await store.get_job(pid, job_id)
    assert job is not None
    assert (job.total, job.done, job.status, job.heartbeat_at) == (200, 50, "running", NOW + 2)


async def test_the_outcome_is_written_and_later_progress_is_ignored(store: Store, pid: int) -> None:
    job_id = await store.add_job(pid, "sync", "d", "o", NOW)
    await store.finish_job(pid, job_id, 10, 7, "failed", "bucket gone", NOW + 5, keep=100)
    await store.job_progress(pid, job_id, 10, 9, None, NOW + 6)  # a late write
    job = await store.get_job(pid, job_id)
    assert job is not None
    assert (job.status, job.error, job.done) == ("failed", "bucket gone", 7)
    assert job.finished_at == NOW + 5


async def test_jobs_are_listed_newest_first_by_kind(store: Store, pid: int) -> None:
    sync = await store.add_job(pid, "sync", "d", "o", NOW)
    predict = await store.add_job(pid, "predict", "d", "o", NOW)
    sync_again = await store.add_job(pid, "sync", "d", "o", NOW)
    assert [j.id for j in await store.list_jobs(pid)] == [sync_again, predict, sync]
    assert [j.id for j in await store.list_jobs(pid, "sync")] == [sync_again, sync]
    assert await store.list_jobs(pid, "train") == []


async def test_a_job_belongs_to_its_project(store: Store, pid: int) -> None:
    other = (await store.ensure_project("uuid-2", "other", None)).id
    job_id = await store.add_job(other, "sync", "d", "o", NOW)
    assert await store.get_job(pid, job_id) is None
    assert await store.list_jobs(pid) == []
    assert [j.id for j in await store.list_jobs(other)] == [job_id]


async def test_finished_jobs_beyond_the_newest_kept_are_pruned(store: Store, pid: int) -> None:
    running = await store.add_job(pid, "sync", "d", "o", NOW)
    finished = []
    for n in range(5):
        job_id = await store.add_job(pid, "predict", f"job {n}", "o", NOW)
        await store.finish_job(pid, job_id, None, 0, "done", None, NOW + n, keep=3)
        finished.append(job_id)
    assert [j.id for j in await store.list_jobs(pid)] == [*finished[:1:-1], running]


async def test_running_jobs_without_a_recent_heartbeat_are_failed(store: Store, pid: int) -> None:
    stale = await store.add_job(pid, "sync", "d", "gone:1:aa", NOW)
    alive = await store.add_job(pid, "sync", "d", "here:2:bb", NOW)
    await store.job_progress(pid, alive, None, 3, None, NOW + 40)
    done = await store.add_job(pid, "sync", "d", "gone:1:aa", NOW)
    await store.finish_job(pid, done, 1, 1, "done", None, NOW + 1, keep=100)
    assert await store.fail_stale_jobs(pid, NOW + 30, "its server process stopped") == 1
    jobs = {j.id: j for j in await store.list_jobs(pid)}
    assert (jobs[stale].status, jobs[stale].error, jobs[stale].finished_at) == (
        "failed", "its server process stopped", NOW,
    )  # fmt: skip
    assert (jobs[alive].status, jobs[done].status) == ("running", "done")


async def test_jobs_are_kept_across_a_reopening(opener: Opener) -> None:
    first = opener()
    await first.open()
    pid = (await first.ensure_project("u", "t", None)).id
    job_id = await first.add_job(pid, "sync", "d", "o", time.time())
    await first.finish_job(pid, job_id, 4, 4, "done", None, time.time(), keep=100)
    await first.close()
    second = opener()
    await second.open()
    try:
        job = await second.get_job(pid, job_id)
        assert job is not None and (job.status, job.done) == ("done", 4)
        assert await second.add_job(pid, "sync", "d", "o", time.time()) > job_id
    finally:
        await second.close()
