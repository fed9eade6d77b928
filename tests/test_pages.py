"""The HTML pages without a browser: routes, headers, the editor's files and interfaces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from conftest import AddTasks, Client, MakeClient

from lsplug import config as lsconfig
from lsplug.hooks import hookimpl
from lsplug.web.app import create_app
from lsplug.web.pages import layout_page
from lsplug.web.pages.editor import BUNDLED, editor_interfaces

PAGES = ["/welcome", "/tasks", "/setup", "/import", "/export", "/model", "/storage", "/preview"]
SEED_INTERFACES = ["basic", "panel", "submit", "submit:load", "side-column", "submit:skip",
                   "submit:check-empty", "predictions:hide"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_is_html_under_a_csp(client: Client, path: str) -> None:
    resp = await client.get(path)
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert "script-src 'self';" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_labeling_page_redirects_to_welcome_without_tasks(client: Client) -> None:
    resp = await client.get("/", allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (302, "/welcome")


async def test_labeling_page_embeds_the_next_task(client: Client, add_tasks: AddTasks) -> None:
    await add_tasks(client, 2)
    text = await (await client.get("/")).text()
    assert '"task":{"id":0' in text
    assert "/editor/1.4.0/js/main.js" in text


async def test_labeling_page_on_a_given_task(client: Client, add_tasks: AddTasks) -> None:
    await add_tasks(client, 2)
    assert '"task":{"id":1' in await (await client.get("/?task_id=1")).text()
    assert (await client.get("/?task_id=9")).status == 404


async def test_task_data_cannot_close_the_script(client: Client) -> None:
    await client.post("/api/project/import", json=[{"text": "</script><b>x</b>"}])
    text = await (await client.get("/")).text()
    assert "</script><b>" not in text
    assert "\\u003c/script\\u003e" in text


async def test_tasks_page_lists_status_and_counts(
    client: Client, add_tasks: AddTasks, complete: Any
) -> None:
    await add_tasks(client, 3)
    await complete(client, 1)
    text = await (await client.get("/tasks?order=-id&page_size=10")).text()
    assert text.index('data-task-id="2"') < text.index('data-task-id="0"')
    assert "lsp-labeled" in text and "lsp-unlabeled" in text


async def test_import_dry_run_saves_nothing(client: Client) -> None:
    resp = await client.post("/api/project/import?dry_run=1", json=[{"text": "a"}, {"text": "b"}])
    assert resp.status == 200
    assert (await resp.json())["task_count"] == 2
    assert (await (await client.get("/api/project")).json())["task_count"] == 0


async def test_import_dry_run_reports_bad_items(client: Client) -> None:
    resp = await client.post("/api/project/import?dry_run=1", json=[{"text": "a"}, {"x": 1}])
    assert resp.status == 400
    assert "item 1" in " ".join((await resp.json())["errors"])


@pytest.mark.skipif(not (BUNDLED / "js" / "main.js").exists(), reason="make install fetches it")
async def test_editor_files_are_cached_and_maps_need_debug(make_client: MakeClient) -> None:
    client = await make_client()
    resp = await client.get("/editor/1.4.0/js/main.js")
    assert resp.status == 200
    assert "immutable" in resp.headers["Cache-Control"]
    assert (await client.get("/editor/1.4.0/js/main.js.map")).status == 404
    assert (await client.get("/editor/9.9.9/js/main.js")).status == 404


async def test_editor_build_path_serves_another_build(
    make_client: MakeClient, tmp_path: Path
) -> None:
    (tmp_path / "build" / "js").mkdir(parents=True)
    (tmp_path / "build" / "js" / "main.js").write_text("window.LabelStudio = 1;")
    (tmp_path / "build" / "js" / "main.js.map").write_text("{}")
    client = await make_client(editor={"build_path": "build", "debug": True})
    text = await (await client.get("/preview")).text()
    url = text.split('<script src="')[1].split('"')[0]
    assert url.startswith("/editor/custom-")
    assert await (await client.get(url)).text() == "window.LabelStudio = 1;"
    assert (await client.get(url + ".map")).status == 200


async def test_uploaded_media_are_served(make_client: MakeClient, tmp_path: Path) -> None:
    client = await make_client()
    (tmp_path / "data" / "upload").mkdir(parents=True)
    (tmp_path / "data" / "upload" / "a.png").write_bytes(b"\x89PNG")
    assert (await client.get("/data/upload/a.png")).status == 200
    assert (await client.get("/data/upload/..%2Flsplug.sqlite3")).status == 404


def test_seed_interface_names_map_to_the_editors() -> None:
    mapped = editor_interfaces(SEED_INTERFACES)
    assert {"topbar", "submit", "update", "skip", "panel", "side-column"} <= set(mapped.names)
    assert not [n for n in mapped.names if n.startswith(("predictions:", "submit:"))]
    assert "basic" not in mapped.names
    assert mapped.check_empty


def test_buttons_bring_the_top_bar() -> None:
    assert "topbar" in editor_interfaces(["submit"]).names
    assert editor_interfaces(["panel"]).names == ["panel"]


class HelloPage:
    """A plugin adding a page in the shared layout."""

    @hookimpl
    def lsplug_routes(self) -> web.RouteTableDef:
        routes = web.RouteTableDef()

        @routes.get("/hello")
        async def hello(request: web.Request) -> web.Response:
            return layout_page(request, "Hello", "<p>from a plugin</p>")

        return routes


async def test_a_plugin_page_shares_the_layout(aiohttp_client: Any, tmp_path: Path) -> None:
    config = lsconfig.from_dict({"data_dir": str(tmp_path / "data")})
    client = await aiohttp_client(create_app(config, extra_plugins=[HelloPage()]))
    resp = await client.get("/hello")
    text = await resp.text()
    assert "<p>from a plugin</p>" in text and 'class="lsp-nav"' in text
    assert "Content-Security-Policy" in resp.headers
