"""Importing from a URL: http(s) only, no internal addresses unless allowed, size-limited."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from tests.conftest import MakeClient


@pytest.fixture
async def files(aiohttp_server: Any) -> str:
    """A local web server with task files; its base URL."""

    async def tasks(request: web.Request) -> web.Response:
        return web.json_response([{"text": "fetched one"}, {"text": "fetched two"}])

    async def csv(request: web.Request) -> web.Response:
        return web.Response(text="text\nfrom csv\n", content_type="text/csv")

    async def big(request: web.Request) -> web.Response:
        return web.json_response([{"text": "x" * 1000}] * 2000)

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data")

    app = web.Application()
    app.router.add_get("/tasks.json", tasks)
    app.router.add_get("/export", csv)
    app.router.add_get("/big.json", big)
    app.router.add_get("/hop", hop)
    server = await aiohttp_server(app)
    return f"http://127.0.0.1:{server.port}"


async def test_a_json_url_is_fetched_and_imported(make_client: MakeClient, files: str) -> None:
    client = await make_client(allowed_hosts=["127.0.0.1"])
    resp = await client.post("/api/project/import", json={"url": f"{files}/tasks.json"})
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["task_count"] == 2


async def test_a_form_url_takes_its_format_from_the_content_type(
    make_client: MakeClient, files: str
) -> None:
    client = await make_client(allowed_hosts=["127.0.0.1"])
    resp = await client.post("/api/project/import", data={"url": f"{files}/export"})
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["task_count"] == 1


async def test_an_internal_address_is_refused_unless_allowed(
    make_client: MakeClient, files: str
) -> None:
    client = await make_client()
    resp = await client.post("/api/project/import", json={"url": f"{files}/tasks.json"})
    assert resp.status == 400
    assert "internal address" in (await resp.json())["detail"]


async def test_a_name_that_resolves_inside_is_refused(make_client: MakeClient, files: str) -> None:
    client = await make_client()
    url = files.replace("127.0.0.1", "localhost") + "/tasks.json"
    resp = await client.post("/api/project/import", json={"url": url})
    assert resp.status == 400
    assert "internal address" in (await resp.json())["detail"]


async def test_a_redirect_inside_is_refused(make_client: MakeClient, files: str) -> None:
    client = await make_client(allowed_hosts=["127.0.0.1"])
    resp = await client.post("/api/project/import", json={"url": f"{files}/hop"})
    assert resp.status == 400
    assert "169.254.169.254" in (await resp.json())["detail"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a.json", "nonsense"])
async def test_only_http_urls_are_fetched(make_client: MakeClient, url: str) -> None:
    client = await make_client()
    resp = await client.post("/api/project/import", json={"url": url})
    assert resp.status == 400
    assert "http" in (await resp.json())["detail"]


async def test_a_file_over_the_size_limit_is_413(make_client: MakeClient, files: str) -> None:
    client = await make_client(allowed_hosts=["127.0.0.1"], max_body_mb=1)
    resp = await client.post("/api/project/import", json={"url": f"{files}/big.json"})
    assert resp.status == 413


async def test_a_url_key_of_the_label_config_is_task_data(make_client: MakeClient) -> None:
    xml = '<View><Image name="img" value="$url"/></View>'
    client = await make_client(label_config=xml)
    resp = await client.post("/api/project/import", json={"url": "http://10.0.0.1/a.jpg"})
    assert resp.status == 201
