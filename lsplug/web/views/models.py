"""Routes of `/api/models`: connected model servers, training and predictions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from lsplug.errors import BadInput
from lsplug.web.access import models_of, project_of
from lsplug.web.owners import require_owner
from lsplug.web.requests import json_body, json_bytes_response

routes = web.RouteTableDef()
INLINE_LIMIT = 1000  # specific_tasks up to this many are predicted before answering


@routes.get("/api/models")
async def list_models(request: web.Request) -> web.Response:
    """The connected model servers with their health, version and training state."""
    return web.json_response({"models": await models_of(request).refresh()})


@routes.delete("/api/models")
async def delete_model(request: web.Request) -> web.Response:
    """Disconnect the model named in the body; owners only."""
    await require_owner(request, "disconnecting a model server")
    body = await json_body(request)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str):
        raise BadInput('send {"name": "<model name>"}')
    models = models_of(request)
    await models.remove(name)
    await project_of(request).patch({"ml_backends": models.entries()})
    return web.Response(status=204)


@routes.post("/api/models/train")
async def train(request: web.Request) -> web.Response:
    """Send every completed task to every connected model; owners only."""
    await require_owner(request, "training the models")
    jobs = await models_of(request).train()
    return web.json_response({"details": "Training started", "jobs": jobs})


def _task_ids(request: web.Request, body: Any) -> list[int]:
    raw: Any = request.query.get("task_ids")
    if raw is None and isinstance(body, dict):
        raw = body.get("task_ids")
    values = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise BadInput('task_ids: give ?task_ids=1,2,3 or a body {"task_ids": [1, 2, 3]}')
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise BadInput(f"task_ids: {raw!r} holds something that is not a task id") from None


@routes.get("/api/models/predictions")
@routes.post("/api/models/predictions")
async def predictions(request: web.Request) -> web.Response:
    """Predict one task's data, some tasks, or all tasks (in the background)."""
    models, project = models_of(request), project_of(request)
    mode = request.query.get("mode", "data")
    if not models.models:
        raise BadInput("no model server is connected; connect one with ml_backends")
    body = await json_body(request, default={}) if request.can_read_body else {}
    if mode == "data":
        data = body.get("data", body) if isinstance(body, dict) else body
        return web.json_response({"data": data, "predictions": await models.predict_data(data)})
    if mode == "all_tasks":
        await require_owner(request, "predicting every task")
        return web.json_response({"job": (await models.start_predict_all()).as_json()})
    if mode != "specific_tasks":
        raise BadInput(f"mode: {mode!r} is not one of data, all_tasks, specific_tasks")
    ids = _task_ids(request, body)
    if len(ids) > INLINE_LIMIT:
        return web.json_response({"job": (await models.start_predict_all(ids)).as_json()})
    records = await project.store.get_tasks(project.id, ids)
    await models.predict_records(records)
    fresh = await project.store.get_tasks(project.id, [r.id for r in records])
    return json_bytes_response(b"[" + b",".join(await project.served(fresh)) + b"]")
