"""The shared layout and the helpers that render a page inside it (core pages and plugins').

The app's template loader, routes and security headers are set up by
:mod:`lsplug.web.pages.routes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

import lsplug
from lsplug.web.keys import CALLER, CURRENT, PROJECT

LAYOUT = "layout.html"
NAV = (
    ("/", "Label"),
    ("/tasks", "Tasks"),
    ("/setup", "Setup"),
    ("/import", "Import"),
    ("/export", "Export"),
    ("/model", "Model"),
    ("/storage", "Storage"),
)


def _layout_context(request: web.Request) -> dict[str, Any]:
    """What every page's layout shows: the project title and the navigation."""
    current = request.get(CURRENT)
    project = current.project if current is not None else request.app.get(PROJECT)
    title = project.setting("title") if project is not None else "lsplug"
    caller = request.get(CALLER)
    user = caller.user.name if caller is not None and caller.user is not None else None
    return {"project_title": title, "nav": NAV, "path": request.path,
            "version": lsplug.__version__, "user": user}  # fmt: skip


def add_template_dir(app: web.Application, path: str | Path) -> None:
    """Let ``render_page`` find a plugin's templates in ``path`` (after the core's own)."""
    loader = aiohttp_jinja2.get_env(app).loader
    assert isinstance(loader, jinja2.ChoiceLoader)
    loader.loaders = [*loader.loaders, jinja2.FileSystemLoader(str(path))]


def render_page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    """A page from ``template`` (which extends :data:`LAYOUT`) with ``context``."""
    # The layout's context is merged here, not by aiohttp_jinja2's context processors,
    # whose middleware stores a plain string key on the request (a warning in aiohttp 3.10+).
    full = {**_layout_context(request), **context}
    return aiohttp_jinja2.render_template(template, request, full, status=status)


def layout_page(
    request: web.Request, title: str, body: str | Markup, status: int = 200
) -> web.Response:
    """A page in the shared layout around ``body``, HTML the caller made safe."""
    return render_page(request, "plain.html", {"title": title, "body": Markup(body)}, status)


def message_page(request: web.Request, title: str, message: str, status: int) -> web.Response:
    """A page that says one thing (not found, nothing left), with the layout around it."""
    return render_page(request, "message.html", {"title": title, "message": message}, status)
