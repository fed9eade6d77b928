"""`/api/project/export` and `/api/project/export/formats`."""

from __future__ import annotations


async def exported(client, query: str = "") -> list:
    resp = await client.get(f"/api/project/export{query}")
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_the_default_export_is_json_of_the_labeled_tasks(client, add_tasks, complete):
    await add_tasks(client, 3)
    await complete(client, 1)
    tasks = await exported(client)
    assert [t["id"] for t in tasks] == [1]
    assert tasks[0]["completions"][0]["result"][0]["value"]["labels"] == ["PER"]


async def test_only_labeled_0_exports_every_task(client, add_tasks, complete):
    await add_tasks(client, 3)
    await complete(client, 1)
    assert sorted(t["id"] for t in await exported(client, "?only_labeled=0")) == [0, 1, 2]


async def test_json_min_exports_the_data_with_the_labels(client, add_tasks, complete):
    await add_tasks(client, 2)
    await complete(client, 0)
    (item,) = await exported(client, "?format=JSON_MIN")
    assert item["text"] == "Alice met Bob, task 0"
    assert "completions" not in item
    assert "label" in item


async def test_the_export_is_an_attachment(client, add_tasks, complete):
    await add_tasks(client, 1)
    await complete(client, 0)
    resp = await client.get("/api/project/export")
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=")
    assert resp.headers["Content-Disposition"].rstrip('"').endswith(".json")
    assert resp.content_type == "application/json"


async def test_the_export_of_an_empty_project_is_an_empty_list(client):
    assert await exported(client) == []


async def test_an_unknown_format_is_400_listing_the_formats(client):
    resp = await client.get("/api/project/export?format=PARQUET")
    assert resp.status == 400
    body = await resp.json()
    assert "PARQUET" in body["detail"]
    assert {"JSON", "JSON_MIN"} <= set(body["formats"])


async def test_formats_list_json_and_json_min_with_their_descriptions(client):
    resp = await client.get("/api/project/export/formats")
    formats = {f["name"]: f for f in await resp.json()}
    assert {"JSON", "JSON_MIN"} <= set(formats)
    for fmt in formats.values():
        assert set(fmt) >= {"name", "title", "description", "extension"}
    assert formats["JSON"]["extension"] == "json"
