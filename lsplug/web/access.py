"""Who is asking and on which project: the one middleware that signs callers in, refuses
cross-site writes (and cross-site GETs that change the caller's own state), and resolves
the current project (``?project=``, the session's, else the default); views read the
result with :func:`project_of` and :func:`models_of`."""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from lsplug.errors import Forbidden, NotFound, Unauthorized
from lsplug.service.auth import sign, unsign
from lsplug.service.jobs import Jobs
from lsplug.service.ml import Models
from lsplug.service.project import Project
from lsplug.service.projects import OpenProject
from lsplug.store import ProjectRow
from lsplug.web.hosts import is_this_server
from lsplug.web.keys import ACCOUNTS, CALLER, CONFIG, CURRENT, PROJECTS, Caller

SESSION_COOKIE = "lsplug_session"
PROJECT_COOKIE = "lsplug_project"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Reachable without signing in: the sign-in page itself, the editor's files, health checks.
OPEN_PATHS = ("/user/login", "/static/", "/api/health", "/version", "/api/openapi.json")
# GETs of Label Studio's API that change the caller's own state (its current project, a
# lease): a Lax cookie travels on a cross-site GET, so another site's page must not send them.
OWN_STATE_GETS = frozenset({"/api/project-switch", "/api/project/next"})


def caller_of(request: web.Request) -> Caller:
    """Who sent the request (nobody when sign-in is off)."""
    return request.get(CALLER) or Caller()


def author_of(request: web.Request) -> str | None:
    """The signed-in person's name, which every completion they send records as
    ``completed_by``; None for anonymous callers (their ``completed_by`` is kept)."""
    user = caller_of(request).user
    return user.name if user is not None else None


def current_of(request: web.Request) -> OpenProject:
    """The project the request works on, with its model servers."""
    found: OpenProject | None = request.get(CURRENT)
    if found is not None:
        return found
    default = request.app[PROJECTS].default
    assert default is not None, "the projects are not open"
    return default


def project_of(request: web.Request) -> Project:
    """The project the request works on."""
    return current_of(request).project


def models_of(request: web.Request) -> Models:
    """The model servers of the request's project."""
    return current_of(request).models


def jobs_of(request: web.Request) -> Jobs:
    """The background jobs of the request's project."""
    return current_of(request).jobs


def basic_account(request: web.Request) -> tuple[str, str] | None:
    """The config file's ``auth: {username, password}`` (Label Studio 0.8's basic auth)."""
    auth = request.app[CONFIG].auth or {}
    name, password = auth.get("username"), auth.get("password")
    return (str(name), str(password)) if name and password else None


@web.middleware
async def resolve_caller(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sign the caller in, refuse cross-site writes, then find the current project."""
    caller = await _identify(request)
    request[CALLER] = caller
    _refuse_cross_site(request, caller)
    anonymous = caller.user is None and not caller.admin
    if anonymous and not request.path.startswith(OPEN_PATHS) and await _sign_in_required(request):
        return _ask_to_sign_in(request)
    request[CURRENT] = await _current_project(request, caller)
    return await handler(request)


async def _sign_in_required(request: web.Request) -> bool:
    return basic_account(request) is not None or await request.app[ACCOUNTS].sign_in_required()


def _ask_to_sign_in(request: web.Request) -> web.StreamResponse:
    """Pages send a browser to the sign-in page; the API answers 401."""
    if request.method == "GET" and not request.path.startswith("/api/"):
        raise web.HTTPFound(f"/user/login?next={quote(request.path_qs, safe='')}")
    headers = {"WWW-Authenticate": 'Basic realm="lsplug"'} if basic_account(request) else None
    body = {"detail": "sign in first: a session, Authorization: Token ..., or basic auth"}
    return web.json_response(body, status=401, headers=headers)


async def _identify(request: web.Request) -> Caller:
    """The person behind a token, basic credentials or a session cookie."""
    accounts = request.app[ACCOUNTS]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token":
        user = await accounts.token_user(value.strip())
        if user is None:
            raise Unauthorized("the API token is not valid")
        return Caller(user, "token")
    if scheme.lower() == "basic":
        return await _basic(request, value.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user = await accounts.session_user(cookie)
        if user is not None:
            return Caller(user, "session")
    return Caller()


async def _basic(request: web.Request, value: str) -> Caller:
    try:
        name, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("malformed basic credentials") from None
    accounts, remote = request.app[ACCOUNTS], request.remote or ""
    account = basic_account(request)
    if account is not None and name == account[0]:
        accounts.limiter.check(f"{name}|{remote}")
        if hmac.compare_digest(password.encode(), account[1].encode()):
            return Caller(None, "basic", admin=True)
        accounts.limiter.failed(f"{name}|{remote}")
        raise Unauthorized("wrong user name or password")
    user = await accounts.check(name, password, remote)
    if user is None:
        raise Unauthorized("wrong user name or password")
    return Caller(user, "basic")


def _refuse_cross_site(request: web.Request, caller: Caller) -> None:
    """A write from another site's page is refused; with a cookie session, a write must
    show where it came from (browsers send ``Origin`` or ``Referer`` on every form post).
    ``Origin`` is compared with the server's names and port, never with its ``Host``."""
    if request.method in SAFE_METHODS:
        if request.path in OWN_STATE_GETS:
            _refuse_other_sites(request, "this request changes your current state")
        return
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin is None:
        if caller.via == "session":
            raise Forbidden("a write with a session cookie must come from this site's pages")
        return
    _refuse_other_sites(request, "cross-site writes are refused")


def _refuse_other_sites(request: web.Request, what: str) -> None:
    """403 when the browser says the request comes from another site (``Sec-Fetch-Site``)
    or its ``Origin``/``Referer`` is not this server."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise Forbidden(f"{what} (Sec-Fetch-Site: cross-site)")
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin is not None and (origin == "null" or not is_this_server(request, origin)):
        raise Forbidden(f"{what} (Origin is not this server)")


async def _current_project(request: web.Request, caller: Caller) -> OpenProject:
    """``?project=<uuid>``, else the session's project, else the default project."""
    projects = request.app[PROJECTS]
    explicit = request.query.get("project")
    if explicit:
        found = await projects.get(explicit)
        if found is None or not await may_open(request, caller, found):
            raise NotFound(f"project {explicit} not found")
        return found
    cookie = request.cookies.get(PROJECT_COOKIE)
    uuid = unsign(request.app[ACCOUNTS].key, cookie) if cookie else None
    if uuid:
        found = await projects.get(uuid)
        if found is not None and await may_open(request, caller, found):
            return found
    assert projects.default is not None
    return projects.default


async def may_open(request: web.Request, caller: Caller, opened: OpenProject) -> bool:
    """Whether the caller may work on a project (see :func:`may_open_row`)."""
    return await may_open_row(request, caller, opened.project.row)


async def may_open_row(request: web.Request, caller: Caller, row: ProjectRow) -> bool:
    """Anyone when sign-in is off; everyone signed in on the default project; otherwise
    only its members."""
    default = request.app[PROJECTS].default
    if caller.admin or (default is not None and row.id == default.project.id):
        return True
    if caller.user is None:
        return not await _sign_in_required(request)
    return await request.app[PROJECTS].store.member_role(row.id, caller.user.id) is not None


async def visible_projects(request: web.Request) -> list[ProjectRow]:
    """The projects the caller may open, oldest first."""
    caller = caller_of(request)
    rows = await request.app[PROJECTS].rows()
    return [row for row in rows if await may_open_row(request, caller, row)]


def remember_project(request: web.Request, response: web.StreamResponse, uuid: str) -> None:
    """Make ``uuid`` the caller's current project (a signed cookie)."""
    response.set_cookie(
        PROJECT_COOKIE, sign(request.app[ACCOUNTS].key, uuid), httponly=True,
        samesite="Lax", secure=request.secure, path="/",
    )  # fmt: skip
