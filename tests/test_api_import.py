"""`POST /api/project/import`: JSON bodies, uploaded files, all or nothing."""

from __future__ import annotations

import io
import json

import aiohttp

from lsplug.testing import task_count


async def imported(client, **kwargs) -> dict:
    resp = await client.post("/api/project/import", **kwargs)
    assert resp.status == 201, await resp.text()
    return await resp.json()


def upload(name: str, content: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("FileUpload", io.BytesIO(content.encode()), filename=name)
    return form


async def test_a_json_list_of_flat_items_becomes_tasks(client):
    body = await imported(client, json=[{"text": "a"}, {"text": "b"}])
    assert (body["task_count"], body["new_task_ids"]) == (2, [0, 1])


async def test_a_single_json_object_is_one_task(client):
    body = await imported(client, json={"text": "alone"})
    assert body["task_count"] == 1
    assert (await (await client.get("/api/tasks/0")).json())["data"] == {"text": "alone"}


async def test_the_201_body_has_counts_duration_and_new_ids(client):
    body = await imported(client, json=[{"text": "a"}])
    assert set(body) == {
        "task_count", "completion_count", "prediction_count", "duration", "new_task_ids"
    }  # fmt: skip
    assert isinstance(body["duration"], float)


async def test_wrapped_items_bring_completions_predictions_and_meta(client, ner_result):
    item = {
        "data": {"text": "Alice"},
        "completions": [{"result": ner_result}],
        "predictions": [{"result": ner_result, "score": 0.5}, {"result": []}],
        "meta": {"batch": 1},
    }
    body = await imported(client, json=[item])
    assert (body["completion_count"], body["prediction_count"]) == (1, 2)
    task = await (await client.get("/api/tasks/0")).json()
    assert (task["data"], task["meta"]) == ({"text": "Alice"}, {"batch": 1})


async def test_flat_and_wrapped_items_mix_in_one_list(client):
    body = await imported(client, json=[{"text": "flat"}, {"data": {"text": "wrapped"}}])
    assert body["task_count"] == 2
    tasks = await (await client.get("/api/tasks")).json()
    assert [t["data"]["text"] for t in tasks] == ["flat", "wrapped"]


async def test_a_json_file_upload(client):
    body = await imported(client, data=upload("tasks.json", json.dumps([{"text": "a"}] * 3)))
    assert body["task_count"] == 3


async def test_a_jsonl_file_upload(client):
    lines = "\n".join(json.dumps({"text": t}) for t in ("a", "b"))
    body = await imported(client, data=upload("tasks.jsonl", lines))
    assert body["task_count"] == 2


async def test_a_csv_file_upload_reads_the_header_as_keys(client):
    await imported(client, data=upload("tasks.csv", "text,source\nhello,web\nbye,mail\n"))
    task = await (await client.get("/api/tasks/1")).json()
    assert task["data"] == {"text": "bye", "source": "mail"}


async def test_a_tsv_file_upload(client):
    await imported(client, data=upload("tasks.tsv", "text\tsource\nhello, world\tweb\n"))
    task = await (await client.get("/api/tasks/0")).json()
    assert task["data"] == {"text": "hello, world", "source": "web"}


async def test_a_txt_file_upload_is_one_task_per_line_under_the_configs_key(client):
    body = await imported(client, data=upload("tasks.txt", "first line\nsecond line\n"))
    assert body["task_count"] == 2
    assert (await (await client.get("/api/tasks/1")).json())["data"] == {"text": "second line"}


async def test_several_files_in_one_upload(client):
    form = aiohttp.FormData()
    form.add_field("FileUpload", io.BytesIO(b'[{"text": "a"}]'), filename="a.json")
    form.add_field("other", io.BytesIO(b"b\nc\n"), filename="b.txt")
    assert (await imported(client, data=form))["task_count"] == 3


async def test_a_form_encoded_json_body_as_curl_d_sends_it(client):
    body = await imported(
        client,
        data=json.dumps([{"text": "from curl"}]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert body["task_count"] == 1


async def test_invalid_json_is_400_naming_line_and_column(client):
    resp = await client.post(
        "/api/project/import",
        data='[{"text": "a"},\n {"text": }]',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status == 400
    detail = (await resp.json())["detail"]
    assert "line 2" in detail
    assert "column" in detail


async def test_an_item_lacking_the_key_is_400_naming_the_item_and_the_key(client):
    resp = await client.post("/api/project/import", json=[{"text": "ok"}, {"body": "no"}])
    assert resp.status == 400
    body = await resp.json()
    assert any("item 1" in e and "text" in e for e in body["errors"])


async def test_an_invalid_item_imports_nothing(client, add_tasks):
    await add_tasks(client, 2)
    await client.post("/api/project/import", json=[{"text": "ok"}, {"body": "no"}])
    assert await task_count(client) == 2


async def test_an_empty_list_is_400(client):
    resp = await client.post("/api/project/import", json=[])
    assert resp.status == 400


async def test_a_multipart_body_without_files_is_400(client):
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("note", "no file here")
    resp = await client.post("/api/project/import", data=form)
    assert resp.status == 400
    assert "file" in (await resp.json())["detail"]


async def test_a_body_over_the_limit_is_413(make_client):
    client = await make_client(max_body_mb=1)
    big = json.dumps([{"text": "x" * 1000}] * 1200).encode()
    resp = await client.post(
        "/api/project/import",
        data=io.BytesIO(big),
        headers={"Content-Type": "application/json"},
    )
    assert resp.status == 413
    assert "max_body_mb" in (await resp.json())["detail"]
    assert await task_count(client) == 0


async def test_an_upload_over_the_limit_is_413(make_client):
    client = await make_client(max_body_mb=1)
    resp = await client.post(
        "/api/project/import", data=upload("big.txt", ("y" * 99 + "\n") * 12_000)
    )
    assert resp.status == 413
    assert await task_count(client) == 0


async def test_a_large_import_keeps_order_and_ids_across_chunks(client):
    body = await imported(client, json=[{"text": str(i)} for i in range(25_001)])
    assert body["new_task_ids"] == list(range(25_001))
    last = await (await client.get("/api/tasks/25000")).json()
    assert last["data"] == {"text": "25000"}


async def test_a_bad_item_late_in_a_large_import_imports_nothing(client):
    items = [{"text": str(i)} for i in range(25_000)]
    items[21_234] = {"other": 1}
    items[24_999] = 7
    resp = await client.post("/api/project/import", json=items)
    assert resp.status == 400
    body = await resp.json()
    assert body["errors"][0].startswith('item 21234: "text" key is expected')
    assert body["errors"][1].startswith("item 24999: a task must be a JSON object")
    assert await task_count(client) == 0
