"""One middleware turns every error into a JSON answer ``{"detail": ...}``; never a traceback.
Every response of the app, errors included, is sent with ``nosniff`` (a JSON error holding
a client's text is never read as HTML) and, for a new client, its client cookie."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from lsplug.errors import LsplugError, MethodNotAllowed
from lsplug.web.clients import set_client_cookie

log = logging.getLogger(__name__)


def _json_error(
    status: int, body: dict[str, object], headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map domain errors and HTTP errors to JSON; log and hide anything unexpected."""
    try:
        return await handler(request)
    except LsplugError as exc:
        allow = {"Allow": ", ".join(exc.allowed)} if isinstance(exc, MethodNotAllowed) else None
        return _json_error(exc.status, exc.body(), allow)
    except web.HTTPRequestEntityTooLarge:
        limit = f"the limit of {request.app._client_max_size} bytes (setting max_body_mb)"
        return _json_error(413, {"detail": f"the request body is larger than {limit}"})
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        return _json_error(
            405,
            {"detail": f"{request.method} is not allowed on {request.path}; allowed: {allowed}"},
            {"Allow": allowed},
        )
    except web.HTTPNotFound:
        return _json_error(404, {"detail": f"no such route: {request.path}"})
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _json_error(exc.status, {"detail": exc.text or exc.reason})
    except ConnectionResetError:
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _json_error(500, {"detail": "internal error; the server log has the details"})


async def edge_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Headers of every response, whatever made it (``on_response_prepare``): ``nosniff``
    and a new client's cookie."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    set_client_cookie(request, response)
