"""Routes of signing in and out, `/api/user` and its API tokens."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from aiohttp import web
from markupsafe import escape

from lsplug.errors import BadInput, Unauthorized
from lsplug.web.access import SESSION_COOKIE, caller_of
from lsplug.web.keys import ACCOUNTS
from lsplug.web.pages.layout import layout_page
from lsplug.web.requests import form_fields, json_body

routes = web.RouteTableDef()
MAX_NEXT = 2000  # characters of a next= path
MAX_DECODINGS = 8
# Control, format (zero-width, bidi), separator and unassigned characters.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
LOGIN_FORM = """<h1>Sign in</h1>
<form method="post" action="/user/login" class="lsp-form">
  <input type="hidden" name="next" value="{next}">
  <label>User name <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"
    required></label>
  <button type="submit" class="lsp-button lsp-primary">Sign in</button>
  <p role="alert">{message}</p>
</form>"""


def safe_next(value: Any) -> str:
    """Where to go after signing in: ``value`` when it is a path of this site, else ``/``.

    Refused (an open redirect, or a header aiohttp cannot send): anything not starting with
    one ``/``, ``//``, any backslash, control character or whitespace, raw or
    percent-encoded (decoded until it stops changing), anything that parses with a scheme
    or a host. Non-ASCII characters are percent-encoded for the ``Location`` header.
    """
    if not isinstance(value, str) or not value.startswith("/") or len(value) > MAX_NEXT:
        return "/"
    forms = _decodings(value)
    if forms is None or not all(_is_local_path(form) for form in forms):
        return "/"
    return "".join(ch if ch.isascii() else quote(ch) for ch in value)


def _decodings(value: str) -> list[str] | None:
    """``value`` and each of its percent-decodings until stable (None: it never settles)."""
    forms = [value]
    for _ in range(MAX_DECODINGS):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            return forms + [unicodedata.normalize("NFKC", f) for f in forms]
        forms.append(decoded)
    return None


def _is_local_path(path: str) -> bool:
    """One leading slash, no backslash, control character or space, no scheme or host."""
    if not path.startswith("/") or path.startswith("//"):
        return False
    if any(_unsafe_char(ch) for ch in path):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


def _unsafe_char(ch: str) -> bool:
    return ch == "\\" or ch.isspace() or unicodedata.category(ch) in UNSAFE_CATEGORIES


@routes.get("/user/login")
async def login_page(request: web.Request) -> web.Response:
    """The sign-in form."""
    body = LOGIN_FORM.format(next=escape(safe_next(request.query.get("next"))), message="")
    return layout_page(request, "Sign in", body)


async def _credentials(request: web.Request) -> dict[str, Any]:
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return dict(await form_fields(request))
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadInput('send {"username": ..., "password": ...}')
    return body


@routes.post("/user/login")
async def login(request: web.Request) -> web.Response:
    """Check the password; a session cookie and 302 to ``next`` (forms) or 200 (JSON)."""
    form = await _credentials(request)
    name, password = form.get("username"), form.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise BadInput("username and password are required")
    accounts = request.app[ACCOUNTS]
    user = await accounts.check(name, password, request.remote or "")
    is_form = request.content_type != "application/json"
    if user is None:
        if is_form:
            body = LOGIN_FORM.format(
                next=escape(safe_next(form.get("next"))),
                message="Wrong user name or password.",
            )
            return layout_page(request, "Sign in", body, status=401)
        raise Unauthorized("wrong user name or password")
    response = (
        web.Response(status=302, headers={"Location": safe_next(form.get("next"))})
        if is_form
        else web.json_response({"user": user.name})
    )
    response.set_cookie(
        SESSION_COOKIE, await accounts.new_session(user), httponly=True, samesite="Lax",
        secure=request.secure, path="/", max_age=14 * 24 * 3600,
    )  # fmt: skip
    return response


@routes.post("/user/logout")
async def logout(request: web.Request) -> web.Response:
    """End the session; 302 to the sign-in page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await request.app[ACCOUNTS].end_session(cookie)
    response = web.Response(status=302, headers={"Location": "/user/login"})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.get("/api/user")
async def whoami(request: web.Request) -> web.Response:
    """``{"user": name}`` of the caller (null when sign-in is off)."""
    caller = caller_of(request)
    name = caller.user.name if caller.user else None
    return web.json_response({"user": name, "via": caller.via})


@routes.post("/api/user/token")
async def new_token(request: web.Request) -> web.Response:
    """A new API token for the signed-in caller: 201 ``{"token": ...}`` (shown once)."""
    user = caller_of(request).user
    if user is None:
        raise Unauthorized("sign in as a user to get an API token")
    token = await request.app[ACCOUNTS].new_token(user)
    return web.json_response({"token": token, "user": user.name}, status=201)
