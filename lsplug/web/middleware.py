"""One middleware turns every error into a JSON answer ``{"detail": ...}``; never a traceback."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from lsplug.errors import LsplugError

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
        return _json_error(exc.status, exc.body())
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
