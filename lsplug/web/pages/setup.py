"""Page `/setup`: the label config editor with templates, validation and a live preview."""

from __future__ import annotations

from aiohttp import web

from lsplug.web.access import project_of, visible_projects
from lsplug.web.keys import CONFIG
from lsplug.web.pages.examples import label_config_templates
from lsplug.web.pages.labeling import script_json
from lsplug.web.pages.layout import render_page

routes = web.RouteTableDef()


@routes.get("/setup")
async def setup_page(request: web.Request) -> web.Response:
    """The current config in an editor, the templates to start from, the preview."""
    templates = [{"group": t.group, "title": t.title, "config": t.config}
                 for t in label_config_templates()]  # fmt: skip
    multi = request.app[CONFIG].multi_session
    projects = [{"uuid": r.uuid, "title": r.title, "current": r.id == project_of(request).id}
                for r in await visible_projects(request)] if multi else []  # fmt: skip
    return render_page(request, "setup.html", {
        "title": "Setup",
        "projects": projects,
        "label_config": project_of(request).label_config.xml,
        "templates": templates,
        "templates_json": script_json({"templates": templates}),
    })  # fmt: skip
