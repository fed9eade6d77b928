"""Routes of `/api/tasks`, their completions, and `/api/completions`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import orjson
from aiohttp import web

from lsplug.errors import BadInput, NotFound
from lsplug.store import TASK_ORDERS, TaskOrder
from lsplug.web.access import author_of, project_of
from lsplug.web.owners import require_owner
from lsplug.web.requests import client_id, flag, int_param, json_body, json_bytes_response

routes = web.RouteTableDef()
STREAM_ABOVE = 1000  # page sizes above this are streamed rather than built in memory


def _task_id(request: web.Request, name: str = "task_id") -> int:
    value = request.match_info[name]
    try:
        number = int(value)
    except ValueError:
        raise BadInput(f"{name}: {value!r} is not an integer id") from None
    if not -(2**63) <= number < 2**63:  # no store id is that large: unknown, not a crash
        raise NotFound(f"{name.removesuffix('_id')} {value} not found")
    return number


async def _stream(request: web.Request, chunks: AsyncIterator[bytes]) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    async for chunk in chunks:
        await response.write(chunk)
    await response.write_eof()
    return response


@routes.get("/api/tasks")
async def list_tasks(request: web.Request) -> web.StreamResponse:
    """One page of tasks with completions and predictions."""
    page = int_param(request, "page", 1)
    page_size = int_param(request, "page_size", 10)
    order = request.query.get("order", "id")
    if order not in TASK_ORDERS:
        raise BadInput(f"order: {order!r} is not one of {', '.join(TASK_ORDERS)}")
    chunks = project_of(request).task_page(page, page_size, cast(TaskOrder, order))
    if page_size > STREAM_ABOVE:
        return await _stream(request, chunks)
    return json_bytes_response(b"".join([c async for c in chunks]))


@routes.delete("/api/tasks")
async def delete_all_tasks(request: web.Request) -> web.Response:
    """Delete every task with its completions and predictions; owners only."""
    await require_owner(request, "deleting every task")
    await project_of(request).delete_all_tasks()
    return web.Response(status=204)


@routes.get("/api/tasks/{task_id}")
async def get_task(request: web.Request) -> web.Response:
    """One task."""
    return json_bytes_response(await project_of(request).task_json(_task_id(request)))


@routes.delete("/api/tasks/{task_id}")
async def delete_task(request: web.Request) -> web.Response:
    """Delete one task."""
    await project_of(request).delete_task(_task_id(request))
    return web.Response(status=204)


@routes.patch("/api/tasks/{task_id}")
@routes.post("/api/tasks/{task_id}")
async def rewrite_task(request: web.Request) -> web.Response:
    """Rewrite a task's data, completions, predictions or meta."""
    task_id = _task_id(request)
    body = await json_body(request)
    rewritten = await project_of(request).rewrite_task(task_id, body, author_of(request))
    return json_bytes_response(rewritten)


@routes.post("/api/tasks/{task_id}/release")
async def release_task(request: web.Request) -> web.Response:
    """Give back a task handed out by `/api/project/next` before its lease runs out."""
    await project_of(request).release(_task_id(request), client_id(request))
    return web.Response(status=204)


@routes.post("/api/tasks/{task_id}/completions")
async def add_completion(request: web.Request) -> web.Response:
    """Save a completion; ``?was_cancelled=1`` records a skip. Durable once answered."""
    task_id = _task_id(request)
    body = await json_body(request, default={})
    cancelled = flag(request, "was_cancelled", False)
    if isinstance(body, dict) and body.get("was_cancelled") is True:
        cancelled = True
    saved = await project_of(request).add_completion(task_id, body, cancelled, author_of(request))
    return web.json_response({"id": saved["id"]}, status=201)


@routes.get("/api/tasks/{task_id}/completions")
async def list_completions(request: web.Request) -> web.Response:
    """A task's completions."""
    found = await project_of(request).completions(_task_id(request))
    return json_bytes_response(orjson.dumps(found))


@routes.delete("/api/tasks/{task_id}/completions")
async def delete_task_completions(request: web.Request) -> web.Response:
    """Delete a task's completions."""
    await project_of(request).delete_task_completions(_task_id(request))
    return web.Response(status=204)


@routes.patch("/api/tasks/{task_id}/completions/{completion_id}")
async def update_completion(request: web.Request) -> web.Response:
    """Merge fields into a completion."""
    task_id, completion_id = _task_id(request), _task_id(request, "completion_id")
    patch = await json_body(request)
    project, author = project_of(request), author_of(request)
    saved = await project.update_completion(task_id, completion_id, patch, author)
    return json_bytes_response(orjson.dumps(saved))


@routes.delete("/api/tasks/{task_id}/completions/{completion_id}")
async def delete_completion(request: web.Request) -> web.Response:
    """Delete one completion."""
    task_id, completion_id = _task_id(request), _task_id(request, "completion_id")
    await project_of(request).delete_completion(task_id, completion_id)
    return web.Response(status=204)


@routes.get("/api/completions")
async def labeled_ids(request: web.Request) -> web.StreamResponse:
    """``{"ids": [...]}``: the tasks that have completions."""
    return await _stream(request, project_of(request).labeled_ids())


@routes.delete("/api/completions")
async def delete_all_completions(request: web.Request) -> web.Response:
    """Delete every completion of the project; owners only."""
    await require_owner(request, "deleting every completion")
    await project_of(request).delete_all_completions()
    return web.Response(status=204)
