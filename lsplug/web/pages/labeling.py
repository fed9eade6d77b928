"""Pages `/` (the editor on the next task or ``?task_id=N``), `/preview` and `/welcome`."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from markupsafe import Markup

from lsplug.errors import NotFound
from lsplug.web.access import project_of
from lsplug.web.keys import CONFIG
from lsplug.web.pages.editor import editor_interfaces, editor_urls
from lsplug.web.pages.layout import message_page, render_page
from lsplug.web.requests import client_id

routes = web.RouteTableDef()
USER = {"pk": 1, "id": 1, "firstName": "", "lastName": ""}


def script_json(value: Any, raw: dict[str, bytes] | None = None) -> Markup:
    """JSON safe inside ``<script type="application/json">``; ``raw`` holds encoded values."""
    parts = [orjson.dumps(value)[:-1]]
    for key, encoded in (raw or {}).items():
        parts.append(b"," + orjson.dumps(key) + b":" + encoded)
    text = (b"".join(parts) + b"}").decode()
    # <, > and & only occur inside JSON strings, where the \u escapes mean the same.
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def editor_boot(request: web.Request, **extra: Any) -> dict[str, Any]:
    """What the page's script needs to start the editor: config, interfaces, user."""
    config = request.app[CONFIG]
    interfaces = editor_interfaces(config.editor.interfaces)
    return {
        "config": project_of(request).label_config.xml,
        "interfaces": interfaces.names,
        "check_empty": interfaces.check_empty,
        "user": USER,
        **extra,
    }


async def _task_bytes(request: web.Request) -> bytes | None:
    """The task to label: ``?task_id=N``, else the next one leased to this client."""
    project = project_of(request)
    wanted = request.query.get("task_id", "")
    if wanted:
        if not wanted.isdigit():
            raise NotFound(f"task {wanted} not found")
        return await project.task_json(int(wanted))
    try:
        return await project.next_task(client_id(request))
    except NotFound:
        return None


@routes.get("/")
async def label_page(request: web.Request) -> web.Response:
    """The editor on a task; `/welcome` for a project without tasks."""
    project = project_of(request)
    try:
        task = await _task_bytes(request)
    except NotFound as exc:
        return message_page(request, "Task not found", str(exc), 404)
    if task is None and (await project.info())["task_count"] == 0:
        raise web.HTTPFound("/welcome")
    boot = editor_boot(request, fixed=bool(request.query.get("task_id")))
    return render_page(request, "label.html", {
        "title": "Label",
        "editor": editor_urls(request.app[CONFIG]),
        "boot": script_json(boot, {"task": task or b"null"}),
        "instruction": project.setting("instruction") or "",
    })  # fmt: skip


@routes.get("/preview")
async def preview_page(request: web.Request) -> web.Response:
    """The editor alone, for the setup page's live preview (it posts the config in)."""
    return render_page(request, "preview.html", {
        "title": "Preview",
        "editor": editor_urls(request.app[CONFIG]),
        "boot": script_json(editor_boot(request)),
    })  # fmt: skip


@routes.get("/welcome")
async def welcome_page(request: web.Request) -> web.Response:
    """The three steps of a new project: config, import, label."""
    info = await project_of(request).info()
    return render_page(request, "welcome.html", {"title": "Welcome", "info": info})
