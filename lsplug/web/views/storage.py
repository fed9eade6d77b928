"""Routes of `/api/project/storage-settings`: the storage forms and the switch."""

from __future__ import annotations

from aiohttp import web

from lsplug.errors import BadInput
from lsplug.hooks.types import StorageError
from lsplug.service.storage import public_settings, storage_forms
from lsplug.service.storage_switch import switch
from lsplug.web.access import jobs_of, project_of
from lsplug.web.owners import require_owner
from lsplug.web.requests import json_body

routes = web.RouteTableDef()


@routes.get("/api/project/storage-settings")
async def get_storage_settings(request: web.Request) -> web.Response:
    """The current source and target, and the form of every storage type."""
    project = project_of(request)
    stats = await project.store.outbox_stats(project.id)
    body = storage_forms(project)
    body["source_storage"] = public_settings(project, "source", project.storages.source_settings)
    body["target_storage"] = public_settings(project, "target", project.storages.sink_settings)
    body["sink_backlog"] = {
        "backlog": stats.backlog,
        "failing": stats.failing,
        "last_error": stats.last_error,
    }
    return web.json_response(body)


@routes.post("/api/project/storage-settings")
async def set_storage(request: web.Request) -> web.Response:
    """Switch the source or target; 400 with field errors and nothing switched on failure.
    Owners only."""
    await require_owner(request, "switching storage")
    role = request.query.get("storage_for", "source")
    if role not in ("source", "target"):
        raise BadInput(f"storage_for: {role!r} is not one of source, target")
    settings = await json_body(request)
    if not isinstance(settings, dict) or not isinstance(settings.get("type"), str):
        return web.json_response({"errors": {"type": ["the storage type is required"]}}, status=400)
    try:
        job = await switch(project_of(request), jobs_of(request), role, settings)  # type: ignore[arg-type]
    except StorageError as exc:
        return web.json_response({"errors": exc.errors}, status=400)
    return web.json_response({"result": "ok", "job": job.as_json() if job else None}, status=201)
