"""Hardening at the edge: no state change on GET, who made a completion can't be spoofed,
sign-in never redirects elsewhere, ``nosniff`` on every answer, uploads never through a
link, and odd ``?d=`` or ``task_ids`` are a 4xx, never a 500."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from lsplug.web.keys import ACCOUNTS
from tests.conftest import AddTasks, Client, MakeClient

PASSWORD = "correct horse battery"
CHOICES = (
    '<View><Text name="text" value="$text"/>'
    '<Choices name="label" toName="text"><Choice value="A"/><Choice value="B"/></Choices></View>'
)
RESULT = [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["A"]}}]


# --- a model server for the predictions routes -----------------------------------------------


class Model:
    """A Label Studio ML backend that predicts choice A and remembers what it was asked."""

    def __init__(self) -> None:
        self.predicted: list[int] = []
        self.app = web.Application()
        self.app.router.add_get("/health", self.health)
        self.app.router.add_post("/setup", self.setup)
        self.app.router.add_post("/predict", self.predict)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "UP"})

    async def setup(self, request: web.Request) -> web.Response:
        return web.json_response({"model_version": "v1"})

    async def predict(self, request: web.Request) -> web.Response:
        tasks = (await request.json())["tasks"]
        self.predicted.extend(t["id"] for t in tasks)
        results = [{"result": RESULT, "score": 0.5} for _ in tasks]
        return web.json_response({"results": results, "model_version": "v1"})


@pytest.fixture
async def model_client(aiohttp_server: Any, make_client: MakeClient) -> tuple[Client, Model]:
    model = Model()
    server = await aiohttp_server(model.app)
    url = str(server.make_url("")).rstrip("/")
    client = await make_client(label_config=CHOICES, ml_backends=[{"name": "m", "url": url}])
    resp = await client.post("/api/project/import", json=[{"text": f"t{i}"} for i in range(3)])
    assert resp.status == 201
    return client, model


@pytest.mark.parametrize(
    "query", ["mode=all_tasks", "mode=specific_tasks&task_ids=0,1", "mode=specific_tasks"]
)
async def test_a_get_that_would_store_predictions_is_405_naming_post(
    model_client: tuple[Client, Model], query: str
) -> None:
    client, model = model_client
    resp = await client.get(f"/api/models/predictions?{query}")
    assert resp.status == 405
    assert resp.headers["Allow"] == "POST"
    assert "POST" in (await resp.json())["detail"]
    assert await (await client.get("/api/jobs?kind=predict")).json() == []
    assert model.predicted == []
    assert (await (await client.get("/api/project")).json())["prediction_count"] == 0


async def test_predicting_one_tasks_data_by_get_stays(model_client: tuple[Client, Model]) -> None:
    client, _ = model_client
    resp = await client.get("/api/models/predictions?mode=data")
    assert resp.status == 200, await resp.text()
    assert (await (await client.get("/api/project")).json())["prediction_count"] == 0


async def test_post_still_predicts_specific_tasks(model_client: tuple[Client, Model]) -> None:
    client, model = model_client
    resp = await client.post("/api/models/predictions?mode=specific_tasks&task_ids=0,1")
    assert resp.status == 200, await resp.text()
    assert sorted(model.predicted) == [0, 1]


BAD_TASK_IDS_QUERY = [
    "18446744073709551616",
    "9223372036854775808",
    "99999999999999999999999999999999999999",
    "9" * 5000,
    "-1",
    "0,-5",
    "1.5",
    "1e3",
    "abc",
    "0,,1",
    " ",
    "０",  # a full-width digit
]
BAD_TASK_IDS_BODY: list[Any] = [
    [2**64],
    [2**63],
    [18446744073709551615],
    [-1],
    [1.5],
    [True],
    [None],
    [[1]],
    ["-3"],
    list(range(100_001)),
]


@pytest.mark.parametrize("ids", BAD_TASK_IDS_QUERY)
async def test_task_ids_out_of_range_in_the_query_are_400_naming_task_ids(
    model_client: tuple[Client, Model], ids: str
) -> None:
    client, model = model_client
    resp = await client.post(f"/api/models/predictions?mode=specific_tasks&task_ids={ids}")
    assert resp.status == 400, await resp.text()
    assert "task_ids" in (await resp.json())["detail"]
    assert model.predicted == []


@pytest.mark.parametrize("ids", BAD_TASK_IDS_BODY, ids=lambda v: repr(v)[:30])
async def test_task_ids_out_of_range_in_the_body_are_400_naming_task_ids(
    model_client: tuple[Client, Model], ids: list[Any]
) -> None:
    client, model = model_client
    resp = await client.post("/api/models/predictions?mode=specific_tasks", json={"task_ids": ids})
    assert resp.status == 400, await resp.text()
    assert "task_ids" in (await resp.json())["detail"]
    assert await (await client.get("/api/jobs?kind=predict")).json() == []
    assert model.predicted == []


# --- cross-site GETs that change the caller's own state --------------------------------------

CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://evil.example"},
    {"Referer": "http://evil.example/page"},
    {"Referer": "http://127.0.0.1:1/page"},
    {"Origin": "null"},
]


@pytest.mark.parametrize(
    "headers", CROSS_SITE, ids=lambda h: "-".join(f"{k}:{v}" for k, v in h.items())
)
async def test_another_site_cannot_switch_the_current_project(
    make_client: MakeClient, headers: dict[str, str]
) -> None:
    client = await make_client(multi_session=True)
    created = await (await client.post("/api/project?desc=Other")).json()
    resp = await client.get(f"/api/project-switch?uuid={created['uuid']}", headers=headers)
    assert resp.status == 403
    assert "lsplug_project" not in resp.cookies
    current = await (await client.get("/api/project")).json()
    assert current["uuid"] != created["uuid"]


async def test_this_site_switches_the_current_project(make_client: MakeClient) -> None:
    client = await make_client(multi_session=True)
    created = await (await client.post("/api/project?desc=Other")).json()
    headers = {"Sec-Fetch-Site": "same-origin", "Referer": str(client.make_url("/setup"))}
    resp = await client.get(f"/api/project-switch?uuid={created['uuid']}", headers=headers)
    assert resp.status == 200, await resp.text()
    assert (await (await client.get("/api/project")).json())["uuid"] == created["uuid"]


@pytest.mark.parametrize("headers", CROSS_SITE[:3])
async def test_another_site_cannot_take_a_lease(
    client: Client, add_tasks: AddTasks, headers: dict[str, str]
) -> None:
    await add_tasks(client, 1)
    resp = await client.get("/api/project/next", headers={**headers, "X-Lsplug-Client": "victim"})
    assert resp.status == 403
    resp = await client.get("/api/project/next", headers={"X-Lsplug-Client": "someone"})
    assert resp.status == 200  # the only task was not leased by the refused request


# --- completed_by: a signed-in person's name, whatever the body says -------------------------


async def _alice(make_client: MakeClient) -> tuple[Client, dict[str, str]]:
    client = await make_client()
    accounts = client.app[ACCOUNTS]
    alice = await accounts.add_user("alice", PASSWORD)
    return client, {"Authorization": f"Token {await accounts.new_token(alice)}"}


def _wrapped(completed_by: Any) -> list[dict[str, Any]]:
    completion = {"result": [], "completed_by": completed_by}
    return [{"data": {"text": "Alice"}, "completions": [completion, dict(completion)]}]


async def _authors(client: Client, headers: dict[str, str]) -> list[Any]:
    tasks = await (await client.get("/api/tasks?page_size=100", headers=headers)).json()
    return [c.get("completed_by") for t in tasks for c in t["completions"]]


@pytest.mark.parametrize("claimed", ["mallory", 7, {"id": 1, "email": "x@y"}, None])
async def test_an_import_records_the_signed_in_person_as_author(
    make_client: MakeClient, claimed: Any
) -> None:
    client, token = await _alice(make_client)
    resp = await client.post("/api/project/import", json=_wrapped(claimed), headers=token)
    assert resp.status == 201, await resp.text()
    assert await _authors(client, token) == ["alice", "alice"]


async def test_an_uploaded_file_records_the_signed_in_person_as_author(
    make_client: MakeClient,
) -> None:
    import json

    from aiohttp import FormData

    client, token = await _alice(make_client)
    form = FormData()
    form.add_field("FileUpload", json.dumps(_wrapped("mallory")), filename="tasks.json")
    resp = await client.post("/api/project/import", data=form, headers=token)
    assert resp.status == 201, await resp.text()
    assert await _authors(client, token) == ["alice", "alice"]


@pytest.mark.parametrize("method", ["PATCH", "POST"])
@pytest.mark.parametrize("key", ["completions", "annotations"])
async def test_a_task_rewrite_records_the_signed_in_person_as_author(
    make_client: MakeClient, method: str, key: str
) -> None:
    client, token = await _alice(make_client)
    resp = await client.post("/api/project/import", json=[{"text": "Alice"}], headers=token)
    (task_id,) = (await resp.json())["new_task_ids"]
    body = {key: [{"result": [], "completed_by": "mallory"}]}
    resp = await client.request(method, f"/api/tasks/{task_id}", json=body, headers=token)
    assert resp.status == 200, await resp.text()
    assert [c["completed_by"] for c in (await resp.json())["completions"]] == ["alice"]


async def test_a_signed_in_person_cannot_rename_a_completions_author(
    make_client: MakeClient,
) -> None:
    client, token = await _alice(make_client)
    await client.post("/api/project/import", json=_wrapped("x"), headers=token)
    task = await (await client.get("/api/tasks/0", headers=token)).json()
    url = f"/api/tasks/0/completions/{task['completions'][0]['id']}"
    resp = await client.patch(url, json={"completed_by": "mallory"}, headers=token)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["completed_by"] == "alice"


async def test_anonymous_imports_keep_the_author_they_give(client: Client) -> None:
    resp = await client.post("/api/project/import", json=_wrapped("mallory"))
    assert resp.status == 201
    assert await _authors(client, {}) == ["mallory", "mallory"]


# --- sign-in: next= only ever a path of this site -------------------------------------------

REFUSED_NEXT = [
    "/%09/evil.example",
    "/\t/evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%252F%252Fevil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "//evil.example",
    "%0d%0aSet-Cookie:x",
    "/%0d%0aSet-Cookie:x",
    "/\r\nSet-Cookie: x=1",
    "/\nLocation: https://evil.example",
    "javascript:alert(1)",
    "https://evil.example",
    "http:/evil.example",
    "/ /evil.example",
    "/\u3000/evil.example",
    "/\u200b/evil.example",
    "/\uff0f/evil.example",
    "/\x00",
    "",
]
ACCEPTED_NEXT = [
    ("/ok?x=1", "/ok?x=1"),
    ("/tasks?page=2&order=-id", "/tasks?page=2&order=-id"),
    ("/setup#config", "/setup#config"),
    ("/caf\u00e9", "/caf%C3%A9"),
]


async def _sign_in_form(client: Client, next_value: str) -> web.StreamResponse:
    form = {"username": "alice", "password": PASSWORD, "next": next_value}
    return await client.post("/user/login", data=form, allow_redirects=False)


@pytest.fixture
async def login_client(make_client: MakeClient) -> Client:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    return client


@pytest.mark.parametrize("next_value", REFUSED_NEXT)
async def test_signing_in_never_redirects_off_this_site(
    login_client: Client, next_value: str
) -> None:
    resp = await _sign_in_form(login_client, next_value)
    assert resp.status == 302
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize("next_value", REFUSED_NEXT)
async def test_the_sign_in_page_keeps_only_a_path_of_this_site(
    login_client: Client, next_value: str
) -> None:
    resp = await login_client.get("/user/login", params={"next": next_value})
    assert resp.status == 200
    assert 'name="next" value="/"' in await resp.text()


@pytest.mark.parametrize(("next_value", "location"), ACCEPTED_NEXT)
async def test_signing_in_goes_to_a_path_of_this_site(
    login_client: Client, next_value: str, location: str
) -> None:
    resp = await _sign_in_form(login_client, next_value)
    assert resp.status == 302
    assert resp.headers["Location"] == location


# --- nosniff on every answer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/tasks/999", 404),
        ("GET", "/no/such/route", 404),
        ("POST", "/api/project/import", 400),
        ("PUT", "/api/project", 405),
        ("GET", "/api/tasks?page=x", 400),
        ("GET", "/api/project", 200),
    ],
)
async def test_every_json_answer_carries_nosniff(
    client: Client, method: str, path: str, status: int
) -> None:
    resp = await client.request(method, path, data=b"{")
    assert resp.status == status
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_sign_in_refusal_carries_nosniff(login_client: Client) -> None:
    resp = await login_client.get("/api/tasks")
    assert resp.status == 401
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


# --- uploads: regular files directly in the upload folder, never through a link -------------


def _upload_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "upload"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.jpg"
    secret.parent.mkdir()
    secret.write_bytes(b"\xff\xd8\xff not for you")
    return secret


async def test_a_link_to_a_file_outside_is_not_served(
    client: Client, tmp_path: Path, outside: Path
) -> None:
    (_upload_dir(tmp_path) / "cat.jpg").symlink_to(outside)
    resp = await client.get("/data/upload/cat.jpg")
    assert resp.status == 404
    assert b"not for you" not in await resp.read()


async def test_a_link_to_a_file_inside_is_not_served(client: Client, tmp_path: Path) -> None:
    folder = _upload_dir(tmp_path)
    (folder / "real.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "alias.jpg").symlink_to(folder / "real.jpg")
    assert (await client.get("/data/upload/real.jpg")).status == 200
    assert (await client.get("/data/upload/alias.jpg")).status == 404


async def test_an_upload_folder_that_is_a_link_is_not_served(
    client: Client, tmp_path: Path, outside: Path
) -> None:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "upload").symlink_to(outside.parent, target_is_directory=True)
    resp = await client.get("/data/upload/secret.jpg")
    assert resp.status == 404


async def test_only_regular_files_are_served(client: Client, tmp_path: Path) -> None:
    folder = _upload_dir(tmp_path)
    (folder / "sub.jpg").mkdir()
    os.mkfifo(folder / "pipe.jpg")
    for name in ("sub.jpg", "pipe.jpg"):
        assert (await client.get(f"/data/upload/{name}")).status == 404


# --- local files: odd ?d= values are a 4xx ---------------------------------------------------


@pytest.mark.parametrize(
    "wanted", ["%00", "a%00b.jpg", "%01", "a%0Ab.jpg", "%7F", "x" * 5000, "x/" * 3000 + "y"]
)
async def test_odd_local_file_paths_are_a_4xx_not_a_500(
    make_client: MakeClient, tmp_path: Path, wanted: str
) -> None:
    (tmp_path / "media").mkdir()
    client = await make_client(local_files_roots=[str(tmp_path / "media")])
    resp = await client.get(f"/data/local-files/?d={wanted}")
    assert resp.status in (400, 404), await resp.text()
    assert "detail" in await resp.json()
