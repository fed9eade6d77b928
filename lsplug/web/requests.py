"""Reading request input: JSON, XML and form bodies, query numbers and flags, the client's
identity. A body that cannot be read (broken multipart framing, bad UTF-8, an unknown
charset, JSON nested too deep) is a 400 naming the problem, never a 500."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from multidict import MultiDictProxy

from lsplug.errors import BadInput
from lsplug.importer.formats import FormatError, read_json_body
from lsplug.service.bulk import gc_paused
from lsplug.web.clients import new_client_id
from lsplug.web.keys import CALLER, CLIENT
from lsplug.web.multipart import MultipartError, Part, split_form_data

CLIENT_HEADER = "X-Lsplug-Client"
IN_THREAD_ABOVE = 256 * 1024  # bodies larger than this are parsed off the event loop
MAX_QUERY_INT = 1_000_000_000
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# What aiohttp raises on a body it cannot split or decode: a missing or wrong multipart
# boundary, a truncated part, bad UTF-8, an unknown charset or content encoding, bad base64,
# a body whose Content-Encoding (gzip, br) does not decode.
UNREADABLE = (
    ValueError, LookupError, RuntimeError, AssertionError, zlib.error, BadHttpMessage,
    web.RequestPayloadError,
)  # fmt: skip
MAX_REASON = 200


async def body_bytes(request: web.Request) -> bytes:
    """The raw body; 400 when its Content-Encoding does not decode, 413 over the limit."""
    with readable(request):
        return await request.read()


async def json_body(request: web.Request, default: Any = None) -> Any:
    """The request's JSON body (``default`` when empty); 400 naming line and column."""
    raw = await body_bytes(request)
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


async def text_body(request: web.Request) -> str:
    """The body as text in its charset (UTF-8 by default); 400 naming the bad byte's line."""
    raw = await body_bytes(request)
    charset = request.charset or "utf-8"
    try:
        return raw.decode(charset)
    except LookupError:
        raise BadInput(f"the body's charset {charset!r} is unknown; send UTF-8") from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise BadInput(
            f"the body is not valid {charset} on line {line} (byte {exc.start}); send UTF-8"
        ) from None


async def form_fields(request: web.Request) -> MultiDictProxy[Any]:
    """The fields of a form or multipart body; 400 when it cannot be read (every form route,
    the sign-in form included, reads its body through this)."""
    with readable(request):
        return await request.post()


async def multipart_parts(request: web.Request) -> list[Part]:
    """The parts of a multipart body: read as async I/O, split in a thread (CPU); 400 when
    its framing is broken, 413 over ``max_body_mb``."""
    raw = await body_bytes(request)
    try:
        return await asyncio.to_thread(
            split_form_data, raw, request.headers.get("Content-Type", "")
        )
    except MultipartError as exc:
        raise BadInput(unreadable(request, exc)) from None


@contextmanager
def readable(request: web.Request) -> Iterator[None]:
    """Turn aiohttp's errors of reading a form or multipart body into a 400 naming them."""
    try:
        yield
    except UNREADABLE as exc:
        raise BadInput(unreadable(request, exc)) from None


def unreadable(request: web.Request, exc: BaseException) -> str:
    """Why a body cannot be read, in a user's words."""
    if isinstance(exc, web.RequestPayloadError):
        encoding = request.headers.get("Content-Encoding", "")[:40]
        return f"the request body cannot be decoded (Content-Encoding: {encoding!r}); send it plain"
    what = _BODY_KINDS.get(request.content_type, "request")
    if isinstance(exc, UnicodeDecodeError):
        reason = f"a field is not valid {exc.encoding} (byte {exc.start} of the field)"
    elif isinstance(exc, LookupError) and not isinstance(exc, KeyError):
        reason = f"unknown charset or encoding ({exc})"
    else:
        reason = str(exc)[:MAX_REASON] or type(exc).__name__
    return f"the {what} body cannot be read: {reason}; {_FIXES.get(what, 'send UTF-8')}"


_BODY_KINDS = {"multipart/form-data": "multipart", "application/x-www-form-urlencoded": "form"}
_FIXES = {
    "multipart": "send multipart/form-data as browsers and curl -F write it (the boundary in "
    "the Content-Type, a name for every part, UTF-8 text)",
    "form": "send UTF-8 form fields",
}


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
