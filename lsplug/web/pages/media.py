"""Route `/data/upload/<file>`: media files uploaded into ``<data_dir>/upload``."""

from __future__ import annotations

import mimetypes

from aiohttp import web

from lsplug.errors import NotFound
from lsplug.web.keys import CONFIG

routes = web.RouteTableDef()
INLINE_TYPES = ("image/", "audio/", "video/", "text/plain")
NEVER_INLINE = frozenset({"image/svg+xml"})  # an SVG runs scripts


@routes.get("/data/upload/{name}")
async def uploaded_file(request: web.Request) -> web.FileResponse:
    """One uploaded file, from the same origin as the editor (images need it for canvas)."""
    name = request.match_info["name"]
    folder = request.app[CONFIG].data_path / "upload"
    path = folder / name
    if name.startswith(".") or "/" in name or "\\" in name or not path.is_file():
        raise NotFound(f"no uploaded file {name!r}")
    headers = {"Cache-Control": "public, max-age=3600", "Content-Security-Policy": "sandbox"}
    ctype = mimetypes.guess_type(name)[0] or ""
    if not ctype.startswith(INLINE_TYPES) or ctype in NEVER_INLINE:  # no HTML/SVG on our origin
        headers["Content-Type"] = "application/octet-stream"
        headers["Content-Disposition"] = "attachment"
    return web.FileResponse(path, headers=headers)
