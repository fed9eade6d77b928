"""Pages `/model` and `/storage`: model servers, the source and target storages."""

from __future__ import annotations

from aiohttp import web

from lsplug.web.access import project_of
from lsplug.web.pages.layout import render_page

routes = web.RouteTableDef()


@routes.get("/model")
async def model_page(request: web.Request) -> web.Response:
    """The model servers (`/api/models`), with train and predict buttons."""
    return render_page(request, "model.html", {"title": "Model"})


@routes.get("/storage")
async def storage_page(request: web.Request) -> web.Response:
    """Source and target forms from the plugins' fields, sync jobs, the sink backlog."""
    info = await project_of(request).info()
    return render_page(request, "storage.html", {"title": "Storage", "info": info})
