"""Routes of `/api/models`: connected model servers, training and predictions.

Model server URLs are shown with their credentials masked (:mod:`lsplug.config.redact`).
Predictions that store anything or start a job need POST: a GET (which a Lax cookie
follows from another site) only predicts one task's data."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from lsplug.config.redact import redact_settings
from lsplug.errors import BadInput, MethodNotAllowed
from lsplug.service.ml import Models
from lsplug.web.access import models_of, project_of
from lsplug.web.owners import require_owner
from lsplug.web.requests import json_body, json_bytes_response

routes = web.RouteTableDef()
INLINE_LIMIT = 1000  # specific_tasks up to this many are predicted before answering
MAX_TASK_IDS = 100_000  # task_ids in one request; mode=all_tasks predicts every task
MAX_ID = 2**63 - 1  # the stores' ids are 64-bit
MODES = ("data", "all_tasks", "specific_tasks")


@routes.get("/api/models")
async def list_models(request: web.Request) -> web.Response:
    """The connected model servers with their health, version and training state (URLs
    with their credentials masked)."""
    return web.json_response({"models": redact_settings(await models_of(request).refresh())})


@routes.delete("/api/models")
async def delete_model(request: web.Request) -> web.Response:
    """Disconnect the model named in the body; owners only."""
    await require_owner(request, "disconnecting a model server")
    body = await json_body(request)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str):
        raise BadInput('send {"name": "<model name>"}')
    models = models_of(request)
    await models.remove(_model_name(models, name))
    await project_of(request).patch({"ml_backends": models.entries()})
    return web.Response(status=204)


@routes.post("/api/models/train")
async def train(request: web.Request) -> web.Response:
    """Send every completed task to every connected model; owners only."""
    await require_owner(request, "training the models")
    jobs = await models_of(request).train()
    return web.json_response({"details": "Training started", "jobs": jobs})


def _model_name(models: Models, name: str) -> str:
    """The model a name means: its own name, or the masked name `/api/models` showed (a
    model named by its URL is listed with the URL's password masked)."""
    if name in models.models:
        return name
    shown = [n for n in models.models if redact_settings(n) == name]
    return shown[0] if len(shown) == 1 else name


def _task_ids(request: web.Request, body: Any) -> list[int]:
    raw: Any = request.query.get("task_ids")
    if raw is None and isinstance(body, dict):
        raw = body.get("task_ids")
    values = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise BadInput('task_ids: give ?task_ids=1,2,3 or a body {"task_ids": [1, 2, 3]}')
    if len(values) > MAX_TASK_IDS:
        raise BadInput(
            f"task_ids: at most {MAX_TASK_IDS} ids in one request, got {len(values)}; "
            "mode=all_tasks predicts every task"
        )
    return [_task_id(v, i) for i, v in enumerate(values)]


def _task_id(value: Any, index: int) -> int:
    """One task id: a whole number from 0 to 2**63-1 (a JSON number, or digits in the query)."""
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        digits = value.strip()
        value = int(digits) if len(digits) <= len(str(MAX_ID)) else MAX_ID + 1
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        raise BadInput(
            f"task_ids[{index}]: {shown} is not a task id (a whole number from 0 to {MAX_ID})"
        )
    return value


@routes.get("/api/models/predictions")
@routes.post("/api/models/predictions")
async def predictions(request: web.Request) -> web.Response:
    """Predict one task's data, some tasks, or all tasks (in the background)."""
    models, project = models_of(request), project_of(request)
    mode = request.query.get("mode", "data")
    if mode not in MODES:
        raise BadInput(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    if request.method == "GET" and mode != "data":
        raise MethodNotAllowed(
            f"mode={mode} stores predictions (and may start a job): use POST", allowed=["POST"]
        )
    if not models.models:
        raise BadInput("no model server is connected; connect one with ml_backends")
    body = await json_body(request, default={}) if request.can_read_body else {}
    if mode == "data":
        data = body.get("data", body) if isinstance(body, dict) else body
        return web.json_response({"data": data, "predictions": await models.predict_data(data)})
    if mode == "all_tasks":
        await require_owner(request, "predicting every task")
        return web.json_response({"job": (await models.start_predict_all()).as_json()})
    ids = _task_ids(request, body)
    if len(ids) > INLINE_LIMIT:
        return web.json_response({"job": (await models.start_predict_all(ids)).as_json()})
    records = await project.store.get_tasks(project.id, ids)
    await models.predict_records(records)
    fresh = await project.store.get_tasks(project.id, [r.id for r in records])
    return json_bytes_response(b"[" + b",".join(await project.served(fresh)) + b"]")
