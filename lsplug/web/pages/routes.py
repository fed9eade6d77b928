"""The pages mounted on the app: the template loader, each page module's routes, the static
files and the security headers.

Kept out of :mod:`lsplug.web.pages.layout`, which every page module imports for its
rendering helpers, so that the page modules and the layout form no import circle.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

# The page modules by full name: the package imports this module, so it names its siblings
# rather than the package.
import lsplug.web.pages.connections as connections
import lsplug.web.pages.data as data
import lsplug.web.pages.editor as editor
import lsplug.web.pages.labeling as labeling
import lsplug.web.pages.media as media
import lsplug.web.pages.setup as setup
import lsplug.web.pages.tasks as tasks
from lsplug.web.pages.headers import security_headers
from lsplug.web.pages.layout import LAYOUT
from lsplug.web.routing import add_routes

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"
PAGES = (labeling, tasks, setup, data, connections, editor, media)


def setup_pages(app: web.Application) -> None:
    """Templates, static files, the pages' routes and their security headers."""
    loader = jinja2.ChoiceLoader([jinja2.PackageLoader("lsplug", "templates")])
    env = aiohttp_jinja2.setup(
        app,
        loader=loader,
        autoescape=jinja2.select_autoescape(default=True),
    )
    env.globals["LAYOUT"] = LAYOUT
    app.middlewares.append(security_headers)
    for module in PAGES:
        add_routes(app, module.routes)
    app.router.add_static("/static", STATIC_DIR, append_version=False)
