"""Routes of `/api/project/export`: the formats that fit, the streamed download, its summary.

A one-file format (CSV, CoNLL...) cannot say what it left out once its body is streaming, so
every export answers an ``X-Lsplug-Export-Summary`` header with the address of its summary:
``/api/project/export/summary`` with the same query runs the same export without sending
it and answers what it wrote and left out (the zips also carry it as export_summary.json).
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

from aiohttp import web

from lsplug.errors import BadInput
from lsplug.export.resources import resource_reader
from lsplug.hooks.types import ExportContext, Exporter, ExportOptions
from lsplug.service.project import Project
from lsplug.web.access import project_of
from lsplug.web.requests import flag

routes = web.RouteTableDef()
SUMMARY_ROUTE = "/api/project/export/summary"


@routes.get("/api/project/export/formats")
async def formats(request: web.Request) -> web.Response:
    """The formats that fit the current label config, each with its default for skips."""
    return web.json_response([e.as_json() for e in project_of(request).formats()])


def export_options(request: web.Request) -> ExportOptions:
    """The export's options from the query (``include_cancelled`` unset: the format decides)."""
    completions = request.query.get("completions", "all")
    if completions not in ("all", "newest"):
        raise BadInput(f"completions: {completions!r} is not one of all, newest")
    cancelled = request.query.get("include_cancelled", "")
    return ExportOptions(
        only_labeled=flag(request, "only_labeled", True),
        completions="newest" if completions == "newest" else "all",
        include_cancelled=flag(request, "include_cancelled", True) if cancelled else None,
        download_resources=flag(request, "download_resources", False),
    )


def _context(request: web.Request, project: Project, exporter: Exporter) -> ExportContext:
    """What the exporter gets: the options settled for its format, a fresh summary."""
    options = exporter.options_for(export_options(request))
    reader = resource_reader(project.config)  # the project's own folders only
    return ExportContext(project.label_config, options, project.setting("title"), reader)


def _summary_url(request: web.Request) -> str:
    """The summary route with the export's own query."""
    query = urlencode(list(request.query.items()))
    return f"{SUMMARY_ROUTE}?{query}" if query else SUMMARY_ROUTE


def _run(project: Project, exporter: Exporter, ctx: ExportContext) -> AsyncIterator[bytes]:
    return exporter.stream(project.export_tasks(ctx.options), ctx)


@routes.get("/api/project/export")
async def export(request: web.Request) -> web.StreamResponse:
    """Stream the export file (or zip) as it is produced."""
    project = project_of(request)
    exporter = project.exporter(request.query.get("format", "JSON"))
    ctx = _context(request, project, exporter)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", str(project.setting("title"))).strip("-") or "export"
    name = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.{exporter.extension}"
    response = web.StreamResponse(headers={
        "Content-Type": exporter.media_type,
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Lsplug-Export-Summary": _summary_url(request),
    })  # fmt: skip
    await response.prepare(request)
    async for chunk in _run(project, exporter, ctx):
        await response.write(chunk)
    await response.write_eof()
    return response


@routes.get(SUMMARY_ROUTE)
async def summary(request: web.Request) -> web.Response:
    """What the export with this query writes and leaves out, without sending the export."""
    project = project_of(request)
    exporter = project.exporter(request.query.get("format", "JSON"))
    ctx = _context(request, project, exporter)
    async for _ in _run(project, exporter, ctx):
        pass
    return web.json_response(ctx.summary.as_json())
