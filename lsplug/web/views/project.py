"""Routes of `/api/project`: settings, label config, the next task."""

from __future__ import annotations

import asyncio

from aiohttp import web

from lsplug.config import parse_ml_backend
from lsplug.errors import BadInput, Forbidden, NotFound
from lsplug.web.access import caller_of, may_open, models_of, project_of, remember_project
from lsplug.web.keys import CONFIG, PROJECTS
from lsplug.web.owners import require_owner
from lsplug.web.requests import (
    FORM_TYPES,
    client_id,
    form_fields,
    json_body,
    json_bytes_response,
    text_body,
)

routes = web.RouteTableDef()


@routes.get("/api/project")
async def get_project(request: web.Request) -> web.Response:
    """Settings and state of the project."""
    return web.json_response(await project_of(request).info())


@routes.patch("/api/project")
async def patch_project(request: web.Request) -> web.Response:
    """Change runtime settings (title, instruction, sampling, lease_seconds, ml_backends);
    ``ml_backend`` connects a model server. Owners only; every value is checked first."""
    await require_owner(request, "changing the project's settings")
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object of settings")
    project = project_of(request)
    project.check_changes({k: v for k, v in body.items() if k != "ml_backend"})
    if "ml_backend" in body:  # "URL" or "name=URL": connect a model server
        value = body.pop("ml_backend")
        if not isinstance(value, str):
            raise BadInput('ml_backend: expected "URL" or "name=URL"')
        spec = parse_ml_backend(value)
        models = models_of(request)
        await models.add(spec["url"], spec.get("name"))
        body["ml_backends"] = models.entries()
    return web.json_response(await project.patch(body))


@routes.post("/api/project")
async def create_project(request: web.Request) -> web.Response:
    """Create a project (multi-session mode): 201 with it; its creator becomes its owner.

    The caller's current project stays as it was: `/api/project-switch` changes it.
    """
    if not request.app[CONFIG].multi_session:
        raise BadInput("this server runs one project; start it with --multi-session to create more")
    title = request.query.get("desc") or request.query.get("title") or "New project"
    if len(title) > 500:
        raise BadInput("desc: a title is at most 500 characters")
    opened = await request.app[PROJECTS].create(title)
    user = caller_of(request).user
    if user is not None:
        await opened.project.store.set_member(opened.project.id, user.id, "owner")
    return web.json_response(await opened.project.info(), status=201)


@routes.get("/api/project-switch")
async def switch_project(request: web.Request) -> web.Response:
    """Make a project the caller's current one: 302 to `/` for a browser, 200 JSON else."""
    uuid = request.query.get("uuid", "")
    opened = await request.app[PROJECTS].get(uuid) if uuid else None
    if opened is None:
        raise NotFound(f"project {uuid!r} not found")
    if not await may_open(request, caller_of(request), opened):
        raise Forbidden(f"you are not a member of project {uuid}")
    response: web.Response
    if "text/html" in request.headers.get("Accept", ""):
        response = web.Response(status=302, headers={"Location": "/"})
    else:
        response = web.json_response(await opened.project.info())
    remember_project(request, response, uuid)
    return response


async def label_config_input(request: web.Request) -> str:
    """The label config of a request: JSON ``label_config``, a form field, or an XML body."""
    ctype = request.content_type
    if ctype in ("application/xml", "text/xml"):
        return await text_body(request)
    if ctype in FORM_TYPES:
        value = (await form_fields(request)).get("label_config")
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
    """Save the label config: 201 when valid, 400 with its errors otherwise; owners only."""
    await require_owner(request, "saving the label config")
    xml = await label_config_input(request)
    await project_of(request).save_label_config(xml)
    return web.json_response({"label_config": xml}, status=201)


@routes.post("/api/validate-config")
async def validate_label_config(request: web.Request) -> web.Response:
    """Check a label config without saving it: 204 when valid."""
    xml = await label_config_input(request)
    await asyncio.to_thread(project_of(request).check_label_config, xml)
    return web.Response(status=204)


@routes.get("/api/project/next")
async def next_task(request: web.Request) -> web.Response:
    """Lease the next task to label to this client."""
    return json_bytes_response(await project_of(request).next_task(client_id(request)))
