"""Route of `/api/project/import`: JSON bodies and uploaded files, all or nothing."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import BodyPartReader, web

from lsplug.errors import BadInput, TooLarge
from lsplug.importer.formats import FormatError, read_tasks
from lsplug.web.keys import CONFIG, PROJECT
from lsplug.web.requests import flag, json_body, json_bytes_response

routes = web.RouteTableDef()


@routes.post("/api/project/import")
async def import_tasks(request: web.Request) -> web.Response:
    """Import a JSON list or object, or multipart files; 201 with counts, 400 with errors.

    ``?dry_run=1`` checks everything and answers 200 with the counts, saving nothing.
    """
    project = request.app[PROJECT]
    if request.content_type == "multipart/form-data":
        items = await _uploaded_items(request, project.label_config.data_types)
    elif request.content_type == "application/x-www-form-urlencoded" and _is_url_form(
        await request.read()
    ):
        raise BadInput("importing from a URL is not available yet; upload the file instead")
    else:
        body = await json_body(request)
        items = body if isinstance(body, list) else [body]
    if flag(request, "dry_run", False):  # check only: 200 with what would be imported
        summary = await project.import_items(items, dry_run=True)
        return json_bytes_response(orjson.dumps(summary.as_json()))
    summary = await project.import_items(items)
    return json_bytes_response(orjson.dumps(summary.as_json()), status=201)


def _is_url_form(raw: bytes) -> bool:
    """A form with a ``url`` field; other form-encoded bodies are JSON sent by `curl -d`."""
    return raw.startswith(b"url=")


async def _uploaded_items(request: web.Request, data_types: dict[str, str]) -> list[Any]:
    """Every task of every uploaded file, in upload order."""
    limit = request.app[CONFIG].max_body_bytes
    items: list[Any] = []
    reader = await request.multipart()
    total = 0
    async for part in reader:
        if not isinstance(part, BodyPartReader) or not part.filename:
            continue
        content = await _read_part(part, limit - total)
        total += len(content)
        key = next(iter(data_types), None)
        try:
            items.extend(read_tasks(part.filename, content, key))
        except FormatError as exc:
            raise BadInput(str(exc)) from None
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
