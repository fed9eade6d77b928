"""`/api/tasks` and `/api/tasks/<id>`: listing, paging, ordering, rewriting, deleting."""

from __future__ import annotations

import pytest


async def task_ids(client, query: str = "") -> list[int]:
    resp = await client.get(f"/api/tasks?{query}")
    assert resp.status == 200
    return [t["id"] for t in await resp.json()]


async def test_task_ids_start_at_zero(client, add_tasks):
    assert await add_tasks(client, 3) == [0, 1, 2]


async def test_task_ids_are_never_reused_after_a_delete(client, add_tasks):
    await add_tasks(client, 3)
    assert (await client.delete("/api/tasks/2")).status == 204
    assert await add_tasks(client, 1) == [3]


async def test_task_ids_are_never_reused_after_deleting_all(client, add_tasks):
    await add_tasks(client, 2)
    await client.delete("/api/tasks")
    assert await add_tasks(client, 1) == [2]


async def test_tasks_are_listed_a_page_at_a_time(client, add_tasks):
    await add_tasks(client, 5)
    assert await task_ids(client, "page=2&page_size=2") == [2, 3]


async def test_a_page_past_the_end_is_empty(client, add_tasks):
    await add_tasks(client, 2)
    assert await task_ids(client, "page=5&page_size=10") == []


async def test_tasks_ordered_by_descending_id(client, add_tasks):
    await add_tasks(client, 3)
    assert await task_ids(client, "order=-id") == [2, 1, 0]


async def test_tasks_ordered_by_completed_at_put_the_newest_completion_last(
    client, add_tasks, complete
):
    await add_tasks(client, 2)
    await complete(client, 1, created_at=1_600_000_000)
    await complete(client, 0, created_at=1_700_000_000)
    ids = await task_ids(client, "order=completed_at")
    assert ids.index(1) < ids.index(0)


async def test_tasks_ordered_by_descending_completed_at_put_the_newest_first(
    client, add_tasks, complete
):
    await add_tasks(client, 2)
    await complete(client, 1, created_at=1_600_000_000)
    await complete(client, 0, created_at=1_700_000_000)
    assert (await task_ids(client, "order=-completed_at"))[0] == 0


@pytest.mark.parametrize("query", ["page=0", "page_size=abc", "order=bogus", "page_size=-1"])
async def test_bad_paging_or_order_is_400_naming_the_parameter(client, query):
    resp = await client.get(f"/api/tasks?{query}")
    assert resp.status == 400
    assert query.split("=")[0] in (await resp.json())["detail"]


async def test_trailing_slash_is_accepted(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.get("/api/tasks/")
    assert resp.status == 200
    assert len(await resp.json()) == 1


async def test_a_task_has_data_completions_predictions_completed_at_and_meta(client, add_tasks):
    await add_tasks(client, 1)
    task = await (await client.get("/api/tasks/0")).json()
    assert task["id"] == 0
    assert task["data"] == {"text": "Alice met Bob, task 0"}
    assert {"completions", "predictions", "completed_at", "meta"} <= set(task)


async def test_an_unknown_task_is_404(client):
    resp = await client.get("/api/tasks/99")
    assert resp.status == 404
    assert "99" in (await resp.json())["detail"]


async def test_a_non_integer_task_id_is_an_error_not_a_500(client):
    resp = await client.get("/api/tasks/abc")
    assert resp.status in (400, 404)
    assert "detail" in await resp.json()


async def test_a_wrong_method_is_405_with_a_json_body(client):
    resp = await client.put("/api/tasks")
    assert resp.status == 405
    assert "PUT" in (await resp.json())["detail"]
    assert "GET" in resp.headers["Allow"]


async def test_an_unknown_route_is_404_with_a_json_body(client):
    resp = await client.get("/api/nothing-here")
    assert resp.status == 404
    assert "detail" in await resp.json()


async def test_patch_rewrites_a_tasks_data(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.patch("/api/tasks/0", json={"data": {"text": "Carol"}})
    assert resp.status == 200
    assert (await resp.json())["data"] == {"text": "Carol"}
    assert (await (await client.get("/api/tasks/0")).json())["data"] == {"text": "Carol"}


async def test_post_rewrites_a_tasks_meta(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.post("/api/tasks/0", json={"meta": {"source": "batch 7"}})
    assert resp.status == 200
    assert (await resp.json())["meta"] == {"source": "batch 7"}


async def test_rewriting_completions_replaces_them(client, add_tasks, complete):
    await add_tasks(client, 1)
    await complete(client, 0)
    resp = await client.patch("/api/tasks/0", json={"completions": [{"result": [], "x": 1}]})
    completions = (await resp.json())["completions"]
    assert [c["x"] for c in completions] == [1]


async def test_rewriting_with_data_lacking_the_key_is_400_and_keeps_the_task(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.patch("/api/tasks/0", json={"data": {"body": "no text key"}})
    assert resp.status == 400
    assert "text" in (await resp.json())["detail"]
    assert (await (await client.get("/api/tasks/0")).json())["data"]["text"].startswith("Alice")


async def test_rewriting_with_an_unknown_field_is_400_naming_it(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.patch("/api/tasks/0", json={"colour": "red"})
    assert resp.status == 400
    assert "colour" in (await resp.json())["detail"]


async def test_rewriting_an_unknown_task_is_404(client):
    resp = await client.patch("/api/tasks/5", json={"data": {"text": "x"}})
    assert resp.status == 404


async def test_delete_one_task(client, add_tasks):
    await add_tasks(client, 3)
    assert (await client.delete("/api/tasks/1")).status == 204
    assert await task_ids(client) == [0, 2]


async def test_deleting_an_unknown_task_is_404(client):
    assert (await client.delete("/api/tasks/7")).status == 404


async def test_delete_all_tasks(client, add_tasks, complete):
    await add_tasks(client, 3)
    await complete(client, 0)
    assert (await client.delete("/api/tasks")).status == 204
    body = await (await client.get("/api/project")).json()
    assert (body["task_count"], body["completion_count"]) == (0, 0)


async def test_a_task_id_beyond_64_bits_is_404_not_a_500(client):
    resp = await client.get("/api/tasks/99999999999999999999999")
    assert resp.status == 404


async def test_a_page_too_large_for_the_store_is_400_not_a_500(client):
    resp = await client.get("/api/tasks?page=100000000000000000000000000")
    assert resp.status == 400
    assert "page" in (await resp.json())["detail"]
