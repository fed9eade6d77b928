"""Route of `/api/project/import`: JSON bodies and uploaded files, all or nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
from aiohttp import BodyPartReader, web

from lsplug.errors import BadInput, TooLarge
from lsplug.importer.formats import FormatError, read_tasks
from lsplug.importer.zipped import read_zip
from lsplug.service.fetch import fetch, url_of
from lsplug.service.project import Project
from lsplug.service.uploads import URL_PREFIX, media_key, media_kind, store_upload
from lsplug.web.access import author_of, project_of
from lsplug.web.keys import CONFIG
from lsplug.web.requests import flag, json_body, json_bytes_response

routes = web.RouteTableDef()


@routes.post("/api/project/import")
async def import_tasks(request: web.Request) -> web.Response:
    """Import a JSON list or object, or multipart files; 201 with counts, 400 with errors.

    ``?dry_run=1`` checks everything and answers 200 with the counts, saving nothing.
    """
    project = project_of(request)
    stored: list[Path] = []  # media files written for this import: removed if it fails
    try:
        return await _import(request, project, stored)
    except BaseException:
        _remove(stored)
        raise


async def _import(request: web.Request, project: Project, stored: list[Path]) -> web.Response:
    if request.content_type == "multipart/form-data":
        items = await _uploaded_items(request, project.label_config.data_types, stored)
    elif request.content_type == "application/x-www-form-urlencoded" and _is_url_form(
        await request.read()
    ):
        url = (await request.post()).get("url")
        items = await _fetched_items(request, str(url or ""), project.label_config.data_types)
    else:
        body = await json_body(request)
        url = url_of(body) if "url" not in project.label_config.data_types else None
        if url is not None:  # {"url": ...}: fetch that file (unless "url" is a data key)
            items = await _fetched_items(request, url, project.label_config.data_types)
        else:
            items = body if isinstance(body, list) else [body]
    if flag(request, "dry_run", False):  # check only: 200 with what would be imported
        summary = await project.import_items(items, dry_run=True, author=author_of(request))
        _remove(stored)
        return json_bytes_response(orjson.dumps(summary.as_json()))
    summary = await project.import_items(items, author=author_of(request))
    return json_bytes_response(orjson.dumps(summary.as_json()), status=201)


def _is_url_form(raw: bytes) -> bool:
    """A form with a ``url`` field; other form-encoded bodies are JSON sent by `curl -d`."""
    return raw.startswith(b"url=")


async def _fetched_items(request: web.Request, url: str, data_types: dict[str, str]) -> list[Any]:
    """The tasks of the file at ``url`` (http(s), public or allowed hosts, size-limited)."""
    config = request.app[CONFIG]
    fetched = await fetch(url, config.allowed_hosts, config.max_body_bytes)
    return _tasks_of(fetched.name, fetched.content, data_types, config.max_body_bytes)


def _tasks_of(name: str, content: bytes, data_types: dict[str, str], limit: int) -> list[Any]:
    """The tasks of one file; a `.zip` is opened and each task file in it read."""
    key = next(iter(data_types), None)
    try:
        if name.lower().endswith(".zip"):
            return read_zip(name, content, key, limit)
        return read_tasks(name, content, key)
    except FormatError as exc:
        raise BadInput(str(exc)) from None


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def _media_item(
    request: web.Request, name: str, content: bytes, data_types: dict[str, str], kind: str
) -> tuple[dict[str, str], Path]:
    """Store an uploaded media file under a random name; its task points at it."""
    key = media_key(data_types, kind)
    if key is None:
        raise BadInput(f"{name}: the label config has no data key for a {kind} file")
    folder = request.app[CONFIG].data_path / "upload"
    path = await asyncio.to_thread(store_upload, folder, name, content)
    return {key: URL_PREFIX + path.name}, path


async def _uploaded_items(
    request: web.Request, data_types: dict[str, str], stored: list[Path]
) -> list[Any]:
    """Every task of every uploaded file, in upload order; media files become one task."""
    limit = request.app[CONFIG].max_body_bytes
    items: list[Any] = []
    reader = await request.multipart()
    total = 0
    async for part in reader:
        if not isinstance(part, BodyPartReader) or not part.filename:
            continue
        content = await _read_part(part, limit - total)
        total += len(content)
        kind = media_kind(part.filename)
        if kind is None:
            items.extend(_tasks_of(part.filename, content, data_types, limit))
            continue
        item, path = await _media_item(request, part.filename, content, data_types, kind)
        stored.append(path)
        items.append(item)
    if total == 0 and not items:
        raise BadInput("no file was uploaded: send files as multipart/form-data (field FileUpload)")
    return items


async def _read_part(part: BodyPartReader, budget: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(1 << 20):
        size += len(chunk)
        if size > budget:
            raise TooLarge(
                f"the upload is larger than the limit of {budget} bytes (setting max_body_mb)"
            )
        chunks.append(chunk)
    return b"".join(chunks)
