"""Routes of `/api/project/export`: the formats that fit, and the streamed download."""

from __future__ import annotations

import re
import time

from aiohttp import web

from lsplug.errors import BadInput
from lsplug.export.resources import resource_reader
from lsplug.hooks.types import ExportContext, ExportOptions
from lsplug.web.access import project_of
from lsplug.web.requests import flag

routes = web.RouteTableDef()


@routes.get("/api/project/export/formats")
async def formats(request: web.Request) -> web.Response:
    """The formats that fit the current label config."""
    return web.json_response([e.as_json() for e in project_of(request).formats()])


def export_options(request: web.Request) -> ExportOptions:
    """The export's options from the query."""
    completions = request.query.get("completions", "all")
    if completions not in ("all", "newest"):
        raise BadInput(f"completions: {completions!r} is not one of all, newest")
    return ExportOptions(
        only_labeled=flag(request, "only_labeled", True),
        completions="newest" if completions == "newest" else "all",
        include_cancelled=flag(request, "include_cancelled", True),
        download_resources=flag(request, "download_resources", False),
    )


@routes.get("/api/project/export")
async def export(request: web.Request) -> web.StreamResponse:
    """Stream the export file (or zip) as it is produced."""
    project = project_of(request)
    exporter = project.exporter(request.query.get("format", "JSON"))
    options = export_options(request)
    reader = resource_reader(project.config)  # the project's own folders only
    ctx = ExportContext(project.label_config, options, project.setting("title"), reader)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", str(project.setting("title"))).strip("-") or "export"
    name = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.{exporter.extension}"
    response = web.StreamResponse(headers={
        "Content-Type": exporter.media_type,
        "Content-Disposition": f'attachment; filename="{name}"',
    })  # fmt: skip
    await response.prepare(request)
    async for chunk in exporter.export(project.export_tasks(options), ctx):
        await response.write(chunk)
    await response.write_eof()
    return response
