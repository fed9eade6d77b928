"""The ``local`` completion sink: one ``<task_id>.json`` per task, written atomically."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from lsplug_storage_local import LocalSink

from lsplug.hooks import CompletionSink, StorageContext, StorageError


async def test_check_creates_the_folder(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output/nested"}, ctx)

    await sink.check()

    assert (ctx.config_dir / "output/nested").is_dir()
    assert os.listdir(ctx.config_dir / "output/nested") == []  # no scratch file left


async def test_check_refuses_a_folder_under_a_regular_file(ctx: StorageContext) -> None:
    (ctx.config_dir / "file.txt").write_text("not a folder")
    sink = LocalSink({"path": "file.txt/output"}, ctx)

    with pytest.raises(StorageError) as caught:
        await sink.check()
    assert list(caught.value.errors) == ["path"]
    assert "file.txt" in caught.value.errors["path"][0]


async def test_check_refuses_a_regular_file(ctx: StorageContext) -> None:
    (ctx.config_dir / "file.txt").write_text("not a folder")

    with pytest.raises(StorageError):
        await LocalSink({"path": "file.txt"}, ctx).check()


async def test_write_task_writes_task_id_json(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)
    await sink.check()

    await sink.write_task(7, b'{"id": 7}')

    assert (ctx.config_dir / "output/7.json").read_bytes() == b'{"id": 7}'


async def test_write_task_replaces_the_older_document(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)
    await sink.write_task(7, b'{"completions": [1, 2, 3]}')

    await sink.write_task(7, b"{}")

    assert (ctx.config_dir / "output/7.json").read_bytes() == b"{}"


async def test_write_task_leaves_no_temp_files(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)
    for task_id in [1, 2, 1]:
        await sink.write_task(task_id, b"{}")

    assert sorted(os.listdir(ctx.config_dir / "output")) == ["1.json", "2.json"]


async def test_a_failed_write_leaves_no_temp_file(ctx: StorageContext) -> None:
    output = ctx.config_dir / "output"
    (output / "3.json").mkdir(parents=True)  # a folder where the file should go
    sink = LocalSink({"path": "output"}, ctx)

    with pytest.raises(OSError):
        await sink.write_task(3, b"{}")
    assert os.listdir(output) == ["3.json"]


async def test_write_task_creates_a_folder_removed_since_check(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)

    await sink.write_task(1, b"{}")

    assert (ctx.config_dir / "output/1.json").exists()


async def test_delete_task_removes_the_document(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)
    await sink.write_task(1, b"{}")
    await sink.write_task(2, b"{}")

    await sink.delete_task(1)

    assert os.listdir(ctx.config_dir / "output") == ["2.json"]


async def test_delete_task_of_an_absent_document_is_no_error(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)
    await sink.check()

    await sink.delete_task(404)
    await sink.close()


def test_an_absolute_path_is_kept(ctx: StorageContext, tmp_path: Path) -> None:
    assert LocalSink({"path": str(tmp_path / "out")}, ctx).path == tmp_path / "out"


def test_a_local_sink_is_a_completion_sink(ctx: StorageContext) -> None:
    assert isinstance(LocalSink({"path": "output"}, ctx), CompletionSink)


def test_a_sink_needs_a_path(ctx: StorageContext) -> None:
    with pytest.raises(StorageError):
        LocalSink({}, ctx)


async def test_concurrent_writes_and_deletes_land_as_one_group(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)
    await sink.write_task(0, b"old")
    writes = [sink.write_task(t, b'{"id": %d}' % t) for t in range(1, 50)]

    await asyncio.gather(sink.delete_task(0), *writes)

    names = sorted(os.listdir(ctx.config_dir / "output"))
    assert names == sorted(f"{t}.json" for t in range(1, 50))  # no temp file, 0 removed
    assert (ctx.config_dir / "output/7.json").read_bytes() == b'{"id": 7}'


async def test_the_last_of_two_writes_of_a_task_in_one_group_wins(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)

    await asyncio.gather(sink.write_task(5, b"first"), sink.write_task(5, b"second"))

    assert (ctx.config_dir / "output/5.json").read_bytes() == b"second"


async def test_a_failed_file_fails_only_its_own_write_in_a_group(ctx: StorageContext) -> None:
    output = ctx.config_dir / "output"
    (output / "3.json").mkdir(parents=True)  # a folder where the file should go
    sink = LocalSink({"path": "output"}, ctx)

    outcomes = await asyncio.gather(
        sink.write_task(2, b"two"), sink.write_task(3, b"{}"), sink.write_task(4, b"four"),
        return_exceptions=True,
    )  # fmt: skip

    assert [type(o) for o in outcomes] == [type(None), IsADirectoryError, type(None)]
    assert sorted(os.listdir(output)) == ["2.json", "3.json", "4.json"]


async def test_a_folder_that_cannot_be_made_fails_the_whole_group(ctx: StorageContext) -> None:
    (ctx.config_dir / "file.txt").write_text("not a folder")
    sink = LocalSink({"path": "file.txt/output"}, ctx)

    outcomes = await asyncio.gather(
        sink.write_task(1, b"{}"), sink.delete_task(2), return_exceptions=True
    )

    assert all(isinstance(o, OSError) for o in outcomes)


async def test_close_waits_for_the_writes_under_way(ctx: StorageContext) -> None:
    sink = LocalSink({"path": "output"}, ctx)
    writing = asyncio.ensure_future(sink.write_task(1, b"{}"))
    await asyncio.sleep(0)

    await sink.close()

    assert writing.done() and (ctx.config_dir / "output/1.json").exists()
