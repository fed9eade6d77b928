"""Model servers over HTTP: a real test model server (aiohttp) that can be slow, fail or
answer garbage on purpose, connected to a real lsplug app."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web

MODEL_TIMEOUT = 0.5


class FakeModel:
    """A Label Studio ML backend written for the tests; ``mode`` chooses how it behaves."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.version = "v1"
        self.predicted: list[int] = []
        self.trained: list[dict[str, Any]] = []
        self.app = web.Application()
        self.app.router.add_get("/health", self.health)
        self.app.router.add_post("/setup", self.setup)
        self.app.router.add_post("/predict", self.predict)
        self.app.router.add_post("/train", self.train)

    async def _misbehave(self) -> web.Response | None:
        if self.mode == "slow":
            await asyncio.sleep(MODEL_TIMEOUT * 4)
        if self.mode == "fail":
            return web.json_response({"status": 500, "detail": "boom"}, status=500)
        if self.mode == "garbage":
            return web.Response(text="<html>not json</html>")
        return None

    async def health(self, request: web.Request) -> web.Response:
        return await self._misbehave() or web.json_response({"status": "UP", "model_dir": "/x"})

    async def setup(self, request: web.Request) -> web.Response:
        return await self._misbehave() or web.json_response({"model_version": self.version})

    async def predict(self, request: web.Request) -> web.Response:
        bad = await self._misbehave()
        if bad:
            return bad
        tasks = (await request.json())["tasks"]
        self.predicted.extend(t["id"] for t in tasks)
        results = [
            {
                "result": [{"from_name": "label", "to_name": "text", "type": "labels",
                            "value": {"start": 0, "end": 1, "labels": ["PER"]}}],
                "score": float(t["data"]["score"]),
            }
            for t in tasks
        ]  # fmt: skip
        return web.json_response({"results": results, "model_version": self.version})

    async def train(self, request: web.Request) -> web.Response:
        self.trained.append(await request.json())
        return web.json_response({"job": "j1"}, status=201)


@pytest.fixture
async def model(aiohttp_server: Any) -> tuple[FakeModel, str]:
    fake = FakeModel()
    server = await aiohttp_server(fake.app)
    return fake, str(server.make_url("")).rstrip("/")


@pytest.fixture
async def ml_client(make_client: Any, model: tuple[FakeModel, str]) -> Any:
    _, url = model
    return await make_client(
        ml_backends=[{"name": "fake", "url": url}],
        ml={"timeout": MODEL_TIMEOUT, "batch_size": 10},
    )


async def add_scored(client: Any, scores: list[float]) -> None:
    items = [{"text": f"t{i}", "score": s} for i, s in enumerate(scores)]
    resp = await client.post("/api/project/import", json=items)
    assert resp.status == 201, await resp.text()


async def models_of(client: Any) -> list[dict[str, Any]]:
    return (await (await client.get("/api/models")).json())["models"]


async def test_a_configured_model_is_listed_connected_with_its_version(ml_client):
    (listed,) = await models_of(ml_client)
    assert (listed["name"], listed["connected"], listed["model_version"]) == ("fake", True, "v1")


async def test_the_next_task_carries_the_models_prediction(ml_client):
    await add_scored(ml_client, [0.3])
    task = await (await ml_client.get("/api/project/next")).json()
    (prediction,) = task["predictions"]
    assert (prediction["created_by"], prediction["model_version"]) == ("fake", "v1")
    assert prediction["score"] == 0.3
    assert prediction["result"][0]["value"]["labels"] == ["PER"]


async def test_a_prediction_is_asked_for_once_per_model_version(ml_client, model):
    fake, _ = model
    await add_scored(ml_client, [0.3])
    for _ in range(3):
        await ml_client.get("/api/project/next")
    assert fake.predicted == [0]
    fake.version = "v2"
    await ml_client.get("/api/models")  # the refresh sets the model up again: v2
    await ml_client.post("/api/models/predictions?mode=specific_tasks&task_ids=0")
    assert fake.predicted == [0, 0]


async def test_a_slow_model_does_not_stall_labeling(ml_client, model):
    fake, _ = model
    await add_scored(ml_client, [0.3])
    fake.mode = "slow"
    started = time.monotonic()
    task = await (await ml_client.get("/api/project/next")).json()
    assert time.monotonic() - started < MODEL_TIMEOUT * 3
    assert (task["id"], task["predictions"]) == (0, [])
    (listed,) = await models_of(ml_client)
    assert listed["connected"] is False and listed["error"]


async def test_a_model_answering_garbage_is_marked_unhealthy(ml_client, model):
    fake, _ = model
    await add_scored(ml_client, [0.3])
    fake.mode = "garbage"
    task = await (await ml_client.get("/api/project/next")).json()
    assert task["predictions"] == []
    (listed,) = await models_of(ml_client)
    assert "not JSON" in listed["error"]


async def test_an_unhealthy_model_is_left_alone_until_its_back_off_ends(ml_client, model):
    fake, _ = model
    await add_scored(ml_client, [0.3, 0.4])
    fake.mode = "fail"
    await ml_client.get("/api/project/next", headers={"X-Lsplug-Client": "a"})
    fake.mode = "ok"
    task = await (await ml_client.get("/api/project/next", headers={"X-Lsplug-Client": "b"})).json()
    assert task["predictions"] == [] and fake.predicted == []


async def test_patch_connects_a_model_by_name_and_url(make_client, model):
    _, url = model
    client = await make_client(ml={"timeout": MODEL_TIMEOUT})
    resp = await client.patch("/api/project", json={"ml_backend": f"second={url}"})
    assert resp.status == 200, await resp.text()
    assert [m["name"] for m in await models_of(client)] == ["second"]
    assert (await resp.json())["ml_backends"] == [{"name": "second", "url": url, "kind": "http"}]


async def test_patch_with_a_model_that_does_not_answer_is_400_and_adds_nothing(make_client):
    client = await make_client(ml={"timeout": MODEL_TIMEOUT})
    resp = await client.patch("/api/project", json={"ml_backend": "x=http://127.0.0.1:9"})
    assert resp.status == 400
    assert "does not answer" in (await resp.json())["detail"]
    assert await models_of(client) == []


async def test_delete_removes_a_model_and_unknown_is_404(ml_client):
    assert (await ml_client.delete("/api/models", json={"name": "nope"})).status == 404
    assert (await ml_client.delete("/api/models", json={"name": "fake"})).status == 204
    assert await models_of(ml_client) == []


async def test_mode_data_predicts_without_storing(ml_client):
    resp = await ml_client.post(
        "/api/models/predictions?mode=data", json={"text": "x", "score": 0.9}
    )
    body = await resp.json()
    assert body["predictions"][0]["score"] == 0.9
    assert (await (await ml_client.get("/api/project")).json())["prediction_count"] == 0


async def test_mode_all_tasks_predicts_every_task_in_the_background(ml_client, model, poll):
    fake, _ = model
    await add_scored(ml_client, [i / 100 for i in range(35)])
    resp = await ml_client.post("/api/models/predictions?mode=all_tasks")
    job_id = (await resp.json())["job"]["id"]

    async def finished() -> bool:
        job = await (await ml_client.get(f"/api/jobs/{job_id}")).json()
        return bool(job["status"] == "done" and job["done"] == 35)

    assert await poll(finished)
    assert sorted(fake.predicted) == list(range(35))
    assert (await (await ml_client.get("/api/project")).json())["prediction_count"] == 35


async def test_predictions_without_a_model_are_400(make_client):
    client = await make_client()
    resp = await client.post("/api/models/predictions?mode=all_tasks")
    assert resp.status == 400
    assert (await client.post("/api/models/train")).status == 400


async def test_score_sampling_hands_out_the_lowest_score_predicting_unscored_first(ml_client):
    await add_scored(ml_client, [0.5, 0.9, 0.1, 0.7])
    await ml_client.patch("/api/project", json={"sampling": "prediction-score-min"})
    order = []
    for _ in range(4):
        task = await (await ml_client.get("/api/project/next")).json()
        order.append(task["id"])
        await ml_client.post(f"/api/tasks/{task['id']}/completions", json={"result": []})
    assert order == [2, 0, 3, 1]


async def test_score_max_sampling_hands_out_the_highest_score(ml_client):
    await add_scored(ml_client, [0.5, 0.9, 0.1])
    await ml_client.patch("/api/project", json={"sampling": "prediction-score-max"})
    task = await (await ml_client.get("/api/project/next")).json()
    assert task["id"] == 1


async def test_train_sends_completed_tasks_under_both_protocol_keys(ml_client, model):
    fake, _ = model
    await add_scored(ml_client, [0.5, 0.9])
    await ml_client.post("/api/tasks/1/completions", json={"result": [], "lead_time": 2})
    resp = await ml_client.post("/api/models/train")
    assert resp.status == 200
    assert (await resp.json())["jobs"]["fake"] == {"job": "j1"}
    (body,) = fake.trained
    assert [t["id"] for t in body["completions"]] == [1] == [t["id"] for t in body["annotations"]]
    assert body["completions"][0]["completions"][0]["lead_time"] == 2


async def test_training_starts_by_itself_every_n_completions(make_client, model, poll):
    fake, url = model
    client = await make_client(
        ml_backends=[{"name": "fake", "url": url}], ml={"timeout": MODEL_TIMEOUT, "train_every": 2}
    )
    await add_scored(client, [0.1, 0.2, 0.3])
    await client.post("/api/tasks/0/completions", json={"result": []})
    assert fake.trained == []
    await client.post("/api/tasks/1/completions", json={"result": []})

    async def trained() -> bool:
        return len(fake.trained) == 1

    assert await poll(trained)


async def test_predicting_all_tasks_resumes_after_a_restart(make_client, model, poll):
    fake, url = model
    settings = {
        "ml_backends": [{"name": "fake", "url": url}],
        "ml": {"timeout": 5, "batch_size": 5},
    }
    first = await make_client(**settings)
    await add_scored(first, [i / 100 for i in range(40)])
    fake.mode = "slow"  # each batch takes two seconds: the run is still going at the restart
    await first.post("/api/models/predictions?mode=all_tasks")
    await asyncio.sleep(0.3)
    await first.close()
    fake.mode = "ok"
    second = await make_client(**settings)

    async def all_predicted() -> bool:
        project = await (await second.get("/api/project")).json()
        return bool(project["prediction_count"] == 40)

    assert await poll(all_predicted, 10)
    assert sorted(set(fake.predicted)) == list(range(40))
