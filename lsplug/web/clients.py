"""Who an anonymous client is, for task leases: a random id in a signed client cookie.

Annotators behind one address (an office NAT, a load balancer) are different people, so
address and User-Agent identify nobody. Every request without a valid ``lsplug_client``
cookie (none, or one not signed with this install's key) gets a fresh random 128-bit id:
it is this request's identity and is set in the response (pages, API, errors alike), so a
client that keeps cookies is one annotator from then on. A client that keeps no cookies is
a new client on every request: scripts without a cookie jar send ``X-Lsplug-Client``
instead (see :func:`lsplug.web.requests.client_id` for the order).
"""

from __future__ import annotations

import re
import secrets
from http.cookies import Morsel

from aiohttp import web
from aiohttp.typedefs import Handler

from lsplug.service.auth import sign, unsign
from lsplug.web.keys import ACCOUNTS, CLIENT, ClientId

CLIENT_COOKIE = "lsplug_client"
COOKIE_SECONDS = 365 * 24 * 3600
PREFIX = "client:"  # signed with the prefix: no other signed value of ours passes as an id
CLIENT_VALUE = re.compile(r"client:[0-9a-f]{32}")


def new_client_id() -> str:
    """A fresh random client id (128 bits)."""
    return PREFIX + secrets.token_hex(16)


def known_client(key: bytes, cookie: str | None) -> str | None:
    """The client id of a cookie signed with ``key``; None when absent, forged or foreign."""
    value = unsign(key, cookie) if cookie else None
    return value if value is not None and CLIENT_VALUE.fullmatch(value) else None


@web.middleware
async def client_identity(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the client cookie, or give this request a fresh id to be set in the response."""
    known = known_client(request.app[ACCOUNTS].key, request.cookies.get(CLIENT_COOKIE))
    request[CLIENT] = ClientId(known, False) if known else ClientId(new_client_id(), True)
    return await handler(request)


def set_client_cookie(request: web.Request, response: web.StreamResponse) -> None:
    """Add the new client's cookie to a response about to be sent (any status)."""
    client = request.get(CLIENT)
    if client is None or not client.new:
        return
    morsel: Morsel[str] = Morsel()
    value = sign(request.app[ACCOUNTS].key, client.value)
    morsel.set(CLIENT_COOKIE, value, value)
    morsel.update({"path": "/", "max-age": str(COOKIE_SECONDS), "samesite": "Lax"})
    morsel["httponly"] = True
    if request.secure:
        morsel["secure"] = True
    response.headers.add("Set-Cookie", morsel.OutputString())
