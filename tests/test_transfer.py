"""`lsplug migrate` (SQLite to PostgreSQL) and `lsplug import-ls08`: nothing lost, ids kept."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from pgserver import PgServer

from lsplug.cli import main
from lsplug.service.project import project_uuid
from lsplug.store.base import NewTask, Store
from lsplug.store.postgres import PostgresStore
from lsplug.store.sqlite import SQLiteStore

XML = '<View><Text name="text" value="$text"/><Choices name="c" toName="text"><Choice value="A"/></Choices></View>'  # noqa: E501


def done(created: int = 1_600_000_000) -> dict[str, Any]:
    return {"result": [], "created_at": created}


async def fill_sqlite(path: Path) -> tuple[int, int]:
    """A project with a deleted task and a deleted newest completion; its id, the top id."""
    store = SQLiteStore(path)
    await store.open()
    pid = (await store.ensure_project("uuid-m", "moved", XML)).id
    scored = NewTask(b'{"text":"p"}', predictions=[{"result": [], "score": 0.3}])
    await store.import_tasks(pid, [NewTask(b'{"text":"a"}'), NewTask(b'{"text":"b"}'), scored])
    await store.add_completion(pid, 0, done(), enqueue=True)
    await store.add_completion(pid, 2, done(), enqueue=False)
    top = await store.add_completion(pid, 2, done(), enqueue=False)
    assert top is not None
    await store.delete_completion(pid, 2, top["id"], enqueue=False)
    await store.delete_task(pid, 1)
    await store.close()
    return pid, top["id"]


async def snapshot(store: Store, pid: int) -> tuple[Any, ...]:
    row = await store.get_project(pid)
    ids = await store.page_task_ids(pid, "id", 0, 100)
    records = [r.json_bytes() for r in await store.get_tasks(pid, ids)]
    counters = (row.task_count, row.completion_count, row.prediction_count, row.labeled_count)
    return row.uuid, row.title, row.label_config, counters, ids, records


def test_migrate_moves_a_project_with_its_ids(tmp_path: Path, pg_server: PgServer) -> None:
    path, url = tmp_path / "s.sqlite3", pg_server.new_database()
    pid, top = asyncio.run(fill_sqlite(path))

    async def compare() -> None:
        before_store = SQLiteStore(path)
        await before_store.open()
        before = await snapshot(before_store, pid)
        await before_store.close()
        store = PostgresStore(url)
        await store.open()
        try:
            moved = await store.find_project("uuid-m")
            assert moved is not None
            assert await snapshot(store, moved.id) == before
            assert [e.task_id for e in await store.outbox_due(moved.id, 10)] == [0]
            assert (await store.import_tasks(moved.id, [NewTask(b"{}")])).task_ids == [3]
            later = await store.add_completion(moved.id, 3, done(), enqueue=False)
            assert later is not None and later["id"] > top  # a deleted id is not reused
        finally:
            await store.close()

    assert main(["migrate", "--from", f"sqlite:{path}", "--to", url]) == 0
    asyncio.run(compare())
    assert main(["migrate", "--from", f"sqlite:{path}", "--to", url]) == 2  # already there


def ls08_folder(root: Path) -> Path:
    folder = root / "ls08"
    (folder / "completions").mkdir(parents=True)
    (folder / "config.xml").write_text(XML)
    settings = {"label_config": "config.xml", "input_path": "tasks.json", "port": 8200}
    (folder / "config.json").write_text(json.dumps(settings))
    tasks = {"0": {"id": 0, "data": {"text": "zero"}}, "5": {"id": 5, "data": {"text": "five"}}}
    (folder / "tasks.json").write_text(json.dumps(tasks))
    labeled = {**tasks["5"], "completions": [{"id": 5001, "result": [], "created_at": 1_600_000_000,
                                              "lead_time": 2.5}]}  # fmt: skip
    (folder / "completions" / "5.json").write_text(json.dumps(labeled))
    return folder


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_import_ls08_keeps_ids_and_completions(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    store_url = (
        f"sqlite:{tmp_path / 'state.sqlite3'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_server").new_database()
    )
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"title": "from 0.8", "store": {"url": store_url}}))
    assert main(["import-ls08", str(ls08_folder(tmp_path)), "-c", str(config)]) == 0

    async def check() -> None:
        store: Store = (
            SQLiteStore(tmp_path / "state.sqlite3")
            if backend == "sqlite"
            else PostgresStore(store_url)
        )
        await store.open()
        try:
            row = await store.find_project(project_uuid("default"))
            assert row is not None and row.label_config == XML and row.title == "from 0.8"
            assert (row.task_count, row.completion_count, row.labeled_count) == (2, 1, 1)
            zero, five = await store.get_tasks(row.id, [0, 5])
            assert orjson.loads(zero.data) == {"text": "zero"} and not zero.completions
            (completion,) = [orjson.loads(c) for c in five.completions]
            assert completion["id"] == 5001 and completion["lead_time"] == 2.5
            assert (await store.import_tasks(row.id, [NewTask(b"{}")])).task_ids == [6]
        finally:
            await store.close()

    asyncio.run(check())
