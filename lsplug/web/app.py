"""The app factory: plugins, store, project and routes, opened and closed in order."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Sequence
from types import ModuleType

from aiohttp import web

from lsplug.config import Config
from lsplug.plugins import Plugins, load_plugins
from lsplug.service.auth import Accounts, load_key
from lsplug.service.projects import Projects
from lsplug.store import store_for
from lsplug.web import keys
from lsplug.web.access import resolve_caller
from lsplug.web.clients import client_identity
from lsplug.web.hosts import known_hosts_only
from lsplug.web.middleware import edge_headers, errors_as_json
from lsplug.web.pages import setup_pages
from lsplug.web.routing import add_routes
from lsplug.web.views import (
    export,
    helpers,
    importing,
    members,
    models,
    openapi,
    project,
    sessions,
    storage,
    tasks,
)

log = logging.getLogger(__name__)
CORE_ROUTES = (
    project.routes,
    tasks.routes,
    importing.routes,
    export.routes,
    storage.routes,
    helpers.routes,
    models.routes,
    sessions.routes,
    openapi.routes,
    members.routes,
)


def create_app(
    config: Config,
    extra_plugins: Sequence[ModuleType | object] = (),
    plugins: Plugins | None = None,
) -> web.Application:
    """A new app for ``config``: its own plugin manager, store and project."""
    plugins = plugins or load_plugins(config.disabled_plugins(), extra_plugins)
    app = web.Application(
        middlewares=[known_hosts_only, client_identity, errors_as_json, resolve_caller],
        client_max_size=config.max_body_bytes,
    )
    app.on_response_prepare.append(edge_headers)
    app[keys.CONFIG] = config
    app[keys.PLUGINS] = plugins
    for routes in CORE_ROUTES:
        add_routes(app, routes)
    setup_pages(app)
    for plugin_routes in plugins.pm.hook.lsplug_routes():
        add_routes(app, plugin_routes)
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _call_hooks(results: list[object]) -> None:
    for result in results:
        if inspect.isawaitable(result):
            await result


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Open the store and the projects, start background work; undo it all at the end."""
    config, plugins = app[keys.CONFIG], app[keys.PLUGINS]
    store = store_for(config)
    await store.open()
    app[keys.STORE] = store
    try:
        app[keys.ACCOUNTS] = Accounts(store, load_key(config.data_path))
        projects = app[keys.PROJECTS] = Projects(config, store, plugins)
        try:
            default = await projects.open_default()
            app[keys.PROJECT], app[keys.MODELS] = default.project, default.models
            app[keys.JOBS] = default.jobs
            await _call_hooks(plugins.pm.hook.lsplug_startup(app=app))
            yield
            await _call_hooks(plugins.pm.hook.lsplug_cleanup(app=app))
        finally:
            await projects.close()  # every project's jobs cancelled first
    finally:
        await store.close()
