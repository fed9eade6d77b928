"""Routes of `/api/project`: settings, label config, the next task."""

from __future__ import annotations

from aiohttp import web

from lsplug.config import parse_ml_backend
from lsplug.errors import BadInput
from lsplug.web.keys import MODELS, PROJECT
from lsplug.web.requests import client_id, json_body, json_bytes_response

routes = web.RouteTableDef()


@routes.get("/api/project")
async def get_project(request: web.Request) -> web.Response:
    """Settings and state of the project."""
    return web.json_response(await request.app[PROJECT].info())


@routes.patch("/api/project")
async def patch_project(request: web.Request) -> web.Response:
    """Change runtime settings (title, instruction, sampling, lease_seconds)."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object of settings")
    if "ml_backend" in body:  # "URL" or "name=URL": connect a model server
        value = body.pop("ml_backend")
        if not isinstance(value, str):
            raise BadInput('ml_backend: expected "URL" or "name=URL"')
        spec = parse_ml_backend(value)
        models = request.app[MODELS]
        await models.add(spec["url"], spec.get("name"))
        body["ml_backends"] = models.entries()
    return web.json_response(await request.app[PROJECT].patch(body))


@routes.post("/api/project")
async def create_project(request: web.Request) -> web.Response:
    """Create a project: only in multi-session mode."""
    raise BadInput("this server runs one project; start it with --multi-session to create more")


async def label_config_input(request: web.Request) -> str:
    """The label config of a request: JSON ``label_config``, a form field, or an XML body."""
    ctype = request.content_type
    if ctype in ("application/xml", "text/xml"):
        return await request.text()
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get("label_config")
    else:
        body = await json_body(request)
        value = body.get("label_config") if isinstance(body, dict) else None
    if not isinstance(value, str):
        raise BadInput(
            "label_config is missing",
            label_config=['label_config is missing: send {"label_config": "<View>...</View>"}'],
        )
    return value


@routes.post("/api/project/config")
async def save_label_config(request: web.Request) -> web.Response:
    """Save the label config: 201 when valid, 400 with its errors otherwise."""
    xml = await label_config_input(request)
    await request.app[PROJECT].save_label_config(xml)
    return web.json_response({"label_config": xml}, status=201)


@routes.post("/api/validate-config")
async def validate_label_config(request: web.Request) -> web.Response:
    """Check a label config without saving it: 204 when valid."""
    request.app[PROJECT].check_label_config(await label_config_input(request))
    return web.Response(status=204)


@routes.get("/api/project/next")
async def next_task(request: web.Request) -> web.Response:
    """Lease the next task to label to this client."""
    return json_bytes_response(await request.app[PROJECT].next_task(client_id(request)))
