"""The plugin host: entry points, extra plugins, clashes, misspelt hooks, routes, docs."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from lsplug.config import from_dict
from lsplug.hooks import ExportContext, Exporter, hookimpl, specs
from lsplug.hooks.types import TaskBatches
from lsplug.plugins import PluginError, load_plugins
from lsplug.web.app import create_app


async def _nothing(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    yield b""


def exporter(name: str) -> Exporter:
    return Exporter(name, name, "a test format", "txt", "text/plain", lambda c: True, _nothing)


class TxtPlugin:
    """A test plugin registering the exporter ``TXT``."""

    __name__ = "txt_plugin"

    @hookimpl
    def lsplug_exporters(self) -> list[Exporter]:
        return [exporter("TXT")]


def named(name: str, **hooks: Any) -> SimpleNamespace:
    """A plugin object called ``name`` with the given hook implementations."""
    return SimpleNamespace(__name__=name, **{k: hookimpl(v) for k, v in hooks.items()})


def test_entry_points_load_the_builtin_and_local_plugins() -> None:
    plugins = load_plugins()
    assert {"local", "s3", "gcs"} <= set(plugins.sources.names())
    assert {"local", "s3", "gcs"} <= set(plugins.sinks.names())
    assert (
        plugins.exporters.owners["JSON"] == plugins.exporters.owners["JSON_MIN"] == "json_exporters"
    )
    assert plugins.sources.owners["local"] == "storage_local"
    assert plugins.ml_kinds.owners["http"] == "ml_http"


def test_an_extra_plugin_adds_an_exporter() -> None:
    plugins = load_plugins(extra_plugins=[TxtPlugin()])
    assert plugins.exporters.names()[-1] == "TXT"
    assert plugins.exporters.owners["TXT"] == "txt_plugin"


def test_each_app_has_its_own_plugin_manager() -> None:
    load_plugins(extra_plugins=[TxtPlugin()])
    assert "TXT" not in load_plugins().exporters.names()


def test_a_name_registered_twice_names_both_plugins() -> None:
    first = named("first_json", lsplug_exporters=lambda: [exporter("DUP")])
    second = named("second_json", lsplug_exporters=lambda: [exporter("DUP")])
    with pytest.raises(PluginError, match="'DUP' is registered by two plugins") as info:
        load_plugins(extra_plugins=[first, second])
    assert "'first_json'" in str(info.value) and "'second_json'" in str(info.value)


def test_clash_with_a_builtin_names_the_builtin() -> None:
    clash = named("my_json", lsplug_exporters=lambda: [exporter("JSON")])
    with pytest.raises(PluginError, match="'json_exporters' and 'my_json'"):
        load_plugins(extra_plugins=[clash])


def test_a_misspelt_hook_stops_the_start() -> None:
    typo = named("typo_plugin", lsplug_exporter=lambda: [exporter("X")])
    with pytest.raises(PluginError, match=r"typo_plugin.*lsplug_exporter"):
        load_plugins(extra_plugins=[typo])


def test_a_hook_returning_the_wrong_type_is_refused() -> None:
    wrong = named("wrong_plugin", lsplug_exporters=lambda: ["JSON2"])
    with pytest.raises(PluginError, match=r"'wrong_plugin'.*returned str, expected Exporter"):
        load_plugins(extra_plugins=[wrong])


def test_disabled_plugin_is_not_loaded() -> None:
    plugins = load_plugins(disabled=["json_exporters"])
    assert "JSON" not in plugins.exporters.names() and "COCO" in plugins.exporters.names()
    assert "json_exporters" not in [p["name"] for p in plugins.describe()]


def test_describe_names_distribution_version_hooks_and_registrations() -> None:
    by_name = {p["name"]: p for p in load_plugins().describe()}
    local = by_name["storage_local"]
    assert local["distribution"] == "lsplug-storage-local"
    assert local["version"]
    assert local["hooks"] == ["lsplug_sink_types", "lsplug_source_types"]
    assert (local["source_types"], local["sink_types"]) == (["local"], ["local"])
    assert by_name["json_exporters"]["exporters"] == ["JSON", "JSON_MIN"]
    assert by_name["json_exporters"]["distribution"] == "lsplug"


def test_describe_lists_an_extra_plugin_without_distribution() -> None:
    (txt,) = [
        p for p in load_plugins(extra_plugins=[TxtPlugin()]).describe() if p["name"] == "txt_plugin"
    ]
    assert txt["distribution"] is None and txt["exporters"] == ["TXT"]


routes = web.RouteTableDef()


@routes.get("/api/hello")
async def hello(request: web.Request) -> web.Response:
    return web.json_response({"hello": "plugin"})


class RoutesPlugin:
    """A test plugin adding ``GET /api/hello``."""

    __name__ = "routes_plugin"

    @hookimpl
    def lsplug_routes(self) -> web.RouteTableDef:
        return routes


async def test_a_plugin_route_is_served(aiohttp_client: Any, tmp_path: Path) -> None:
    config = from_dict(
        {
            "data_dir": str(tmp_path / "data"),
            "label_config": '<View><Text name="t" value="$text"/></View>',
        }
    )
    client = await aiohttp_client(create_app(config, extra_plugins=[RoutesPlugin()]))
    response = await client.get("/api/hello")
    assert response.status == 200
    assert await response.json() == {"hello": "plugin"}


def hook_specs() -> list[Any]:
    return [
        f for name, f in inspect.getmembers(specs, inspect.isfunction) if name.startswith("lsplug_")
    ]


def test_hook_specs_are_found() -> None:
    assert {f.__name__ for f in hook_specs()} >= {"lsplug_exporters", "lsplug_routes"}


@pytest.mark.parametrize("spec", hook_specs(), ids=lambda f: f.__name__)
def test_every_hook_spec_says_when_it_is_called_and_documents_its_params(spec: Any) -> None:
    doc = inspect.getdoc(spec) or ""
    assert "Called" in doc, f"{spec.__name__} has no docstring saying when it is called"
    for param in inspect.signature(spec).parameters:
        assert f":param {param}:" in doc, f"{spec.__name__} does not document {param}"


@pytest.mark.parametrize("spec", hook_specs(), ids=lambda f: f.__name__)
def test_every_hook_spec_documents_what_it_returns(spec: Any) -> None:
    doc = inspect.getdoc(spec) or ""
    assert ":returns:" in doc or "Return " in doc, f"{spec.__name__}: no :returns:"
