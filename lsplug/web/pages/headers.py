"""The pages' security headers: a Content Security Policy the labeling editor can live with.

Every HTML page is sent with it, with ``X-Frame-Options`` and ``Referrer-Policy``; every
answer (API and static files too) with ``nosniff``.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

# The editor needs inline styles and data:/blob: images; every script comes from files here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CSP, frame and sniffing headers on every HTML page; no sniffing anywhere."""
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
