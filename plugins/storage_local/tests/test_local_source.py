"""The ``local`` task source: listing a file or folder and reading its tasks."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from lsplug_storage_local import LocalSource

from lsplug.hooks import SourceItem, SourceObject, StorageContext, StorageError, TaskSource


def write(path: Path, content: str | bytes) -> Path:
    """Write a file, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def write_json(path: Path, value: Any) -> Path:
    """Write a JSON file, creating its folders."""
    return write(path, orjson.dumps(value))


async def listing(source: LocalSource) -> list[SourceObject]:
    """Every object the source lists."""
    return [obj async for obj in source.list_objects()]


async def read_all(source: LocalSource) -> list[SourceItem]:
    """Every item of every listed object, in listing order."""
    return [item for obj in await listing(source) async for item in source.read_object(obj)]


async def test_seed_example_merges_files_in_name_order(ctx: StorageContext) -> None:
    write_json(ctx.config_dir / "input/b.json", [{"text": "3"}, {"text": "4"}, {"text": "5"}])
    write_json(ctx.config_dir / "input/a.json", [{"text": "0"}, {"text": "1"}, {"text": "2"}])
    source = LocalSource({"path": "input"}, ctx)

    assert [o.key for o in await listing(source)] == ["a.json", "b.json"]
    assert [item.task for item in await read_all(source)] == [{"text": str(i)} for i in range(6)]


async def test_a_file_path_lists_that_file_by_name(ctx: StorageContext) -> None:
    path = write_json(ctx.config_dir / "input/tasks.json", [{"text": "one"}])
    source = LocalSource({"path": str(path)}, ctx)

    [obj] = await listing(source)
    assert (obj.key, obj.size) == ("tasks.json", path.stat().st_size)
    assert [item.task for item in await read_all(source)] == [{"text": "one"}]


async def test_relative_paths_are_relative_to_the_config_folder(ctx: StorageContext) -> None:
    write_json(ctx.config_dir / "in/x.json", [{"text": "x"}])
    source = LocalSource({"path": "./in/x.json"}, ctx)

    assert source.path == ctx.config_dir / "in/x.json"
    await source.check()


async def test_every_supported_format_is_listed_sorted(ctx: StorageContext) -> None:
    folder = ctx.config_dir / "mixed"
    write(folder / "c.txt", "third\nfourth\n")
    write(folder / "a.jsonl", '{"text": "first"}\n')
    write(folder / "b.csv", "text\nsecond\n")
    write(folder / "d.tsv", "text\nfifth\n")
    write(folder / "e.md", "# not tasks")
    source = LocalSource({"path": str(folder)}, ctx)

    assert [o.key for o in await listing(source)] == ["a.jsonl", "b.csv", "c.txt", "d.tsv"]
    assert len(await read_all(source)) == 5


async def test_nested_folders_are_listed_by_relative_path(ctx: StorageContext) -> None:
    folder = ctx.config_dir / "input"
    for key in ["z.json", "sub/deeper/y.json", "a.json", "sub/x.json"]:
        write_json(folder / key, [{"text": key}])
    source = LocalSource({"path": "input"}, ctx)

    keys = [o.key for o in await listing(source)]
    assert keys == ["a.json", "sub/deeper/y.json", "sub/x.json", "z.json"]
    assert [item.task["text"] for item in await read_all(source)] == keys


async def test_hidden_files_and_folders_are_skipped(ctx: StorageContext) -> None:
    folder = ctx.config_dir / "input"
    write_json(folder / "a.json", [{"text": "a"}])
    write_json(folder / ".hidden.json", [{"text": "hidden"}])
    write_json(folder / ".git/b.json", [{"text": "in a hidden folder"}])
    source = LocalSource({"path": "input"}, ctx)

    assert [o.key for o in await listing(source)] == ["a.json"]


async def test_version_changes_when_the_file_changes(ctx: StorageContext) -> None:
    path = write_json(ctx.config_dir / "a.json", [{"text": "a"}])
    source = LocalSource({"path": "a.json"}, ctx)
    [before] = await listing(source)
    [same] = await listing(source)

    write_json(path, [{"text": "b"}])  # same size: the mtime tells
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    [after] = await listing(source)

    assert same.version == before.version
    assert after.version != before.version


async def test_version_is_mtime_and_size(ctx: StorageContext) -> None:
    path = write_json(ctx.config_dir / "a.json", [{"text": "a"}])
    [obj] = await listing(LocalSource({"path": "a.json"}, ctx))

    assert obj.version == f"{path.stat().st_mtime_ns}-{path.stat().st_size}"


async def test_item_keys_are_index_and_content_digest(ctx: StorageContext) -> None:
    write_json(ctx.config_dir / "a.json", [{"text": "a"}, {"text": "a"}])
    items = await read_all(LocalSource({"path": "a.json"}, ctx))

    assert all(re.fullmatch(r"\d+:[0-9a-f]{16}", item.key) for item in items)
    assert [item.key.split(":")[0] for item in items] == ["0", "1"]
    assert items[0].key.split(":")[1] == items[1].key.split(":")[1]


async def test_item_keys_are_stable_while_items_are_unchanged(ctx: StorageContext) -> None:
    path = write_json(ctx.config_dir / "a.json", [{"text": "a", "n": 1}, {"text": "b"}])
    source = LocalSource({"path": "a.json"}, ctx)
    first = [item.key for item in await read_all(source)]

    write(path, '[{"n": 1, "text": "a"}, {"text": "changed"}]')  # keys reordered, then edited
    second = [item.key for item in await read_all(source)]

    assert second[0] == first[0]
    assert second[1] != first[1]


async def test_bad_json_raises_a_value_error_naming_the_file(ctx: StorageContext) -> None:
    write_json(ctx.config_dir / "input/a.json", [{"text": "fine"}])
    write(ctx.config_dir / "input/broken.json", '[{"text": "oops"')
    source = LocalSource({"path": "input"}, ctx)
    [_, broken] = await listing(source)

    with pytest.raises(ValueError, match=r"broken\.json"):
        [item async for item in source.read_object(broken)]


async def test_check_refuses_a_missing_path(ctx: StorageContext) -> None:
    source = LocalSource({"path": "nowhere"}, ctx)

    with pytest.raises(StorageError) as caught:
        await source.check()
    assert list(caught.value.errors) == ["path"]
    assert "nowhere" in caught.value.errors["path"][0]


async def test_listing_a_missing_path_raises_rather_than_listing_nothing(
    ctx: StorageContext,
) -> None:
    with pytest.raises(StorageError):
        await listing(LocalSource({"path": "nowhere"}, ctx))


async def test_check_accepts_a_folder_and_a_file(ctx: StorageContext) -> None:
    write_json(ctx.config_dir / "input/a.json", [])

    await LocalSource({"path": "input"}, ctx).check()
    await LocalSource({"path": "input/a.json"}, ctx).check()


@pytest.mark.parametrize("settings", [{}, {"path": ""}, {"path": "  "}, {"path": 3}])
def test_a_source_needs_a_path(ctx: StorageContext, settings: dict[str, Any]) -> None:
    with pytest.raises(StorageError) as caught:
        LocalSource(settings, ctx)
    assert list(caught.value.errors) == ["path"]


async def test_an_empty_folder_lists_nothing(ctx: StorageContext) -> None:
    (ctx.config_dir / "empty").mkdir()

    assert await listing(LocalSource({"path": "empty"}, ctx)) == []


async def test_local_files_have_no_urls_to_sign(ctx: StorageContext) -> None:
    source = LocalSource({"path": "."}, ctx)

    assert await source.sign_url("s3://bucket/image.png") is None
    await source.close()


def test_a_local_source_is_a_task_source(ctx: StorageContext) -> None:
    assert isinstance(LocalSource({"path": "."}, ctx), TaskSource)


async def test_disk_work_runs_in_threads(ctx: StorageContext) -> None:
    write_json(ctx.config_dir / "input/a.json", [{"text": "a"}])
    calls: list[str] = []

    async def run_in_thread(fn: Callable[..., Any], *args: Any) -> Any:
        calls.append(fn.__name__)
        return await ctx.run_in_thread(fn, *args)

    source = LocalSource({"path": "input"}, replace(ctx, run_in_thread=run_in_thread))
    await source.check()
    await read_all(source)

    assert calls == ["confined_path", "require_readable", "list_files", "read_items"]
