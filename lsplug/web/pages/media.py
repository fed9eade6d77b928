"""Route `/data/upload/<file>`: media files uploaded into ``<data_dir>/upload``."""

from __future__ import annotations

from aiohttp import web

from lsplug.errors import NotFound
from lsplug.web.keys import CONFIG

routes = web.RouteTableDef()


@routes.get("/data/upload/{name}")
async def uploaded_file(request: web.Request) -> web.FileResponse:
    """One uploaded file, from the same origin as the editor (images need it for canvas)."""
    name = request.match_info["name"]
    folder = request.app[CONFIG].data_path / "upload"
    path = folder / name
    if name.startswith(".") or "/" in name or "\\" in name or not path.is_file():
        raise NotFound(f"no uploaded file {name!r}")
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})
