"""Route `/api/openapi.json`: an OpenAPI 3.0 description of the API, made from the router
itself (so it cannot drift from the routes), with the query parameters each route reads."""

from __future__ import annotations

import inspect
import re
from typing import Any

from aiohttp import web

import lsplug

routes = web.RouteTableDef()
INTEGER_PARAMS = frozenset({"task_id", "completion_id", "job_id"})
# Query parameters a route reads, by (method, path); `project` is on every route.
QUERY: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("GET", "/api/tasks"): {
        "page": {"type": "integer", "minimum": 1},
        "page_size": {"type": "integer", "minimum": 1},
        "order": {"type": "string", "enum": ["id", "-id", "completed_at", "-completed_at"]},
    },
    ("POST", "/api/project"): {"desc": {"type": "string", "maxLength": 500}},
    ("GET", "/api/project-switch"): {"uuid": {"type": "string"}},
    ("GET", "/api/project/export"): {"format": {"type": "string"}},
    ("GET", "/api/project/export/summary"): {"format": {"type": "string"}},
    ("POST", "/api/project/import"): {"dry_run": {"type": "boolean"}},
    ("POST", "/api/project/storage-settings"): {
        "storage_for": {"type": "string", "enum": ["source", "target"]}
    },
    ("POST", "/api/tasks/{task_id}/completions"): {"was_cancelled": {"type": "boolean"}},
    ("GET", "/api/import-example-file"): {
        "q": {"type": "string", "enum": ["json", "csv", "tsv", "txt"]}
    },
    ("GET", "/api/models/predictions"): {
        "mode": {"type": "string", "enum": ["data", "all_tasks", "specific_tasks"]},
        "task_ids": {"type": "string"},
    },
}
ERRORS = {"401": "sign in first", "403": "not allowed", "404": "unknown id or project",
          "405": "method not allowed", "413": "too large", "429": "too many attempts"}  # fmt: skip
ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}}
COMPLETION = {
    "type": "object",
    "required": ["id", "result"],
    "properties": {"id": {"type": "integer"}, "created_at": {"type": "integer"},
                   "result": {"type": "array"}, "completed_by": {"type": "string"}},
}  # fmt: skip
TASK = {
    "type": "object",
    "required": ["id", "data", "completions", "predictions"],
    "properties": {
        "id": {"type": "integer"}, "data": {"type": "object"},
        "completions": {"type": "array", "items": COMPLETION},
        "predictions": {"type": "array"},
        "completed_at": {"type": "string", "nullable": True},
    },
}  # fmt: skip
PROJECT = {
    "type": "object",
    "required": ["uuid", "title", "task_count", "completion_count", "label_config"],
    "properties": {"uuid": {"type": "string"}, "title": {"type": "string"},
                   "task_count": {"type": "integer", "minimum": 0},
                   "completion_count": {"type": "integer", "minimum": 0},
                   "label_config": {"type": "string"}},
}  # fmt: skip
# The JSON a route answers on success, where it is fixed, by (method, path): (status, schema).
SUCCESS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("GET", "/api/tasks"): ("200", {"type": "array", "items": TASK}),
    ("GET", "/api/tasks/{task_id}"): ("200", TASK),
    ("PATCH", "/api/tasks/{task_id}"): ("200", TASK),
    ("POST", "/api/tasks/{task_id}"): ("200", TASK),
    ("GET", "/api/project/next"): ("200", TASK),
    ("GET", "/api/tasks/{task_id}/completions"): ("200", {"type": "array", "items": COMPLETION}),
    ("POST", "/api/tasks/{task_id}/completions"): (
        "201", {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
    ),
    ("GET", "/api/project"): ("200", PROJECT),
    ("PATCH", "/api/project"): ("200", PROJECT),
    ("POST", "/api/project"): ("201", PROJECT),
    ("GET", "/api/project-switch"): ("200", PROJECT),
    ("GET", "/api/completions"): (
        "200", {"type": "object", "required": ["ids"],
                "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}},
    ),
    ("GET", "/api/health"): ("200", {"type": "object", "required": ["status"]}),
}  # fmt: skip


def api_routes(app: web.Application) -> list[tuple[str, str, Any]]:
    """``(method, path, handler)`` of every `/api/` route, without trailing-slash twins."""
    found: dict[tuple[str, str], Any] = {}
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if not path.startswith("/api/") or path.endswith("/") or route.method in ("HEAD", "*"):
            continue
        found[(route.method, path)] = route.handler
    return [(m, p, h) for (m, p), h in sorted(found.items())]


def describe(app: web.Application) -> dict[str, Any]:
    """The OpenAPI document of ``app``'s API routes."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path, handler in api_routes(app):
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, handler)
    return {
        "openapi": "3.0.3",
        "info": {"title": "lsplug", "version": lsplug.__version__},
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "Authorization"},
                "basic": {"type": "http", "scheme": "basic"},
            }
        },
        "paths": paths,
    }


def _operation(method: str, path: str, handler: Any) -> dict[str, Any]:
    doc = inspect.getdoc(handler) or ""
    params = [_path_param(name) for name in re.findall(r"\{(\w+)\}", path)]
    query = {"project": {"type": "string"}, **QUERY.get((method, path), {})}
    params += [{"name": n, "in": "query", "required": False, "schema": s} for n, s in query.items()]
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{handler.__name__}",
        "summary": doc.splitlines()[0] if doc else handler.__name__,
        "parameters": params,
        "responses": _responses(method, path),
    }
    if method in ("POST", "PATCH", "PUT"):
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": {}}}}
    return op


def _responses(method: str, path: str) -> dict[str, Any]:
    """The success answer where it is fixed; 204 without a body; errors as ``{"detail"}``."""
    error = {"content": {"application/json": {"schema": ERROR}}}
    found: dict[str, Any] = {
        "default": {"description": "the answer (its format depends on the request)"},
        "204": {"description": "done; no body"},
        **{code: {"description": why, **error} for code, why in ERRORS.items()},
    }
    if (method, path) in SUCCESS:
        status, schema = SUCCESS[(method, path)]
        found[status] = {"description": "success",
                         "content": {"application/json": {"schema": schema}}}  # fmt: skip
    return found


def _path_param(name: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 0} if name in INTEGER_PARAMS else {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.0 description of this server's API."""
    return web.json_response(describe(request.app))
