"""The SQLite store's export reads: JSON batches equal to the records' JSON, read ahead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from lsplug.export.tasks import TaskStream
from lsplug.store import NewTask
from lsplug.store.sqlite import SQLiteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "store.sqlite3")
    await s.open()
    yield s
    await s.close()


async def project(store: SQLiteStore) -> int:
    """A project of 7 tasks: plain, unicode, with meta, completions, predictions, ``{}``."""
    pid = (await store.ensure_project("u", "t", None)).id
    done = {"result": [{"value": {"text": "é"}}], "created_at": 1_600_000_000}
    skipped = {"result": [], "created_at": 1}
    await store.import_tasks(pid, [
        NewTask(data=orjson.dumps({"text": "plain"})),
        NewTask(data=orjson.dumps({"text": "Zoë 東京"}), meta=b'{"source": "x"}'),
        NewTask(data=orjson.dumps({"text": "labeled"}), completions=[done, skipped]),
        NewTask(data=orjson.dumps({"text": "predicted"}), predictions=[{"result": [], "score": 1}]),
        NewTask(data=b"{}"),
        NewTask(data=orjson.dumps({"text": "both"}), completions=[done], predictions=[{}]),
        NewTask(data=orjson.dumps({"text": "last"}), meta=b""),
    ])  # fmt: skip
    return pid


async def records_json(store: SQLiteStore, pid: int, only_labeled: bool) -> bytes:
    """What the records' own ``json_bytes()`` give, joined as one list."""
    parts = [r.json_bytes() async for b in store.iter_tasks(pid, only_labeled) for r in b]
    return b"[" + b",".join(parts) + b"]"


@pytest.mark.parametrize("only_labeled", [False, True])
@pytest.mark.parametrize("batch_size", [1, 2, 5000])
async def test_json_batches_equal_the_records_json(
    store: SQLiteStore, only_labeled: bool, batch_size: int
) -> None:
    pid = await project(store)
    batches = [b async for b in store.iter_task_json(pid, only_labeled, batch_size)]
    assert b"[" + b",".join(batches) + b"]" == await records_json(store, pid, only_labeled)
    assert orjson.loads(b"[" + b",".join(batches) + b"]")


async def test_json_batches_of_an_empty_project_are_none(store: SQLiteStore) -> None:
    pid = (await store.ensure_project("u", "t", None)).id
    assert [b async for b in store.iter_task_json(pid, False)] == []


async def test_iter_tasks_reads_every_batch_in_order(store: SQLiteStore) -> None:
    pid = await project(store)
    ids = [[r.id for r in batch] async for batch in store.iter_tasks(pid, False, 3)]
    assert ids == [[0, 1, 2], [3, 4, 5], [6]]


async def test_an_export_that_stops_early_leaves_the_store_usable(store: SQLiteStore) -> None:
    pid = await project(store)
    async for _ in store.iter_task_json(pid, False, 1):
        break
    assert len(await store.get_tasks(pid, [0, 6])) == 2


class RecordsOnly:
    """A store without its own JSON reads (as a plugin's store may be)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    def iter_tasks(self, project_id: int, only_labeled: bool) -> Any:
        return self.store.iter_tasks(project_id, only_labeled)


async def test_task_stream_joins_records_for_a_store_without_json_reads(
    store: SQLiteStore,
) -> None:
    pid = await project(store)
    stream = TaskStream(RecordsOnly(store), pid, False)  # type: ignore[arg-type]
    joined = [b async for b in stream.json_batches()]
    assert b"[" + b",".join(joined) + b"]" == await records_json(store, pid, False)
