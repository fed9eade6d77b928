"""Route `/api/project/members`: the owner of a project lets other people in."""

from __future__ import annotations

from aiohttp import web

from lsplug.errors import BadInput, Forbidden, NotFound
from lsplug.web.access import caller_of, project_of
from lsplug.web.requests import json_body

routes = web.RouteTableDef()
ROLES = ("owner", "annotator")


@routes.post("/api/project/members")
async def add_member(request: web.Request) -> web.Response:
    """``{"user": name, "role": "annotator"|"owner"}``: 201; only an owner may add people."""
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("user"), str):
        raise BadInput('send {"user": "<name>", "role": "annotator"}')
    role = body.get("role", "annotator")
    if role not in ROLES:
        raise BadInput(f"role: {role!r} is not one of {', '.join(ROLES)}")
    project, caller = project_of(request), caller_of(request)
    store = project.store
    if not caller.admin and (
        caller.user is None or await store.member_role(project.id, caller.user.id) != "owner"
    ):
        raise Forbidden("only an owner of the project can add members")
    user = await store.find_user(body["user"])
    if user is None:
        raise NotFound(f"user {body['user']!r} not found")
    await store.set_member(project.id, user.id, role)
    return web.json_response({"user": user.name, "role": role}, status=201)
