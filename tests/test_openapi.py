"""`/api/openapi.json` describes every API route of the router, and only those."""

from __future__ import annotations

import inspect
import re

import pytest

from lsplug.web.views.openapi import QUERY, api_routes
from tests.conftest import Client


async def test_every_api_route_is_described(client: Client) -> None:
    doc = await (await client.get("/api/openapi.json")).json()
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    routed = {(m, p) for m, p, _ in api_routes(client.app)}
    assert described == routed
    assert ("GET", "/api/tasks/{task_id}") in routed and ("POST", "/api/project") in routed


async def test_path_parameters_are_declared(client: Client) -> None:
    doc = await (await client.get("/api/openapi.json")).json()
    for path, ops in doc["paths"].items():
        for op in ops.values():
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path)), path


def test_documented_query_parameters_are_read_by_their_route(client: Client) -> None:
    handlers = {(m, p): h for m, p, h in api_routes(client.app)}
    for (method, path), params in QUERY.items():
        assert (method, path) in handlers, f"{method} {path} is not a route any more"
        module = inspect.getsource(inspect.getmodule(handlers[(method, path)]))  # type: ignore[arg-type]
        for name in params:
            assert f'"{name}"' in module, f"{method} {path} does not read ?{name}"


async def test_the_description_is_valid_openapi(client: Client) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(await (await client.get("/api/openapi.json")).json())
