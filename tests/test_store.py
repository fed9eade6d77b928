"""The store's behaviour, the same on both back-ends: ids, counters, batches, leases,
streams, outbox, schema. Every test runs on SQLite and on PostgreSQL (a server the tests
start in a temporary folder, a fresh database per test)."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import asyncpg
import orjson
import pytest
from stores import Opener

from lsplug.store import NewTask, ProjectRow, Store
from lsplug.store.postgres import PostgresStore
from lsplug.store.sqlite import SCHEMA_VERSION, SchemaTooNew, SQLiteStore


def tasks(*texts: str) -> list[NewTask]:
    return [NewTask(data=orjson.dumps({"text": t})) for t in texts]


def completion(**extra: Any) -> dict[str, Any]:
    return {"result": [], "created_at": 1_600_000_000, **extra}


async def counters(store: Store, pid: int) -> tuple[int, int, int, int]:
    row: ProjectRow = await store.get_project(pid)
    return row.task_count, row.completion_count, row.prediction_count, row.labeled_count


async def all_ids(store: Store, pid: int) -> list[int]:
    return await store.page_task_ids(pid, "id", 0, 1000)


async def test_ensure_project_is_idempotent(store: Store, pid: int) -> None:
    again = await store.ensure_project("uuid-1", "other title", "<View/>")
    assert again.id == pid and again.title == "test"


async def test_import_assigns_ids_from_zero(store: Store, pid: int) -> None:
    first = await store.import_tasks(pid, tasks("a", "b", "c"))
    second = await store.import_tasks(pid, tasks("d", "e"))
    assert (first.task_ids, second.task_ids) == ([0, 1, 2], [3, 4])


async def test_task_ids_not_reused_after_delete_task(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    assert await store.delete_task(pid, 1)
    assert (await store.import_tasks(pid, tasks("c"))).task_ids == [2]
    assert await all_ids(store, pid) == [0, 2]


async def test_task_ids_not_reused_after_delete_all(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    assert await store.delete_all_tasks(pid) == 2
    assert (await store.import_tasks(pid, tasks("c"))).task_ids == [2]


async def test_delete_unknown_task_is_false(store: Store, pid: int) -> None:
    assert await store.delete_task(pid, 99) is False


async def test_import_with_completions_and_predictions_counts_them(store: Store, pid: int) -> None:
    item = NewTask(
        data=b'{"text":"a"}', completions=[completion()], predictions=[{"result": [], "score": 0.5}]
    )
    result = await store.import_tasks(pid, [item, *tasks("b")])
    assert (result.completion_count, result.prediction_count) == (1, 1)
    assert await counters(store, pid) == (2, 1, 1, 1)


async def test_counters_follow_completion_changes(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    c1 = await store.add_completion(pid, 0, completion(), enqueue=False)
    c2 = await store.add_completion(pid, 0, completion(), enqueue=False)
    assert c1 is not None and c2 is not None
    assert await counters(store, pid) == (2, 2, 0, 1)
    assert await store.update_completion(pid, 0, c1["id"], {"lead_time": 3.0}, enqueue=False)
    assert await counters(store, pid) == (2, 2, 0, 1)
    assert await store.delete_completion(pid, 0, c1["id"], enqueue=False)
    assert await counters(store, pid) == (2, 1, 0, 1)
    assert await store.delete_completion(pid, 0, c2["id"], enqueue=False)
    assert await counters(store, pid) == (2, 0, 0, 0)


async def test_counters_after_deleting_a_labeled_task(store: Store, pid: int) -> None:
    await store.import_tasks(
        pid, [NewTask(b'{"text":"a"}', predictions=[{"result": []}]), *tasks("b")]
    )
    await store.add_completion(pid, 0, completion(), enqueue=False)
    await store.add_completion(pid, 1, completion(), enqueue=False)
    assert await store.delete_task(pid, 0)
    assert await counters(store, pid) == (1, 1, 0, 1)


async def test_counters_after_deleting_everything(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    await store.add_completion(pid, 0, completion(), enqueue=False)
    await store.delete_all_tasks(pid)
    assert await counters(store, pid) == (0, 0, 0, 0)


async def test_counters_after_delete_all_and_task_completions(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b", "c"))
    for task_id in (0, 0, 1, 2):
        await store.add_completion(pid, task_id, completion(), enqueue=False)
    assert await store.delete_task_completions(pid, 0, enqueue=False)
    assert await counters(store, pid) == (3, 2, 0, 2)
    assert await store.delete_all_completions(pid, enqueue=False) == 2
    assert await counters(store, pid) == (3, 0, 0, 0)


async def test_replace_task_completions_keeps_counters(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a"))
    await store.add_completion(pid, 0, completion(), enqueue=False)
    assert await store.replace_task(
        pid, 0, completions=[completion(), completion()], predictions=[{"result": []}]
    )
    assert await counters(store, pid) == (1, 2, 1, 1)
    assert await store.replace_task(pid, 0, completions=[])
    assert await counters(store, pid) == (1, 0, 1, 0)


async def test_completion_ids_are_unique_and_never_reused(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    first = [await store.add_completion(pid, t, completion(), enqueue=False) for t in (0, 1, 0)]
    ids = [c["id"] for c in first if c]
    assert len(set(ids)) == 3
    for task_id, cid in zip((0, 1, 0), ids, strict=True):
        await store.delete_completion(pid, task_id, cid, enqueue=False)
    later = await store.add_completion(pid, 1, completion(), enqueue=False)
    assert later is not None and later["id"] > max(ids)


async def test_completion_is_returned_with_its_extra_keys(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a"))
    saved = await store.add_completion(pid, 0, completion(mine="x"), enqueue=False)
    assert saved is not None
    (record,) = await store.get_tasks(pid, [0])
    (stored,) = [orjson.loads(c) for c in record.completions]
    assert stored == {"id": saved["id"], "result": [], "created_at": 1_600_000_000, "mine": "x"}


async def test_a_failing_write_does_not_spoil_a_concurrent_one(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a"))
    outcomes: list[Any] = await asyncio.gather(
        store.add_completion(pid, 42, completion(), enqueue=False),
        store.add_completion(pid, 0, {"result": []}, enqueue=False),  # no created_at: raises
        store.add_completion(pid, 0, completion(), enqueue=False),
        return_exceptions=True,
    )
    missing, broken, good = outcomes
    assert missing is None
    assert isinstance(broken, KeyError)
    assert isinstance(good, dict)
    assert await counters(store, pid) == (1, 1, 0, 1)


async def test_update_of_unknown_completion_is_none(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a"))
    assert await store.update_completion(pid, 0, 12345, {"x": 1}, enqueue=False) is None
    assert await store.delete_completion(pid, 0, 12345, enqueue=False) is False


async def test_next_task_keeps_the_lease_of_one_owner(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    assert await store.next_task(pid, "alice", "sequential", 60) == 0
    assert await store.next_task(pid, "alice", "sequential", 60) == 0


async def test_next_task_gives_another_owner_the_next(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    assert await store.next_task(pid, "alice", "sequential", 60) == 0
    assert await store.next_task(pid, "bob", "sequential", 60) == 1
    assert await store.next_task(pid, "carol", "sequential", 60) is None


async def test_lease_next_task_reads_the_leased_task(store: Store, pid: int) -> None:
    """The leased task comes with its data and predictions, as ``get_tasks`` shows it."""
    await store.import_tasks(pid, tasks("a", "b"))
    await store.add_predictions(pid, [(0, {"result": [], "score": 0.5})])
    record = await store.lease_next_task(pid, "alice", "sequential", 60)
    assert record is not None and record.id == 0
    assert record.json_bytes() == (await store.get_tasks(pid, [0]))[0].json_bytes()
    assert len(record.predictions) == 1
    again = await store.lease_next_task(pid, "alice", "sequential", 60)
    assert again is not None and again.id == 0  # the same lease
    other = await store.lease_next_task(pid, "bob", "sequential", 60)
    assert other is not None and other.id == 1
    assert orjson.loads(other.json_bytes())["data"] == {"text": "b"}
    assert await store.lease_next_task(pid, "carol", "sequential", 60) is None


async def test_an_expired_lease_frees_the_task(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a"))
    assert await store.next_task(pid, "alice", "sequential", 0.05) == 0
    assert await store.next_task(pid, "bob", "sequential", 60) is None
    await asyncio.sleep(0.1)
    assert await store.next_task(pid, "bob", "sequential", 60) == 0


async def test_a_released_lease_frees_the_task(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a"))
    await store.next_task(pid, "alice", "sequential", 60)
    assert await store.release_lease(pid, 0, "bob") is False
    assert await store.release_lease(pid, 0, "alice") is True
    assert await store.next_task(pid, "bob", "sequential", 60) == 0


async def test_a_completion_ends_the_lease_and_labeled_tasks_are_skipped(
    store: Store, pid: int
) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    assert await store.next_task(pid, "alice", "sequential", 60) == 0
    await store.add_completion(pid, 0, completion(), enqueue=False)
    assert await store.next_task(pid, "alice", "sequential", 60) == 1


async def test_uniform_returns_only_unlabeled_tasks(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks(*"abcdefghij"))
    for labeled in range(0, 10, 2):
        await store.add_completion(pid, labeled, completion(), enqueue=False)
    seen: set[int] = set()
    for n in range(40):
        task_id = await store.next_task(pid, f"owner-{n}", "uniform", 60)
        if task_id is not None:
            seen.add(task_id)
            await store.release_lease(pid, task_id, None)
    assert seen and seen <= {1, 3, 5, 7, 9}


async def test_prediction_score_min_picks_the_lowest(store: Store, pid: int) -> None:
    scored = [
        NewTask(b'{"text":"a"}', predictions=[{"result": [], "score": s}]) for s in (0.9, 0.1, 0.5)
    ]
    await store.import_tasks(pid, scored)
    assert await store.next_task(pid, "a", "prediction-score-min", 60) == 1
    assert await store.next_task(pid, "b", "prediction-score-max", 60) == 0


async def test_iter_tasks_only_labeled(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks(*"abcde"))
    for task_id in (1, 3):
        await store.add_completion(pid, task_id, completion(), enqueue=False)
    labeled = [r.id async for batch in store.iter_tasks(pid, True, 1) for r in batch]
    everything = [r.id async for batch in store.iter_tasks(pid, False, 2) for r in batch]
    assert (labeled, everything) == ([1, 3], [0, 1, 2, 3, 4])


async def test_page_task_ids_orders(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks(*"abcd"))
    assert await store.page_task_ids(pid, "-id", 1, 2) == [2, 1]


async def test_outbox_enqueue_due_done(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b"))
    await store.add_completion(pid, 1, completion(), enqueue=True)
    due = await store.outbox_due(pid, 10)
    assert [(e.task_id, e.attempts) for e in due] == [(1, 0)]
    await store.outbox_done(pid, due)
    assert await store.outbox_due(pid, 10) == []
    assert (await store.outbox_stats(pid)).backlog == 0


async def test_outbox_done_keeps_an_entry_queued_again(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a"))
    await store.add_completion(pid, 0, completion(), enqueue=True)
    due = await store.outbox_due(pid, 10)
    await store.add_completion(pid, 0, completion(), enqueue=True)  # queued again: a new seq
    await store.outbox_done(pid, due)
    assert [e.task_id for e in await store.outbox_due(pid, 10)] == [0]


async def test_outbox_failed_delays_and_reports(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a"))
    await store.add_completion(pid, 0, completion(), enqueue=True)
    await store.outbox_failed(pid, [0], "disk full", retry_in=60)
    assert await store.outbox_due(pid, 10) == []
    stats = await store.outbox_stats(pid)
    assert (stats.backlog, stats.failing, stats.last_error) == (1, 1, "disk full")


async def test_enqueue_all_queues_labeled_tasks(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks("a", "b", "c"))
    await store.add_completion(pid, 2, completion(), enqueue=False)
    assert await store.enqueue_all(pid) == 1
    assert [e.task_id for e in await store.outbox_due(pid, 10)] == [2]


async def test_source_items_and_objects_are_remembered(store: Store, pid: int) -> None:
    item = NewTask(b'{"text":"a"}', source_key="a.json#0")
    await store.import_tasks(pid, [item], source="local:/x")
    await store.mark_object(pid, "local:/x", "a.json", "v1")
    assert await store.known_items(pid, "local:/x", ["a.json#0", "a.json#1"]) == {"a.json#0"}
    assert await store.known_objects(pid, "local:/x") == {"a.json": "v1"}


async def test_reopening_keeps_the_data(opener: Opener) -> None:
    first = opener()
    await first.open()
    pid = (await first.ensure_project("u", "t", None)).id
    await first.import_tasks(pid, tasks("a", "b"))
    saved = await first.add_completion(pid, 1, completion(), enqueue=False)
    await first.close()
    second = opener()
    await second.open()
    try:
        assert await counters(second, pid) == (2, 1, 0, 1)
        (record,) = await second.get_tasks(pid, [1])
        assert saved is not None and orjson.loads(record.completions[0])["id"] == saved["id"]
        assert (await second.import_tasks(pid, tasks("c"))).task_ids == [2]
    finally:
        await second.close()


async def _set_version(store: Store, version: int) -> None:
    if isinstance(store, SQLiteStore):
        conn = sqlite3.connect(store.path)
        with conn:
            conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))
        conn.close()
    else:
        assert isinstance(store, PostgresStore)
        pg = await asyncpg.connect(store.url)
        await pg.execute("UPDATE meta SET value=$1 WHERE key='schema_version'", str(version))
        await pg.close()


async def test_a_newer_schema_is_refused(opener: Opener) -> None:
    s = opener()
    await s.open()
    await s.close()
    await _set_version(s, SCHEMA_VERSION + 5)
    with pytest.raises(SchemaTooNew, match="upgrade lsplug"):
        await opener().open()


async def test_two_stores_on_one_database_never_lease_a_task_twice(
    store: Store, pid: int, opener: Opener
) -> None:
    await store.import_tasks(pid, tasks(*(str(n) for n in range(30))))
    other = opener()  # a second process's store on the same database
    await other.open()
    try:
        leased = await asyncio.gather(
            *(s.next_task(pid, f"owner-{n}", "sequential", 60)
              for n, s in enumerate([store, other] * 20))
        )  # fmt: skip
    finally:
        await other.close()
    got = [t for t in leased if t is not None]
    assert sorted(got) == list(range(30)) and leased.count(None) == 10


async def test_concurrent_completions_keep_ids_and_counters(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks(*"abcd"))
    saved = await asyncio.gather(
        *(store.add_completion(pid, n % 4, completion(), enqueue=True) for n in range(40))
    )
    assert len({c["id"] for c in saved if c}) == 40
    assert await counters(store, pid) == (4, 40, 0, 4)


async def test_outbox_entries_are_claimed_by_one_process(
    store: Store, pid: int, opener: Opener
) -> None:
    if not isinstance(store, PostgresStore):
        pytest.skip("one SQLite process owns its file; claims matter on PostgreSQL")
    await store.import_tasks(pid, tasks("a", "b"))
    await store.add_completion(pid, 0, completion(), enqueue=True)
    other = opener()
    await other.open()
    try:
        assert [e.task_id for e in await store.outbox_due(pid, 10)] == [0]
        assert await other.outbox_due(pid, 10) == []  # claimed by the first
        await store.outbox_failed(pid, [0], "down", retry_in=0)  # released
        assert [e.task_id for e in await other.outbox_due(pid, 10)] == [0]
    finally:
        await other.close()


async def test_iter_task_json_is_the_tasks_json(store: Store, pid: int) -> None:
    await store.import_tasks(pid, tasks(*"abc"))
    await store.add_completion(pid, 1, completion(), enqueue=False)
    records = [r async for batch in store.iter_tasks(pid, False, 2) for r in batch]
    blobs = [b async for b in store.iter_task_json(pid, False, 2)]  # type: ignore[attr-defined]
    assert orjson.loads(b"[" + b",".join(blobs) + b"]") == [r.as_dict() for r in records]


async def test_an_exclusive_lock_passes_on_when_its_holder_dies(store: Store) -> None:
    if not isinstance(store, PostgresStore):
        pytest.skip("jobs of several processes: PostgreSQL only")
    async with store.exclusive("sync:1") as first, store.exclusive("sync:1") as second:
        assert (first, second) == (True, False)
    holder = await asyncpg.connect(store.url)  # another process, holding the lock
    assert await holder.fetchval("SELECT pg_try_advisory_lock(hashtextextended('sync:1', 0))")
    async with store.exclusive("sync:1") as taken:
        assert not taken
    holder.terminate()  # that process dies: its connection ends
    for _ in range(50):
        async with store.exclusive("sync:1") as taken:
            if taken:
                break
        await asyncio.sleep(0.02)
    assert taken
