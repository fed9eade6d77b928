"""`/api/project`, `/api/project/config`, `/api/validate-config` and `/api/project/next`."""

from __future__ import annotations

from typing import Any

TEXT_CHOICES = (
    '<View><Choices name="sentiment" toName="text"><Choice value="pos"/></Choices>'
    '<Text name="text" value="$text"/></View>'
)
REVIEW_CONFIG = (
    '<View><Choices name="sentiment" toName="review"><Choice value="pos"/></Choices>'
    '<Text name="review" value="$review"/></View>'
)


# --- GET / PATCH /api/project ---------------------------------------------------------------


async def test_project_counts_tasks_completions_and_predictions(client, add_tasks, complete):
    await add_tasks(client, 3)
    await complete(client, 0)
    await client.post("/api/project/import", json={"data": {"text": "x"}, "predictions": [{}]})
    body = await (await client.get("/api/project")).json()
    assert (body["task_count"], body["completion_count"], body["prediction_count"]) == (4, 1, 1)


async def test_project_shows_the_data_types_of_the_label_config(client):
    body = await (await client.get("/api/project")).json()
    assert body["data_types"] == {"text": "Text"}


async def test_project_shows_the_label_config_on_one_line(client, ner_config):
    await client.post("/api/project/config", json={"label_config": "<View>\n  " + ner_config[6:]})
    body = await (await client.get("/api/project")).json()
    assert "\n" not in body["label_config_line"]
    assert body["label_config_line"].startswith("<View> <Labels")


async def test_patch_project_changes_the_title(client):
    resp = await client.patch("/api/project", json={"title": "People"})
    assert resp.status == 200
    assert (await (await client.get("/api/project")).json())["title"] == "People"


async def test_patch_project_changes_sampling_and_lease(client):
    resp = await client.patch("/api/project", json={"sampling": "uniform", "lease_seconds": 30})
    body = await resp.json()
    assert (body["sampling"], body["lease_seconds"]) == ("uniform", 30)


async def test_patch_project_with_an_unknown_key_is_400_naming_it(client):
    resp = await client.patch("/api/project", json={"colour": "blue"})
    assert resp.status == 400
    assert "colour" in (await resp.json())["detail"]


async def test_patch_project_with_a_bad_sampling_is_400_and_changes_nothing(client):
    resp = await client.patch("/api/project", json={"sampling": "random", "title": "T"})
    assert resp.status == 400
    assert "sampling" in (await resp.json())["detail"]
    body = await (await client.get("/api/project")).json()
    assert (body["sampling"], body["title"]) == ("sequential", "lsplug")


# --- POST /api/project/config ----------------------------------------------------------------


async def test_config_saved_from_a_json_body_is_201(client):
    resp = await client.post("/api/project/config", json={"label_config": TEXT_CHOICES})
    assert resp.status == 201
    assert (await (await client.get("/api/project")).json())["label_config"] == TEXT_CHOICES


async def test_config_saved_from_a_form_field(client):
    resp = await client.post("/api/project/config", data={"label_config": TEXT_CHOICES})
    assert resp.status == 201
    assert (await (await client.get("/api/project")).json())["label_config"] == TEXT_CHOICES


async def test_config_saved_from_an_xml_body(client):
    resp = await client.post(
        "/api/project/config", data=REVIEW_CONFIG, headers={"Content-Type": "application/xml"}
    )
    assert resp.status == 201
    assert (await (await client.get("/api/project")).json())["data_types"] == {"review": "Text"}


async def test_malformed_config_is_400_with_the_line(client):
    resp = await client.post("/api/project/config", json={"label_config": "<View>\n<Text"})
    assert resp.status == 400
    errors = (await resp.json())["label_config"]
    assert isinstance(errors, list)
    assert "line" in " ".join(errors).lower()


async def test_config_with_an_unknown_to_name_is_400_naming_it(client):
    xml = '<View><Choices name="c" toName="nowhere"/><Text name="text" value="$text"/></View>'
    resp = await client.post("/api/project/config", json={"label_config": xml})
    assert resp.status == 400
    assert "nowhere" in " ".join((await resp.json())["label_config"])


async def test_config_with_duplicate_names_is_400(client):
    xml = '<View><Text name="a" value="$x"/><Text name="a" value="$y"/></View>'
    resp = await client.post("/api/project/config", json={"label_config": xml})
    assert resp.status == 400
    assert "a" in " ".join((await resp.json())["label_config"])


async def test_invalid_config_saves_nothing(client, ner_config):
    await client.post("/api/project/config", json={"label_config": "<View"})
    assert (await (await client.get("/api/project")).json())["label_config"] == ner_config


async def test_config_reading_a_key_the_tasks_lack_is_refused(client, add_tasks, ner_config):
    await add_tasks(client, 1)
    resp = await client.post("/api/project/config", json={"label_config": REVIEW_CONFIG})
    assert resp.status == 400
    assert "review" in " ".join((await resp.json())["label_config"])
    assert (await (await client.get("/api/project")).json())["label_config"] == ner_config


async def test_config_without_label_config_is_400_in_the_documented_shape(client):
    resp = await client.post("/api/project/config", json={"xml": TEXT_CHOICES})
    assert resp.status == 400
    assert "label_config" in await resp.json()


async def test_validate_config_of_a_good_config_is_204_and_saves_nothing(client, ner_config):
    resp = await client.post("/api/validate-config", json={"label_config": TEXT_CHOICES})
    assert resp.status == 204
    assert (await (await client.get("/api/project")).json())["label_config"] == ner_config


async def test_validate_config_of_a_bad_config_is_400_with_errors(client):
    resp = await client.post("/api/validate-config", json={"label_config": "<View><Text"})
    assert resp.status == 400
    assert (await resp.json())["label_config"]


# --- GET /api/project/next -------------------------------------------------------------------


def who(name: str) -> dict[str, Any]:
    return {"headers": {"X-Lsplug-Client": name}}


async def test_next_gives_tasks_in_id_order(client, add_tasks):
    await add_tasks(client, 3)
    resp = await client.get("/api/project/next", **who("a"))
    assert resp.status == 200
    assert (await resp.json())["id"] == 0


async def test_next_gives_the_same_client_its_leased_task_again(client, add_tasks):
    await add_tasks(client, 3)
    first = await (await client.get("/api/project/next", **who("a"))).json()
    again = await (await client.get("/api/project/next", **who("a"))).json()
    assert again["id"] == first["id"]


async def test_next_gives_a_second_client_a_different_task(client, add_tasks):
    await add_tasks(client, 3)
    a = await (await client.get("/api/project/next", **who("a"))).json()
    b = await (await client.get("/api/project/next", **who("b"))).json()
    assert a["id"] != b["id"]


async def test_next_after_a_completion_is_the_next_task(client, add_tasks, complete):
    await add_tasks(client, 3)
    first = await (await client.get("/api/project/next", **who("a"))).json()
    await complete(client, first["id"])
    after = await (await client.get("/api/project/next", **who("a"))).json()
    assert after["id"] == first["id"] + 1


async def test_release_frees_a_leased_task_for_another_client(client, add_tasks):
    await add_tasks(client, 2)
    a = await (await client.get("/api/project/next", **who("a"))).json()
    resp = await client.post(f"/api/tasks/{a['id']}/release", **who("a"))
    assert resp.status == 204
    b = await (await client.get("/api/project/next", **who("b"))).json()
    assert b["id"] == a["id"]


async def test_next_when_all_tasks_are_labeled_is_404_no_more_tasks(client, add_tasks, complete):
    for task_id in await add_tasks(client, 2):
        await complete(client, task_id)
    resp = await client.get("/api/project/next", **who("a"))
    assert resp.status == 404
    assert await resp.json() == {"detail": "no more tasks"}


async def test_uniform_sampling_gives_an_unlabeled_task(client, add_tasks, complete):
    ids = await add_tasks(client, 4)
    for task_id in ids[:3]:
        await complete(client, task_id)
    await client.patch("/api/project", json={"sampling": "uniform"})
    task = await (await client.get("/api/project/next", **who("a"))).json()
    assert task["id"] == ids[3]
