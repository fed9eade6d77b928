"""The app factory: plugins, store, project and routes, opened and closed in order."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Sequence
from types import ModuleType

from aiohttp import web

from lsplug.config import Config
from lsplug.plugins import Plugins, load_plugins
from lsplug.service.jobs import Jobs
from lsplug.service.ml import Models
from lsplug.service.outbox import run_sink_worker
from lsplug.service.startup import open_project
from lsplug.service.storage_switch import close_storages, open_storages
from lsplug.store.base import Store
from lsplug.store.sqlite import SQLiteStore
from lsplug.web import keys
from lsplug.web.middleware import errors_as_json
from lsplug.web.pages import setup_pages
from lsplug.web.routing import add_routes
from lsplug.web.views import export, helpers, importing, models, project, storage, tasks

log = logging.getLogger(__name__)
CORE_ROUTES = (
    project.routes,
    tasks.routes,
    importing.routes,
    export.routes,
    storage.routes,
    helpers.routes,
    models.routes,
)


def make_store(config: Config) -> Store:
    """The store the config names (SQLite under ``data_dir`` by default)."""
    url = config.store.url
    if url is None:
        return SQLiteStore(config.data_path / "lsplug.sqlite3", config.store.synchronous)
    if url.startswith("sqlite:"):
        return SQLiteStore(
            config.path(url.removeprefix("sqlite:").removeprefix("//")), config.store.synchronous
        )
    raise ValueError(f"store.url: {url!r} is not a supported store (sqlite:PATH)")


def create_app(
    config: Config,
    extra_plugins: Sequence[ModuleType | object] = (),
    plugins: Plugins | None = None,
) -> web.Application:
    """A new app for ``config``: its own plugin manager, store and project."""
    plugins = plugins or load_plugins(config.disabled_plugins(), extra_plugins)
    app = web.Application(middlewares=[errors_as_json], client_max_size=config.max_body_bytes)
    app[keys.CONFIG] = config
    app[keys.PLUGINS] = plugins
    app[keys.JOBS] = Jobs()
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
    """Open the store and the project, start background work; undo it all at the end."""
    config, plugins, jobs = app[keys.CONFIG], app[keys.PLUGINS], app[keys.JOBS]
    store = make_store(config)
    await store.open()
    app[keys.STORE] = store
    try:
        proj = await open_project(config, store, plugins)
        app[keys.PROJECT] = proj
        await open_storages(proj, jobs)
        models = app[keys.MODELS] = proj.predictor = Models(proj, jobs)
        await models.open()
        worker = asyncio.create_task(run_sink_worker(proj), name="lsplug-sink-worker")
        await _call_hooks(plugins.pm.hook.lsplug_startup(app=app))
        yield
        await _call_hooks(plugins.pm.hook.lsplug_cleanup(app=app))
        await jobs.cancel_all()
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        await models.close()
        await close_storages(proj)
    finally:
        await store.close()
