"""Reading request input: JSON bodies, query numbers and flags, the client's identity."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from lsplug.errors import BadInput
from lsplug.importer.formats import FormatError, read_json_body
from lsplug.service.bulk import gc_paused
from lsplug.web.clients import new_client_id
from lsplug.web.keys import CALLER, CLIENT

CLIENT_HEADER = "X-Lsplug-Client"
IN_THREAD_ABOVE = 256 * 1024  # bodies larger than this are parsed off the event loop
MAX_QUERY_INT = 1_000_000_000


async def json_body(request: web.Request, default: Any = None) -> Any:
    """The request's JSON body (``default`` when empty); 400 naming line and column."""
    raw = await request.read()
    if not raw.strip():
        if default is not None:
            return default
        raise BadInput("the request body is empty; send JSON")
    try:
        if len(raw) < IN_THREAD_ABOVE:
            return read_json_body(raw)
        return await asyncio.to_thread(_parse_large, raw)
    except FormatError as exc:
        raise BadInput(str(exc)) from None


def _parse_large(raw: bytes) -> Any:
    with gc_paused():
        return read_json_body(raw)


def int_param(request: web.Request, name: str, default: int, minimum: int = 1) -> int:
    """A whole-number query parameter, at least ``minimum``; 400 otherwise."""
    value = request.query.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadInput(f"{name}: {value!r} is not a whole number") from None
    if number < minimum:
        raise BadInput(f"{name}: must be at least {minimum}, got {number}")
    if number > MAX_QUERY_INT:  # page * page_size must stay within the store's 64-bit offsets
        raise BadInput(f"{name}: must be at most {MAX_QUERY_INT}, got {number}")
    return number


def flag(request: web.Request, name: str, default: bool) -> bool:
    """A yes/no query parameter (``1``/``0``, ``true``/``false``, ``yes``/``no``)."""
    value = request.query.get(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise BadInput(f"{name}: {value!r} is not a yes/no value (use 1 or 0)")


def client_id(request: web.Request) -> str:
    """Who is asking, for task leases: the signed-in person, else the ``X-Lsplug-Client``
    header (scripts), else the signed client cookie (a fresh id when the request has none,
    see :mod:`lsplug.web.clients`). Never the address and User-Agent: people behind one
    address are different annotators."""
    caller = request.get(CALLER)
    if caller is not None and caller.user is not None:
        return f"user:{caller.user.id}"
    explicit = request.headers.get(CLIENT_HEADER)
    if explicit:
        return explicit[:200]
    client = request.get(CLIENT)
    return client.value if client is not None else new_client_id()


def json_bytes_response(body: bytes, status: int = 200) -> web.Response:
    """A response from JSON that is already encoded."""
    return web.Response(body=body, status=status, content_type="application/json")
