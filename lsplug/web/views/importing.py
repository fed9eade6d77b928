"""Route of `/api/project/import`: JSON bodies and uploaded files, all or nothing.

A multipart body is read as async I/O and split in a thread; turning files into tasks,
opening zips and storing media happen in one more thread call, so the event loop never
waits on parsing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from lsplug.errors import BadInput
from lsplug.service.bulk import gc_paused
from lsplug.service.fetch import fetch, url_of
from lsplug.service.items import release
from lsplug.service.project import Project
from lsplug.service.uploads import Upload, file_items, uploaded_items
from lsplug.web.access import author_of, project_of
from lsplug.web.keys import CONFIG
from lsplug.web.requests import (
    body_bytes,
    flag,
    form_fields,
    json_body,
    json_bytes_response,
    multipart_parts,
)

routes = web.RouteTableDef()


@routes.post("/api/project/import")
async def import_tasks(request: web.Request) -> web.Response:
    """Import a JSON list or object, or multipart files; 201 with counts, 400 with errors.

    ``?dry_run=1`` checks everything and answers 200 with the counts, saving nothing.
    """
    project = project_of(request)
    stored: list[Path] = []  # media files written for this import: removed if it fails
    try:
        with gc_paused():  # a collection walking a million new dicts would stall the loop
            return await _import(request, project, stored)
    except BaseException:
        await asyncio.to_thread(_remove, stored)
        raise


async def _import(request: web.Request, project: Project, stored: list[Path]) -> web.Response:
    items = await _items(request, project.label_config.data_types, stored)
    dry_run = flag(request, "dry_run", False)  # check only: 200 with what would be imported
    try:
        summary = await project.import_items(items, dry_run=dry_run, author=author_of(request))
    finally:
        await asyncio.to_thread(release, items)  # freeing a million dicts takes 0.15 s
    answer = await asyncio.to_thread(orjson.dumps, summary.as_json())  # maybe a million ids
    if dry_run:
        await asyncio.to_thread(_remove, stored)
        return json_bytes_response(answer)
    return json_bytes_response(answer, status=201)


async def _items(request: web.Request, data_types: dict[str, str], stored: list[Path]) -> list[Any]:
    """The items of the request: its JSON, its uploaded files or the file at its URL."""
    if request.content_type == "multipart/form-data":
        items = await _uploaded_items(request, data_types, stored)
    elif request.content_type == "application/x-www-form-urlencoded" and _is_url_form(
        await body_bytes(request)
    ):
        url = (await form_fields(request)).get("url")
        items = await _fetched_items(request, str(url or ""), data_types)
    else:
        body = await json_body(request)
        url = url_of(body) if "url" not in data_types else None
        if url is not None:  # {"url": ...}: fetch that file (unless "url" is a data key)
            items = await _fetched_items(request, url, data_types)
        else:
            items = body if isinstance(body, list) else [body]
    return items


def _is_url_form(raw: bytes) -> bool:
    """A form with a ``url`` field; other form-encoded bodies are JSON sent by `curl -d`."""
    return raw.startswith(b"url=")


async def _fetched_items(request: web.Request, url: str, data_types: dict[str, str]) -> list[Any]:
    """The tasks of the file at ``url`` (http(s), public or allowed hosts, size-limited)."""
    config = request.app[CONFIG]
    fetched = await fetch(url, config.allowed_hosts, config.max_body_bytes)
    return await asyncio.to_thread(
        file_items, fetched.name, fetched.content, data_types, config.max_expanded_bytes
    )


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def _uploaded_items(
    request: web.Request, data_types: dict[str, str], stored: list[Path]
) -> list[Any]:
    """Every task of every uploaded file, in upload order; media files become one task."""
    config = request.app[CONFIG]
    parts = await multipart_parts(request)
    uploads = [Upload(part.filename, part.content) for part in parts if part.filename]
    if not uploads:
        raise BadInput("no file was uploaded: send files as multipart/form-data (field FileUpload)")
    folder = config.data_path / "upload"
    limit = config.max_expanded_bytes
    return await asyncio.to_thread(uploaded_items, uploads, data_types, folder, limit, stored)
