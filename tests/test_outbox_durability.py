"""The sink never misses a change: a change that commits while the outbox worker is writing
the task's document stays queued until a document holding it is written.

The store-level tests put one change in the failing order, on both back-ends: queued after
the worker read its entries, committed after it read the tasks. The whole-process tests
drive bursts of completions on a few tasks and compare every output file with the store.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest
from pgserver import PgServer
from procs import CHOICES_CONFIG, CHOICES_RESULT, Server, wait_for

from lsplug.config import Config
from lsplug.plugins import load_plugins
from lsplug.records import TaskRecord
from lsplug.service.outbox import drain_once, sink_document
from lsplug.service.project import Project
from lsplug.service.storage import storage_context
from lsplug.store import NewTask, OutboxEntry, Store
from lsplug.store.postgres import PostgresStore
from lsplug.store.sqlite import SQLiteStore

Change = Callable[[], Awaitable[Any]]


def completion(lead_time: float) -> dict[str, Any]:
    return {"result": [], "created_at": 1_600_000_000, "lead_time": lead_time}


class Paused:
    """A change of the store held open after its outbox write, until :meth:`commit`."""

    async def start(self, change: Change) -> None:
        """Run ``change`` up to its outbox entry; it stays uncommitted."""

    async def commit(self) -> None:
        """Let the change commit, and wait until it did."""


class SQLitePaused(Paused):
    """SQLite: the change and a write that blocks share the writer's next transaction."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.release = threading.Event()
        self.pending: list[asyncio.Future[Any]] = []

    async def start(self, change: Change) -> None:
        busy, go_on, held = threading.Event(), threading.Event(), threading.Event()
        gate = asyncio.ensure_future(self.store._write(lambda _: (busy.set(), go_on.wait())))
        await asyncio.to_thread(busy.wait)  # the writer is busy: what follows is one batch
        self.pending.append(asyncio.ensure_future(change()))
        await asyncio.sleep(0.05)  # the change's write is queued
        self.pending.append(
            asyncio.ensure_future(self.store._write(lambda _: (held.set(), self.release.wait())))
        )
        go_on.set()
        await gate
        await asyncio.to_thread(held.wait)  # the change ran; its transaction is open

    async def commit(self) -> None:
        self.release.set()
        await asyncio.gather(*self.pending)


class PostgresPaused(Paused):
    """PostgreSQL: the change waits on a lock of its outbox row that this test holds."""

    def __init__(self, store: PostgresStore, project_id: int, task_id: int) -> None:
        self.store, self.project_id, self.task_id = store, project_id, task_id
        self.conn: asyncpg.Connection | None = None
        self.pending: asyncio.Future[Any] | None = None

    async def start(self, change: Change) -> None:
        self.conn = conn = await asyncpg.connect(self.store.url)
        await conn.execute("BEGIN")
        await conn.execute(
            "SELECT 1 FROM outbox WHERE project_id=$1 AND task_id=$2 FOR UPDATE",
            self.project_id,
            self.task_id,
        )
        self.pending = asyncio.ensure_future(change())
        for _ in range(500):  # until the change waits for the row
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type='Lock' "
                "AND datname=current_database()"
            )
            if waiting:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the change never reached its outbox row")

    async def commit(self) -> None:
        assert self.conn is not None and self.pending is not None
        await self.conn.execute("COMMIT")
        await self.pending
        await self.conn.close()


class Interleaved:
    """A real store, except that one change runs between the worker's two reads: after it
    read the due entries and before it read the tasks, committing after that read."""

    def __init__(self, store: Store, paused: Paused, change: Change) -> None:
        self.store, self.paused, self.change = store, paused, change
        self.started = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def outbox_due(self, project_id: int, limit: int) -> list[OutboxEntry]:
        due = await self.store.outbox_due(project_id, limit)
        if due and not self.started:
            self.started = True
            await self.paused.start(self.change)
        return due

    async def get_tasks(self, project_id: int, ids: list[int]) -> list[TaskRecord]:
        records = await self.store.get_tasks(project_id, ids)
        if self.started:
            await self.paused.commit()
            self.paused = Paused()  # once
        return records


async def project_on(store: Any, pid: int, folder: Path) -> Project:
    """A project on ``store`` writing ``folder/output/<id>.json`` through the local sink."""
    plugins = load_plugins()
    project = Project(Config(config_dir=folder), store, plugins, await store.get_project(pid))
    sink_type = plugins.sinks.get("local")
    assert sink_type is not None
    project.storages.sink = sink_type.create(
        {"type": "local", "path": "output"}, storage_context(project)
    )
    return project


def paused_for(store: Store, pid: int, task_id: int) -> Paused:
    if isinstance(store, PostgresStore):
        return PostgresPaused(store, pid, task_id)
    assert isinstance(store, SQLiteStore)
    return SQLitePaused(store)


async def sink_matches_store(store: Store, pid: int, folder: Path, task_id: int) -> None:
    """The output file is the store's document of the task (absent without completions)."""
    (record,) = await store.get_tasks(pid, [task_id])
    path = folder / "output" / f"{task_id}.json"
    if not record.completions:
        assert not path.exists(), path.read_text()
    else:
        assert path.exists()
        assert orjson.loads(path.read_bytes()) == orjson.loads(sink_document(record))


CHANGES: dict[str, Callable[[Store, int, int], Awaitable[Any]]] = {
    "a second completion": lambda s, p, c: s.add_completion(p, 0, completion(2.0), True),
    "an updated completion": lambda s, p, c: s.update_completion(p, 0, c, {"lead_time": 3.0}, True),
    "the last completion deleted": lambda s, p, c: s.delete_completion(p, 0, c, True),
}


@pytest.mark.parametrize("kind", list(CHANGES))
async def test_a_change_committed_during_a_sink_write_is_written_after_it(
    store: Store, pid: int, tmp_path: Path, kind: str
) -> None:
    await store.import_tasks(pid, [NewTask(data=b'{"text":"a"}')])
    first = await store.add_completion(pid, 0, completion(1.0), enqueue=True)
    assert first is not None
    change = CHANGES[kind]
    interleaved = Interleaved(
        store, paused_for(store, pid, 0), lambda: change(store, pid, first["id"])
    )
    project = await project_on(interleaved, pid, tmp_path)

    await drain_once(project)  # wrote the task as it was before the change
    await drain_once(project)  # the change is still queued: written now

    await sink_matches_store(store, pid, tmp_path, 0)
    assert (await store.outbox_stats(pid)).backlog == 0


async def test_an_entry_written_is_dropped_and_one_changed_meanwhile_kept(
    store: Store, pid: int
) -> None:
    await store.import_tasks(pid, [NewTask(data=b'{"text":"a"}'), NewTask(data=b'{"text":"b"}')])
    for task_id in (0, 1):
        await store.add_completion(pid, task_id, completion(1.0), enqueue=True)
    due = await store.outbox_due(pid, 10)
    await store.add_completion(pid, 1, completion(2.0), enqueue=True)  # queued again

    await store.outbox_done(pid, due)

    assert [e.task_id for e in await store.outbox_due(pid, 10)] == [1]


SQLITE_V4_OUTBOX = """
CREATE TABLE outbox_v4 (project_id INTEGER NOT NULL, task_id INTEGER NOT NULL,
    queued_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0, last_error TEXT, PRIMARY KEY (project_id, task_id));
INSERT INTO outbox_v4 SELECT project_id, task_id, queued_at, attempts, next_try, last_error
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (project_id, next_try);
UPDATE meta SET value='4' WHERE key='schema_version';
"""


async def as_before_change_numbers(store: Store) -> None:
    """Turn the closed store's database back into the schema before ``seq`` (the outbox as
    SQLite's version 4 and PostgreSQL's version 3 had it, with its entries)."""
    if isinstance(store, SQLiteStore):
        conn = sqlite3.connect(store.path)
        conn.executescript("BEGIN;" + SQLITE_V4_OUTBOX + "COMMIT;")
        conn.close()
        return
    assert isinstance(store, PostgresStore)
    conn = await asyncpg.connect(store.url)
    await conn.execute(
        "ALTER TABLE outbox DROP COLUMN seq; UPDATE meta SET value='3' WHERE key='schema_version'"
    )
    await conn.close()


async def test_entries_queued_before_the_upgrade_are_kept_and_can_be_done(
    opener: Callable[[], Store],
) -> None:
    old = opener()
    await old.open()
    pid = (await old.ensure_project("u", "t", None)).id
    await old.import_tasks(pid, [NewTask(data=b'{"text":"a"}'), NewTask(data=b'{"text":"b"}')])
    for task_id in (0, 1):
        await old.add_completion(pid, task_id, completion(1.0), enqueue=True)
    await old.close()
    await as_before_change_numbers(old)
    store = opener()
    await store.open()
    try:
        due = await store.outbox_due(pid, 10)
        assert sorted(e.task_id for e in due) == [0, 1]
        assert len({e.seq for e in due}) == 2
        await store.add_completion(pid, 1, completion(2.0), enqueue=True)
        await store.outbox_done(pid, due)
        assert [e.task_id for e in await store.outbox_due(pid, 10)] == [1]
    finally:
        await store.close()


# --- whole processes: bursts of completions on a few tasks ----------------------------------

BURST_TASKS, CLIENTS = 4, 12
ROUNDS = int(os.environ.get("LSPLUG_TEST_BURSTS", "25"))


class Burst:
    """What the clients were told: completions acknowledged, then deleted (204)."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.acked: dict[int, int] = {}  # completion id -> task id
        self.deleted: set[int] = set()


async def _client(session: aiohttp.ClientSession, burst: Burst, n: int) -> None:
    """A few completions on random tasks of the few, now and then deleting one it made."""
    base = burst.bases[n % len(burst.bases)]
    mine: list[int] = []
    for _ in range(3):
        task_id = random.randrange(BURST_TASKS)
        url = f"{base}/api/tasks/{task_id}/completions"
        async with session.post(url, json={"result": CHOICES_RESULT}) as resp:
            assert resp.status == 201, await resp.text()
            mine.append((await resp.json())["id"])
            burst.acked[mine[-1]] = task_id
    if random.random() < 0.3:
        victim = random.choice(mine)
        url = f"{base}/api/tasks/{burst.acked[victim]}/completions/{victim}"
        async with session.delete(url) as resp:
            assert resp.status == 204, await resp.text()
            burst.deleted.add(victim)


async def bursts(bases: list[str]) -> Burst:
    """ROUNDS bursts of CLIENTS concurrent clients, a random pause between them."""
    burst = Burst(bases)
    async with aiohttp.ClientSession() as session:
        for _ in range(ROUNDS):
            await asyncio.gather(*(_client(session, burst, n) for n in range(CLIENTS)))
            await asyncio.sleep(random.uniform(0, 0.05))
    return burst


def backlog_empty(server: Server) -> bool:
    status, body = server.call("GET", "/api/project/storage-settings")
    return status == 200 and body["sink_backlog"]["backlog"] == 0


def assert_sink_is_the_store(server: Server, burst: Burst, output: Path) -> None:
    """Every file holds exactly its task's stored completions; every acknowledged one that
    was not deleted is in the store."""
    wait_for(lambda: backlog_empty(server), timeout=60, what="the sink backlog to drain")
    stored: dict[int, int] = {}
    for task_id in range(BURST_TASKS):
        status, task = server.call("GET", f"/api/tasks/{task_id}")
        assert status == 200
        stored.update((c["id"], task_id) for c in task["completions"])
        path = output / f"{task_id}.json"
        if not task["completions"]:
            assert not path.exists()
            continue
        written = orjson.loads(path.read_bytes())
        assert [c["id"] for c in written["completions"]] == [c["id"] for c in task["completions"]]
        assert written["completions"] == task["completions"]
    kept = {c: t for c, t in burst.acked.items() if c not in burst.deleted}
    assert stored == kept


def burst_config(folder: Path, store: dict[str, Any] | None = None) -> Path:
    config = folder / "config.yaml"
    doc: dict[str, Any] = {"label_config": CHOICES_CONFIG, "output_dir": "output"}
    config.write_text(json.dumps(doc | ({"store": store} if store else {})))
    return config


@pytest.mark.slow
def test_bursts_on_a_few_tasks_leave_every_file_as_the_store(tmp_path: Path) -> None:
    server = Server(burst_config(tmp_path)).start()
    try:
        tasks = [{"text": str(n)} for n in range(BURST_TASKS)]
        assert server.call("POST", "/api/project/import", tasks)[0] == 201
        burst = asyncio.run(bursts([server.base]))
        assert_sink_is_the_store(server, burst, tmp_path / "output")
    finally:
        server.stop()


@pytest.mark.slow
def test_bursts_through_two_processes_on_postgres_leave_every_file_as_the_store(
    tmp_path: Path, pg_server: PgServer
) -> None:
    config = burst_config(tmp_path, {"url": pg_server.new_database()})
    servers = [Server(config).start(), Server(config).start()]
    try:
        tasks = [{"text": str(n)} for n in range(BURST_TASKS)]
        assert servers[0].call("POST", "/api/project/import", tasks)[0] == 201
        burst = asyncio.run(bursts([s.base for s in servers]))
        for server in servers:
            assert_sink_is_the_store(server, burst, tmp_path / "output")
    finally:
        for server in servers:
            server.stop()
