"""`/api/tasks/<id>/completions` and `/api/completions`."""

from __future__ import annotations

import re
import time


async def task(client, task_id: int) -> dict:
    resp = await client.get(f"/api/tasks/{task_id}")
    assert resp.status == 200
    return await resp.json()


async def test_posting_a_completion_is_201_with_its_id(client, add_tasks, ner_result):
    await add_tasks(client, 1)
    resp = await client.post("/api/tasks/0/completions", json={"result": ner_result})
    assert resp.status == 201
    body = await resp.json()
    assert isinstance(body["id"], int)
    assert [c["id"] for c in (await task(client, 0))["completions"]] == [body["id"]]


async def test_completion_ids_are_unique_across_tasks(client, add_tasks, complete):
    await add_tasks(client, 2)
    assert await complete(client, 0) != await complete(client, 1)


async def test_a_completion_of_an_unknown_task_is_404(client, ner_result):
    resp = await client.post("/api/tasks/9/completions", json={"result": ner_result})
    assert resp.status == 404


async def test_a_completion_with_a_result_that_is_not_a_list_is_400(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.post("/api/tasks/0/completions", json={"result": "PER"})
    assert resp.status == 400
    assert "result" in (await resp.json())["detail"]


async def test_was_cancelled_query_records_a_skip(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.post("/api/tasks/0/completions?was_cancelled=1", json={"result": []})
    assert resp.status == 201
    assert (await task(client, 0))["completions"][0]["was_cancelled"] is True


async def test_was_cancelled_in_the_body_records_a_skip(client, add_tasks):
    await add_tasks(client, 1)
    await client.post("/api/tasks/0/completions", json={"result": [], "was_cancelled": True})
    assert (await task(client, 0))["completions"][0]["was_cancelled"] is True


async def test_extra_keys_of_a_completion_are_kept(client, add_tasks, complete):
    await add_tasks(client, 1)
    await complete(client, 0, lead_time=4.5, reviewer={"name": "ann"})
    completion = (await task(client, 0))["completions"][0]
    assert (completion["lead_time"], completion["reviewer"]) == (4.5, {"name": "ann"})


async def test_created_at_is_integer_epoch_seconds(client, add_tasks, complete):
    await add_tasks(client, 1)
    await complete(client, 0)
    created = (await task(client, 0))["completions"][0]["created_at"]
    assert isinstance(created, int)
    assert abs(created - time.time()) < 60


async def test_completed_at_is_the_newest_completion_in_utc(client, add_tasks, complete):
    await add_tasks(client, 1)
    await complete(client, 0, created_at=1590712275)
    completed_at = (await task(client, 0))["completed_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", completed_at)
    assert completed_at == "2020-05-29 00:31:15"


async def test_get_lists_a_tasks_completions(client, add_tasks, complete):
    await add_tasks(client, 1)
    ids = [await complete(client, 0), await complete(client, 0)]
    resp = await client.get("/api/tasks/0/completions")
    assert [c["id"] for c in await resp.json()] == ids


async def test_patch_merges_into_a_completion(client, add_tasks, complete, ner_result):
    await add_tasks(client, 1)
    cid = await complete(client, 0, lead_time=1.0)
    resp = await client.patch(f"/api/tasks/0/completions/{cid}", json={"lead_time": 2.0})
    assert resp.status == 200
    body = await resp.json()
    assert (body["lead_time"], body["result"]) == (2.0, ner_result)


async def test_patching_an_unknown_completion_is_404(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.patch("/api/tasks/0/completions/12345", json={"lead_time": 2.0})
    assert resp.status == 404
    assert "12345" in (await resp.json())["detail"]


async def test_patching_with_a_bad_result_is_400(client, add_tasks, complete):
    await add_tasks(client, 1)
    cid = await complete(client, 0)
    resp = await client.patch(f"/api/tasks/0/completions/{cid}", json={"result": {"a": 1}})
    assert resp.status == 400


async def test_delete_one_completion(client, add_tasks, complete):
    await add_tasks(client, 1)
    first, second = await complete(client, 0), await complete(client, 0)
    assert (await client.delete(f"/api/tasks/0/completions/{first}")).status == 204
    assert [c["id"] for c in (await task(client, 0))["completions"]] == [second]


async def test_deleting_an_unknown_completion_is_404(client, add_tasks):
    await add_tasks(client, 1)
    assert (await client.delete("/api/tasks/0/completions/77")).status == 404


async def test_delete_all_completions_of_a_task(client, add_tasks, complete):
    await add_tasks(client, 2)
    await complete(client, 0)
    await complete(client, 0)
    await complete(client, 1)
    assert (await client.delete("/api/tasks/0/completions")).status == 204
    assert (await task(client, 0))["completions"] == []
    assert len((await task(client, 1))["completions"]) == 1


async def test_labeled_task_ids(client, add_tasks, complete):
    await add_tasks(client, 4)
    await complete(client, 3)
    await complete(client, 1)
    body = await (await client.get("/api/completions")).json()
    assert sorted(body["ids"]) == [1, 3]


async def test_labeled_task_ids_of_an_unlabeled_project_are_empty(client, add_tasks):
    await add_tasks(client, 2)
    assert await (await client.get("/api/completions")).json() == {"ids": []}


async def test_delete_all_completions_of_the_project(client, add_tasks, complete):
    await add_tasks(client, 2)
    await complete(client, 0)
    await complete(client, 1)
    assert (await client.delete("/api/completions")).status == 204
    project = await (await client.get("/api/project")).json()
    assert (project["task_count"], project["completion_count"]) == (2, 0)


async def test_a_created_at_beyond_any_date_is_400_not_a_500(client, add_tasks):
    await add_tasks(client, 1)
    resp = await client.post("/api/tasks/0/completions", json={"result": [], "created_at": 1e30})
    assert resp.status == 400
    assert "created_at" in (await resp.json())["detail"]


async def test_patching_created_at_beyond_64_bits_is_400(client, add_tasks, complete):
    await add_tasks(client, 1)
    cid = await complete(client, 0)
    resp = await client.patch(
        f"/api/tasks/0/completions/{cid}", json={"created_at": 18446744073709551615}
    )
    assert resp.status == 400
    assert "created_at" in (await resp.json())["detail"]
