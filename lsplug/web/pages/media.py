"""Routes `/data/upload/<file>` (uploaded media) and `/data/local-files/?d=<path>` (media
from the folders listed in ``local_files_roots``, never from anywhere else).

An uploaded file is served only when it is a regular file directly inside the upload
folder, neither it nor the folder a link: a link placed there never exposes another file.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import stat
import unicodedata
from pathlib import Path

from aiohttp import web

from lsplug.errors import BadInput, NotFound
from lsplug.web.keys import CONFIG

routes = web.RouteTableDef()
INLINE_TYPES = ("image/", "audio/", "video/", "text/plain")
NEVER_INLINE = frozenset({"image/svg+xml"})  # an SVG runs scripts


@routes.get("/data/upload/{name}")
async def uploaded_file(request: web.Request) -> web.FileResponse:
    """One uploaded file, from the same origin as the editor (images need it for canvas)."""
    name = request.match_info["name"]
    folder = request.app[CONFIG].data_path / "upload"
    if not await asyncio.to_thread(_plain_upload, folder, name):
        raise NotFound(f"no uploaded file {name!r}")
    return _safe_file(folder / name)


def _plain_upload(folder: Path, name: str) -> bool:
    """Whether ``name`` is a regular file directly in ``folder``, neither of them a link."""
    if name.startswith(".") or "/" in name or "\\" in name or _has_control(name):
        return False
    try:
        folder_mode = os.lstat(folder).st_mode
        file_mode = os.lstat(folder / name).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISDIR(folder_mode) and stat.S_ISREG(file_mode)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _safe_file(path: Path) -> web.FileResponse:
    """A file served so that it cannot run script on our origin (no inline HTML or SVG)."""
    headers = {"Cache-Control": "public, max-age=3600", "Content-Security-Policy": "sandbox"}
    ctype = mimetypes.guess_type(path.name)[0] or ""
    if not ctype.startswith(INLINE_TYPES) or ctype in NEVER_INLINE:
        headers["Content-Type"] = "application/octet-stream"
        headers["Content-Disposition"] = "attachment"
    return web.FileResponse(path, headers=headers)


def _inside_roots(wanted: str, roots: list[Path]) -> Path | None:
    """The file ``wanted`` names inside one of ``roots``, after following every link."""
    candidate = Path(wanted)
    if ".." in candidate.parts:
        return None
    for root in roots:
        try:
            real_root = root.resolve()
            path = (candidate if candidate.is_absolute() else real_root / candidate).resolve()
            if path.is_relative_to(real_root) and path.is_file():
                return path
        except (OSError, ValueError):  # a name too long for the file system
            continue
    return None


@routes.get("/data/local-files/")
async def local_file(request: web.Request) -> web.FileResponse:
    """A local media file (``?d=`` relative to a root, or absolute inside one)."""
    config = request.app[CONFIG]
    wanted = request.query.get("d", "")
    if not config.local_files_roots:
        raise NotFound("serving local files is off: list folders in local_files_roots")
    if _has_control(wanted):
        raise BadInput(f"d: {wanted!r} holds a control character; no file name does")
    roots = [config.path(r) for r in config.local_files_roots]
    found = await asyncio.to_thread(_inside_roots, wanted, roots) if wanted else None
    if found is None:
        raise NotFound(f"no file {wanted!r} in the folders of local_files_roots")
    return _safe_file(found)
