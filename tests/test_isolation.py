"""Two people in two projects cannot read or write each other's tasks through any route."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from lsplug.web.keys import ACCOUNTS
from tests.conftest import RESULT, Client, MakeClient

PASSWORD = "correct horse battery"


@dataclass
class Person:
    """A signed-in person with a project of their own."""

    headers: dict[str, str]
    uuid: str
    task_id: int
    completion_id: int


async def _person(client: Client, name: str) -> Person:
    accounts = client.app[ACCOUNTS]
    user = await accounts.add_user(name, PASSWORD)
    headers = {"Authorization": f"Token {await accounts.new_token(user)}"}
    resp = await client.post(f"/api/project?desc={name}s+project", headers=headers)
    uuid = (await resp.json())["uuid"]
    resp = await client.post(
        f"/api/project/import?project={uuid}", json=[{"text": f"{name}'s secret"}], headers=headers
    )
    (task_id,) = (await resp.json())["new_task_ids"]
    resp = await client.post(
        f"/api/tasks/{task_id}/completions?project={uuid}", json={"result": RESULT}, headers=headers
    )
    return Person(headers, uuid, task_id, (await resp.json())["id"])


@pytest.fixture
async def two(make_client: MakeClient) -> tuple[Client, Person, Person]:
    """A multi-session server where alice and bob each own one project."""
    client = await make_client(multi_session=True)
    return client, await _person(client, "alice"), await _person(client, "bob")


def _routes(client: Client, alice: Person) -> list[tuple[str, str]]:
    """Every (method, path) of the app's router, its ids filled with alice's."""
    values = {"task_id": alice.task_id, "completion_id": alice.completion_id}
    found = set()
    for route in client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if "{" not in path and route.resource is not None and path == "/static":
            path = "/static/js/common.js"
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: str(values.get(m[1], 0)), path)
        found.add((route.method, path))
    return sorted(found)


async def _alice_state(client: Client, alice: Person) -> object:
    resp = await client.get(f"/api/tasks?project={alice.uuid}", headers=alice.headers)
    assert resp.status == 200
    return await resp.json()


async def test_switching_to_another_persons_project_is_403(
    two: tuple[Client, Person, Person],
) -> None:
    client, alice, bob = two
    resp = await client.get(f"/api/project-switch?uuid={alice.uuid}", headers=bob.headers)
    assert resp.status == 403


async def test_setup_lists_only_ones_own_projects(two: tuple[Client, Person, Person]) -> None:
    client, alice, bob = two
    page = await (await client.get("/setup", headers=bob.headers)).text()
    assert bob.uuid in page and alice.uuid not in page


async def test_every_route_with_another_persons_project_is_404(
    two: tuple[Client, Person, Person],
) -> None:
    client, alice, bob = two
    before = await _alice_state(client, alice)
    for method, path in _routes(client, alice):
        resp = await client.request(
            method, f"{path}?project={alice.uuid}", headers=bob.headers, json={}
        )
        assert resp.status == 404, (method, path, resp.status)
        assert "secret" not in await resp.text()
    assert await _alice_state(client, alice) == before


async def test_every_route_on_ones_own_project_leaves_the_others_alone(
    two: tuple[Client, Person, Person],
) -> None:
    client, alice, bob = two
    before = await _alice_state(client, alice)
    for method, path in _routes(client, alice):
        resp = await client.request(
            method, f"{path}?project={bob.uuid}", headers=bob.headers, json={}
        )
        assert resp.status < 500, (method, path, resp.status)
        assert "alice's secret" not in await resp.text(), (method, path)
    assert await _alice_state(client, alice) == before


async def test_a_signed_out_caller_reaches_no_project_route(
    two: tuple[Client, Person, Person],
) -> None:
    client, alice, _bob = two
    for method, path in _routes(client, alice):
        if path.startswith(("/user/login", "/static/", "/api/health", "/version", "/api/openapi")):
            continue
        resp = await client.request(method, path, json={}, allow_redirects=False)
        assert resp.status in (302, 401), (method, path, resp.status)


async def test_an_owner_lets_another_person_in(two: tuple[Client, Person, Person]) -> None:
    client, alice, bob = two
    url = f"/api/project/members?project={alice.uuid}"
    resp = await client.post(url, json={"user": "bob"}, headers=bob.headers)
    assert resp.status == 404  # bob cannot even see alice's project
    resp = await client.post(url, json={"user": "bob"}, headers=alice.headers)
    assert resp.status == 201
    resp = await client.get(f"/api/tasks/{alice.task_id}?project={alice.uuid}", headers=bob.headers)
    assert (await resp.json())["data"]["text"] == "alice's secret"
    resp = await client.post(url, json={"user": "bob", "role": "owner"}, headers=bob.headers)
    assert resp.status == 403  # an annotator cannot make owners


async def test_adding_an_unknown_person_is_404(two: tuple[Client, Person, Person]) -> None:
    client, alice, _bob = two
    url = f"/api/project/members?project={alice.uuid}"
    resp = await client.post(url, json={"user": "carol"}, headers=alice.headers)
    assert resp.status == 404
