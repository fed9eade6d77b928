"""Routes with an optional trailing slash, as the Label Studio API allowed."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web


def add_routes(app: web.Application, routes: Iterable[web.AbstractRouteDef]) -> None:
    """Register each route at its path and at the path with a trailing slash."""
    for route in routes:
        if not isinstance(route, web.RouteDef):
            route.register(app.router)
            continue
        paths = {route.path, route.path.rstrip("/") or "/", route.path.rstrip("/") + "/"}
        for path in sorted(paths):
            if path == "//":
                continue
            app.router.add_route(route.method, path, route.handler, **route.kwargs)
