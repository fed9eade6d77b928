"""Routes of `/api/models`: model servers, until an ML plugin is connected, say so plainly."""

from __future__ import annotations

from aiohttp import web

from lsplug.errors import BadInput, NotFound
from lsplug.web.keys import PROJECT
from lsplug.web.requests import json_body

routes = web.RouteTableDef()


@routes.get("/api/models")
async def list_models(request: web.Request) -> web.Response:
    """The model servers configured for the project."""
    entries = request.app[PROJECT].setting_list("ml_backends")
    models = [{"name": e.get("name") or e["url"], "url": e["url"], "connected": False,
               "model_version": None, "is_training": False} for e in entries]  # fmt: skip
    return web.json_response({"models": models})


@routes.delete("/api/models")
async def delete_model(request: web.Request) -> web.Response:
    """Remove the model named in the body."""
    body = await json_body(request)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str):
        raise BadInput('send {"name": "<model name>"}')
    raise NotFound(f"model {name!r} not found")


@routes.post("/api/models/train")
async def train(request: web.Request) -> web.Response:
    """Send the training signal: no model server is connected yet."""
    raise BadInput("no model server is connected; connect one with ml_backends")


@routes.get("/api/models/predictions")
@routes.post("/api/models/predictions")
async def predictions(request: web.Request) -> web.Response:
    """Predict tasks: no model server is connected yet."""
    raise BadInput("no model server is connected; connect one with ml_backends")
