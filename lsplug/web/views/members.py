"""Route `/api/project/members`: the owner of a project lets other people in."""

from __future__ import annotations

from aiohttp import web

from lsplug.errors import BadInput, NotFound
from lsplug.service import roles
from lsplug.web.access import caller_of, project_of
from lsplug.web.owners import require_owner
from lsplug.web.requests import json_body

routes = web.RouteTableDef()
ROLES = ("owner", "annotator")


@routes.post("/api/project/members")
async def add_member(request: web.Request) -> web.Response:
    """``{"user": name, "role": "annotator"|"owner"}``: 201; only an owner may add people."""
    await require_owner(request, "adding members")
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("user"), str):
        raise BadInput('send {"user": "<name>", "role": "annotator"}')
    role = body.get("role", "annotator")
    if role not in ROLES:
        raise BadInput(f"role: {role!r} is not one of {', '.join(ROLES)}")
    project = project_of(request)
    store = project.store
    user = await store.find_user(body["user"])
    if user is None:
        raise NotFound(f"user {body['user']!r} not found")
    caller = caller_of(request)
    await roles.add_member(store, project.id, roles.Asker(caller.user, caller.admin), user, role)
    return web.json_response({"user": user.name, "role": role}, status=201)
