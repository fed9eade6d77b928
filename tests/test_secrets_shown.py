"""Secrets are never shown: passwords and tokens inside URLs (a PostgreSQL ``store.url``,
model server URLs from the config and from the API, an S3 ``endpoint_url``) are masked in
every answer that shows settings, and in the log."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pgserver import PgServer
from procs import Server, wait_for

from lsplug import config as configmod
from lsplug.hooks import Field, SinkType, hookimpl
from lsplug.web.app import create_app
from tests.conftest import Client, MakeClient

SECRETS = ("S3cretPG", "M0delPass", "T0kenValue", "RuntimePass", "S3cretEndpoint")
MODEL_URL = "http://annotator:M0delPass@127.0.0.1:9/?token=T0kenValue"  # nobody listens on 9


async def _text(client: Client, path: str) -> str:
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    return await resp.text()


def _no_secret(text: str) -> None:
    shown = [secret for secret in SECRETS if secret in text]
    assert shown == [], f"{shown} shown in {text[:2000]}"


async def test_a_postgres_password_in_store_url_is_not_shown(
    make_client: MakeClient, pg_server: PgServer
) -> None:
    url = pg_server.new_database().replace("postgres@", "postgres:S3cretPG@")  # trust: any
    client = await make_client(store={"url": url})
    text = await _text(client, "/api/project")
    _no_secret(text)
    assert "postgres:********@127.0.0.1" in text


@pytest.fixture
async def model_client(make_client: MakeClient) -> Client:
    """Two configured model servers with credentials in their URLs, one named by it."""
    return await make_client(
        ml_backends=[MODEL_URL, {"name": "named", "url": MODEL_URL.replace(":9/", ":19/")}],
        ml={"timeout": 0.3},
    )


@pytest.mark.parametrize("path", ["/api/models", "/api/project"])
async def test_model_server_credentials_are_not_shown(model_client: Client, path: str) -> None:
    text = await _text(model_client, path)
    _no_secret(text)
    assert "annotator:********@127.0.0.1" in text and "token=********" in text


async def test_a_model_listed_by_its_masked_url_can_be_removed(model_client: Client) -> None:
    listed = json.loads(await _text(model_client, "/api/models"))["models"]
    masked = next(m["name"] for m in listed if m["name"] != "named")
    resp = await model_client.delete("/api/models", json={"name": masked})
    assert resp.status == 204, await resp.text()
    assert [m["name"] for m in json.loads(await _text(model_client, "/api/models"))["models"]] == [
        "named"
    ]


async def test_model_urls_set_through_the_api_are_not_shown_back(client: Client) -> None:
    backends = [{"name": "r", "url": "http://u:RuntimePass@127.0.0.1:9/"}]
    resp = await client.patch("/api/project", json={"ml_backends": backends})
    assert resp.status == 200, await resp.text()
    _no_secret(await resp.text())
    _no_secret(await _text(client, "/api/project"))


class MemorySink:
    """A completion sink that keeps documents in memory (a plugin's sink, for the test)."""

    def __init__(self, settings: Mapping[str, Any], ctx: Any) -> None:
        self.documents: dict[int, bytes] = {}

    async def check(self) -> None:
        return None

    async def write_task(self, task_id: int, document: bytes) -> None:
        self.documents[task_id] = document

    async def delete_task(self, task_id: int) -> None:
        self.documents.pop(task_id, None)

    async def close(self) -> None:
        return None


class WebdavPlugin:
    """A third party's sink type whose form takes a server URL (which may hold a password)."""

    @hookimpl
    def lsplug_sink_types(self) -> list[SinkType]:
        fields = [Field("endpoint_url", required=True), Field("token", secret=True)]
        return [SinkType("webdav", "WebDAV", "a WebDAV folder", fields, MemorySink)]


@pytest.fixture
async def webdav_client(aiohttp_client: Any, tmp_path: Path, ner_config: str) -> Client:
    config = configmod.from_dict({"label_config": ner_config, "data_dir": str(tmp_path / "d")})
    config.config_dir = tmp_path
    client: Client = await aiohttp_client(create_app(config, extra_plugins=[WebdavPlugin()]))
    return client


@pytest.mark.parametrize("path", ["/api/project/storage-settings", "/api/project"])
async def test_a_storage_url_with_credentials_is_not_shown(
    webdav_client: Client, path: str
) -> None:
    settings = {"type": "webdav", "endpoint_url": "https://dav:S3cretEndpoint@dav.example/labels",
                "token": "T0kenValue"}  # fmt: skip
    url = "/api/project/storage-settings?storage_for=target"
    resp = await webdav_client.post(url, json=settings)
    assert resp.status == 201, await resp.text()
    text = await _text(webdav_client, path)
    _no_secret(text)
    assert "dav:********@dav.example" in text


def test_the_log_never_shows_a_model_servers_password(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"ml_backends": [MODEL_URL], "ml": {"timeout": 0.3}}))
    server = Server(config).start()
    try:
        server.call("GET", "/api/models")  # the model fails: logged with its name (its URL)
        wait_for(lambda: "failed" in server.log.read_text(), what="the model's failure logged")
    finally:
        server.stop()
    log = server.log.read_text()
    _no_secret(log)
    assert "annotator:********@127.0.0.1" in log
