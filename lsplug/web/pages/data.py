"""Pages `/import` and `/export`."""

from __future__ import annotations

from aiohttp import web

from lsplug.web.access import project_of
from lsplug.web.keys import CONFIG
from lsplug.web.pages.layout import render_page

routes = web.RouteTableDef()


@routes.get("/import")
async def import_page(request: web.Request) -> web.Response:
    """Drop files or paste JSON; check before importing."""
    project = project_of(request)
    return render_page(request, "import.html", {
        "title": "Import",
        "data_types": project.label_config.data_types,
        "max_body_mb": request.app[CONFIG].max_body_mb,
        "info": await project.info(),
    })  # fmt: skip


@routes.get("/export")
async def export_page(request: web.Request) -> web.Response:
    """The formats that fit the label config, with their options."""
    project = project_of(request)
    return render_page(request, "export.html", {
        "title": "Export",
        "formats": [e.as_json() for e in project.formats()],
        "info": await project.info(),
    })  # fmt: skip
