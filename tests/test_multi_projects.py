"""Multi-session mode: creating projects, switching, and `?project=<uuid>` for scripts."""

from __future__ import annotations

from typing import Any

from tests.conftest import Client, MakeClient


async def _create(client: Client, title: str) -> str:
    resp = await client.post(f"/api/project?desc={title}")
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["title"] == title
    uuid: str = body["uuid"]
    return uuid


async def _task_texts(client: Client, query: str = "") -> list[str]:
    resp = await client.get(f"/api/tasks?page_size=100{query}")
    assert resp.status == 200, await resp.text()
    return [t["data"]["text"] for t in await resp.json()]


async def test_creating_a_project_needs_multi_session_mode(client: Client) -> None:
    resp = await client.post("/api/project?desc=Second")
    assert resp.status == 400
    assert "--multi-session" in (await resp.json())["detail"]


async def test_a_new_project_is_empty_and_has_its_own_uuid(make_client: MakeClient) -> None:
    client = await make_client(multi_session=True)
    default = (await (await client.get("/api/project")).json())["uuid"]
    uuid = await _create(client, "Second")
    assert uuid != default
    info = await (await client.get(f"/api/project?project={uuid}")).json()
    assert info["task_count"] == 0 and info["multi_session_mode"] is True


async def test_project_query_scopes_every_route(make_client: MakeClient) -> None:
    client = await make_client(multi_session=True)
    uuid = await _create(client, "Second")
    resp = await client.post(f"/api/project/import?project={uuid}", json=[{"text": "in second"}])
    assert resp.status == 201
    await client.post("/api/project/import?project=", json=[{"text": "in default"}])
    assert await _task_texts(client, f"&project={uuid}") == ["in second"]
    assert await _task_texts(client) == ["in default"]


async def test_an_unknown_project_query_is_404(make_client: MakeClient) -> None:
    client = await make_client(multi_session=True)
    resp = await client.get("/api/tasks?project=no-such-uuid")
    assert resp.status == 404
    assert "no-such-uuid" in (await resp.json())["detail"]


async def test_switching_makes_a_project_current_for_json_clients(
    make_client: MakeClient,
) -> None:
    client = await make_client(multi_session=True)
    uuid = await _create(client, "Second")
    await client.post(f"/api/project/import?project={uuid}", json=[{"text": "second"}])
    resp = await client.get(f"/api/project-switch?uuid={uuid}")
    assert resp.status == 200
    assert (await resp.json())["uuid"] == uuid
    assert await _task_texts(client) == ["second"]


async def test_switching_from_a_browser_redirects_to_the_labeling_page(
    make_client: MakeClient,
) -> None:
    client = await make_client(multi_session=True)
    uuid = await _create(client, "Second")
    resp = await client.get(
        f"/api/project-switch?uuid={uuid}", headers={"Accept": "text/html"}, allow_redirects=False
    )
    assert resp.status == 302 and resp.headers["Location"] == "/"


async def test_switching_to_an_unknown_uuid_is_404_and_changes_nothing(
    make_client: MakeClient,
) -> None:
    client = await make_client(multi_session=True)
    uuid = await _create(client, "Second")
    await client.get(f"/api/project-switch?uuid={uuid}")
    resp = await client.get("/api/project-switch?uuid=bogus")
    assert resp.status == 404
    assert (await (await client.get("/api/project")).json())["uuid"] == uuid


async def test_a_forged_project_cookie_is_ignored(make_client: MakeClient) -> None:
    client = await make_client(multi_session=True)
    default = (await (await client.get("/api/project")).json())["uuid"]
    uuid = await _create(client, "Second")
    client.session.cookie_jar.update_cookies({"lsplug_project": f"{uuid}.forged"})
    assert (await (await client.get("/api/project")).json())["uuid"] == default


async def test_setup_lists_the_projects(make_client: MakeClient) -> None:
    client = await make_client(multi_session=True)
    uuid = await _create(client, "<b>Second</b>")
    page = await (await client.get("/setup")).text()
    assert uuid in page and "&lt;b&gt;Second&lt;/b&gt;" in page


async def test_each_project_keeps_its_own_label_config(make_client: MakeClient) -> None:
    client = await make_client(multi_session=True)
    uuid = await _create(client, "Images")
    xml = '<View><Image name="img" value="$image"/><Choices name="c" toName="img">' \
        '<Choice value="A"/></Choices></View>'  # fmt: skip
    resp = await client.post(f"/api/project/config?project={uuid}", json={"label_config": xml})
    assert resp.status == 201
    other: dict[str, Any] = await (await client.get("/api/project")).json()
    assert other["data_types"] == {"text": "Text"}
    mine = await (await client.get(f"/api/project?project={uuid}")).json()
    assert mine["data_types"] == {"image": "Image"}
