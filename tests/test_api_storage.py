"""`/api/project/storage-settings`: the forms, switching the target and the source, the sink."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
async def client(make_client, tmp_path):
    """A NER project whose local storages may be switched to folders under ``tmp_path``
    (its ``local_files_roots``)."""
    return await make_client(local_files_roots=[str(tmp_path)])


@pytest.fixture
async def sink_client(make_client, output_dir, tmp_path):
    """:func:`client` with the seed's ``output_dir``."""
    return await make_client(output_dir=str(output_dir), local_files_roots=[str(tmp_path)])


def sink_file(folder: Path, task_id: int) -> Path:
    return folder / f"{task_id}.json"


async def test_storage_settings_list_the_local_source_and_target_forms(client):
    body = await (await client.get("/api/project/storage-settings")).json()
    for role in ("source", "target"):
        local = body[role]["local"]
        assert "description" in local
        assert [f["name"] for f in local["fields"]] == ["path"]
        assert {"name", "type", "default", "description", "required", "secret"} <= set(
            local["fields"][0]
        )


async def test_a_seed_style_output_dir_receives_each_labeled_task(
    sink_client, output_dir, add_tasks, complete, poll
):
    await add_tasks(sink_client, 2)
    await complete(sink_client, 1)

    async def written() -> bool:
        return sink_file(output_dir, 1).exists()

    assert await poll(written)
    assert not sink_file(output_dir, 0).exists()


async def test_the_sink_document_has_the_seeds_keys(
    sink_client, output_dir, add_tasks, complete, poll
):
    await add_tasks(sink_client, 1)
    await complete(sink_client, 0)

    async def written() -> bool:
        return sink_file(output_dir, 0).exists()

    assert await poll(written)
    doc = json.loads(sink_file(output_dir, 0).read_text())
    assert set(doc) == {"id", "data", "completions", "predictions", "completed_at", "meta", "task"}
    assert (doc["id"], doc["task"]) == (0, doc["data"])
    assert doc["completions"][0]["result"][0]["value"]["labels"] == ["PER"]


async def test_deleting_the_completions_removes_the_sink_file(
    sink_client, output_dir, add_tasks, complete, poll
):
    await add_tasks(sink_client, 1)
    await complete(sink_client, 0)

    async def written() -> bool:
        return sink_file(output_dir, 0).exists()

    assert await poll(written)
    await sink_client.delete("/api/tasks/0/completions")

    async def removed() -> bool:
        return not sink_file(output_dir, 0).exists()

    assert await poll(removed)


async def test_switching_the_target_to_a_folder_is_201_and_completions_land_there(
    client, tmp_path, add_tasks, complete, poll
):
    target = tmp_path / "labels"
    resp = await client.post(
        "/api/project/storage-settings?storage_for=target",
        json={"type": "local", "path": str(target)},
    )
    assert resp.status == 201
    assert (await resp.json())["result"] == "ok"
    await add_tasks(client, 1)
    await complete(client, 0)

    async def written() -> bool:
        return sink_file(target, 0).exists()

    assert await poll(written)


async def test_a_target_under_a_regular_file_is_400_and_the_target_is_unchanged(
    sink_client, tmp_path, output_dir
):
    (tmp_path / "a-file").write_text("not a folder")
    resp = await sink_client.post(
        "/api/project/storage-settings?storage_for=target",
        json={"type": "local", "path": str(tmp_path / "a-file" / "labels")},
    )
    assert resp.status == 400
    assert (await resp.json())["errors"]["path"]
    project = await (await sink_client.get("/api/project")).json()
    assert project["target_storage"]["path"] == str(output_dir)


async def test_a_storage_without_a_type_is_400(client):
    resp = await client.post("/api/project/storage-settings?storage_for=target", json={})
    assert resp.status == 400
    assert (await resp.json())["errors"]["type"]


async def test_an_unknown_storage_type_is_400_naming_the_known_types(client):
    resp = await client.post(
        "/api/project/storage-settings?storage_for=target", json={"type": "ftp", "path": "x"}
    )
    assert resp.status == 400
    assert "local" in " ".join((await resp.json())["errors"]["type"])


async def test_a_missing_required_field_is_400_naming_it(client):
    resp = await client.post(
        "/api/project/storage-settings?storage_for=target", json={"type": "local"}
    )
    assert resp.status == 400
    assert (await resp.json())["errors"]["path"]


async def test_a_bad_storage_for_is_400(client):
    resp = await client.post(
        "/api/project/storage-settings?storage_for=both", json={"type": "local", "path": "x"}
    )
    assert resp.status == 400
    assert "storage_for" in (await resp.json())["detail"]


def write_source(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps([{"text": "one"}, {"text": "two"}]))
    (folder / "b.json").write_text(json.dumps({"text": "three"}))
    return folder


async def sync_done(client) -> bool:
    jobs = await (await client.get("/api/jobs?kind=sync")).json()
    return bool(jobs) and all(j["status"] != "running" for j in jobs)


async def switch_source(client, folder: Path, poll) -> None:
    resp = await client.post(
        "/api/project/storage-settings?storage_for=source",
        json={"type": "local", "path": str(folder)},
    )
    assert resp.status == 201, await resp.text()

    async def done() -> bool:
        return await sync_done(client)

    assert await poll(done)


async def test_a_source_folder_of_json_files_imports_its_tasks(client, tmp_path, poll):
    await switch_source(client, write_source(tmp_path / "tasks"), poll)
    tasks = await (await client.get("/api/tasks")).json()
    assert sorted(t["data"]["text"] for t in tasks) == ["one", "three", "two"]


async def test_syncing_the_same_source_again_imports_nothing_new(client, tmp_path, poll):
    folder = write_source(tmp_path / "tasks")
    await switch_source(client, folder, poll)
    await switch_source(client, folder, poll)
    jobs = await (await client.get("/api/jobs?kind=sync")).json()
    assert len(jobs) == 2
    assert all(j["status"] == "done" for j in jobs)
    assert (await (await client.get("/api/project")).json())["task_count"] == 3
