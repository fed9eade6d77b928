"""Owners make the project-wide changes: real people signed in with API tokens, a real
model server, and every such route tried by an annotator (403, nothing changed) and by an
owner (done)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from lsplug.web.keys import ACCOUNTS, PROJECT
from tests.conftest import NER_CONFIG, RESULT, Client, MakeClient

PASSWORD = "correct horse battery"
NEW_CONFIG = NER_CONFIG.replace('<Label value="ORG"/>', '<Label value="ORG"/><Label value="X"/>')


async def model_server(aiohttp_server: Any) -> str:
    """A model server that answers every route of the protocol."""

    async def predict(request: web.Request) -> web.Response:
        tasks = (await request.json())["tasks"]
        return web.json_response({"results": [{"result": [], "score": 0.5} for _ in tasks]})

    def answer(body: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return web.json_response(body)

        return handler

    app = web.Application()
    app.router.add_get("/health", answer({"status": "UP"}))
    app.router.add_post("/setup", answer({"model_version": "v1"}))
    app.router.add_post("/predict", predict)
    app.router.add_post("/train", answer({"job": "1"}))
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


@dataclass
class Team:
    """A server with a model, two tasks (one labeled) and three people: ``first`` (the
    first person created), ``anna`` (an annotator member), ``carl`` (nobody's member)."""

    client: Client
    tokens: dict[str, dict[str, str]]
    model_url: str
    roots: Path


async def _person(client: Client, name: str) -> dict[str, str]:
    accounts = client.app[ACCOUNTS]
    user = await accounts.add_user(name, PASSWORD)
    return {"Authorization": f"Token {await accounts.new_token(user)}"}


@pytest.fixture
async def team(make_client: MakeClient, aiohttp_server: Any, tmp_path: Path) -> Team:
    url = await model_server(aiohttp_server)
    roots = tmp_path / "roots"
    (roots / "out").mkdir(parents=True)
    client = await make_client(
        ml_backends=[{"name": "m", "url": url}], local_files_roots=[str(roots)]
    )
    tokens = {name: await _person(client, name) for name in ("first", "anna", "carl", "bob")}
    first = tokens["first"]
    await client.post("/api/project/import", json=[{"text": "a b"}, {"text": "c d"}], headers=first)
    await client.post("/api/tasks/0/completions", json={"result": RESULT}, headers=first)
    resp = await client.post("/api/project/members", json={"user": "anna"}, headers=first)
    assert resp.status == 201, await resp.text()
    return Team(client, tokens, url, roots)


def _routes(team: Team) -> list[tuple[str, str, Any]]:
    return [
        ("POST", "/api/project/storage-settings?storage_for=target",
         {"type": "local", "path": str(team.roots / "out")}),
        ("PATCH", "/api/project", {"title": "changed"}),
        ("PATCH", "/api/project", {"sampling": "uniform"}),
        ("PATCH", "/api/project", {"ml_backend": f"other={team.model_url}"}),
        ("PATCH", "/api/project", {"ml_backends": []}),
        ("DELETE", "/api/models", {"name": "m"}),
        ("POST", "/api/models/train", None),
        ("POST", "/api/models/predictions?mode=all_tasks", None),
        ("DELETE", "/api/tasks", None),
        ("DELETE", "/api/completions", None),
        ("POST", "/api/project/config", {"label_config": NEW_CONFIG}),
        ("POST", "/api/project/members", {"user": "carl", "role": "owner"}),
    ]  # fmt: skip


ROUTE_NAMES = [
    "storage", "title", "sampling", "ml_backend", "ml_backends", "delete-model", "train",
    "predict-all", "delete-tasks", "delete-completions", "label-config", "members",
]  # fmt: skip


async def _state(team: Team) -> Any:
    """Everything a project-wide change could change."""
    owner, client = team.tokens["first"], team.client
    project = await (await client.get("/api/project", headers=owner)).json()
    tasks = await (await client.get("/api/tasks?page_size=100", headers=owner)).json()
    models = await (await client.get("/api/models", headers=owner)).json()
    jobs = await (await client.get("/api/jobs", headers=owner)).json()
    storages = await (await client.get("/api/project/storage-settings", headers=owner)).json()
    store, project_id = client.app[PROJECT].store, client.app[PROJECT].id
    carl = await store.find_user("carl")
    assert carl is not None
    members = await store.member_role(project_id, carl.id)
    for task in tasks:
        for prediction in task["predictions"]:
            prediction.pop("created_date", None)
    project.pop("config", None)
    return project, tasks, [m["name"] for m in models["models"]], jobs, storages, members


async def _call(team: Team, who: str, index: int) -> Any:
    method, path, body = _routes(team)[index]
    return await team.client.request(method, path, json=body, headers=team.tokens[who])


@pytest.mark.parametrize("index", range(len(ROUTE_NAMES)), ids=ROUTE_NAMES)
async def test_an_annotator_member_is_refused_and_nothing_changes(team: Team, index: int) -> None:
    before = await _state(team)
    resp = await _call(team, "anna", index)
    assert resp.status == 403, await resp.text()
    body = await resp.json()
    assert body["rule"] == "owner" and "owner" in body["detail"]
    assert await _state(team) == before


@pytest.mark.parametrize("index", range(len(ROUTE_NAMES)), ids=ROUTE_NAMES)
async def test_a_signed_in_non_member_is_refused_on_the_default_project(
    team: Team, index: int
) -> None:
    resp = await _call(team, "carl", index)
    assert resp.status == 403


@pytest.mark.parametrize("index", range(len(ROUTE_NAMES)), ids=ROUTE_NAMES)
async def test_the_first_person_owns_the_default_project(team: Team, index: int) -> None:
    resp = await _call(team, "first", index)
    assert resp.status < 300, await resp.text()


async def test_naming_an_owner_keeps_the_first_person_an_owner(team: Team) -> None:
    client, first = team.client, team.tokens["first"]
    resp = await client.post(
        "/api/project/members", json={"user": "bob", "role": "owner"}, headers=first
    )
    assert resp.status == 201
    for who in ("first", "bob"):
        resp = await client.patch("/api/project", json={"title": who}, headers=team.tokens[who])
        assert resp.status == 200, (who, await resp.text())
    anna = team.tokens["anna"]
    assert (await client.patch("/api/project", json={"title": "x"}, headers=anna)).status == 403


async def test_an_owner_member_owns_and_annotators_still_label(team: Team) -> None:
    client, first, anna = team.client, team.tokens["first"], team.tokens["anna"]
    await client.post("/api/project/members", json={"user": "carl", "role": "owner"}, headers=first)
    resp = await client.delete("/api/completions", headers=team.tokens["carl"])
    assert resp.status == 204
    resp = await client.post("/api/tasks/1/completions", json={"result": RESULT}, headers=anna)
    assert resp.status == 201  # labeling is for every member


async def test_the_config_files_auth_account_is_an_owner(make_client: MakeClient) -> None:
    client = await make_client(auth={"username": "admin", "password": "admin-pass"})
    await _person(client, "first")
    basic = base64.b64encode(b"admin:admin-pass").decode()
    resp = await client.patch(
        "/api/project", json={"title": "t"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert resp.status == 200, await resp.text()


async def test_without_sign_in_everyone_is_an_owner(client: Client) -> None:
    assert (await client.patch("/api/project", json={"title": "t"})).status == 200
    assert (await client.delete("/api/tasks")).status == 204


async def test_in_another_project_only_its_owners_change_it(make_client: MakeClient) -> None:
    client = await make_client(multi_session=True)
    alice, bob = await _person(client, "alice"), await _person(client, "bob")
    uuid = (await (await client.post("/api/project?desc=p", headers=bob)).json())["uuid"]
    await client.post(f"/api/project/members?project={uuid}", json={"user": "alice"}, headers=bob)
    resp = await client.patch(f"/api/project?project={uuid}", json={"title": "x"}, headers=alice)
    assert resp.status == 403  # alice is the first person, but this is not the default project
    resp = await client.patch(f"/api/project?project={uuid}", json={"title": "x"}, headers=bob)
    assert resp.status == 200
