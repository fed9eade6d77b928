"""The host names this server answers to, and whether a URL (an ``Origin``) is this server.

DNS rebinding: a page on another name (``rebind.example``) whose DNS answer is switched to
this server's address reaches it from the visitor's browser, sending its own name as
``Host`` and ``Origin``; a server that trusts any ``Host`` then lets that page read and
write. So a request is answered only when its ``Host`` is one of the setting
``server_names`` (by default the loopback names, any ``*.localhost`` and the configured
``host`` when it is not a wildcard address), and a write's ``Origin`` must name one of
them on the port the request came to: compared with the names, never with the ``Host``
the client sent.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from lsplug.config import Config
from lsplug.web.keys import CONFIG

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
LOOPBACK_SUFFIX = ".localhost"  # RFC 6761: always the loopback address, never DNS
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "*"})
# Load balancers and orchestrators probe with the instance's address as Host; the answer
# says only "up" and changes nothing, so a rebinding page learns nothing from it.
ANY_HOST_PATHS = frozenset({"/api/health"})
DEFAULT_PORTS = {"http": 80, "https": 443}
NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")
SETTING = "server_names"


def normal_name(text: str) -> str | None:
    """A host name as compared: lower case, no trailing dot, IPv6 without brackets; None
    when it is not a host name or an IP address."""
    name = text.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    name = name.removesuffix(".")
    if NAME.fullmatch(name) and ".." not in name:
        return name
    try:
        return str(ipaddress.IPv6Address(name))
    except ValueError:
        return None


def split_host(header: str) -> tuple[str, int | None] | None:
    """``Host`` as (name, port or None); None when it is not ``name[:port]``."""
    if header.startswith("["):
        inner, bracket, rest = header[1:].partition("]")
        name, port = (f"[{inner}]", rest) if bracket else (header, "")
    else:
        name, colon, port = header.partition(":")
        port = colon + port
    if port and (not port.startswith(":") or not _is_port(port[1:])):
        return None
    normal = normal_name(name)
    return (normal, int(port[1:]) if port else None) if normal else None


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535


@dataclass(frozen=True)
class ServerNames:
    """The names a server answers to: exact names, ``.domain`` suffixes, or any (``*``)."""

    exact: frozenset[str]
    suffixes: tuple[str, ...]
    anything: bool = False

    def allows(self, name: str) -> bool:
        """Whether ``name`` (as :func:`normal_name` gives it) is one of the server's."""
        if self.anything or name in self.exact:
            return True
        return any(name.endswith(s) or name == s[1:] for s in self.suffixes)


@functools.lru_cache(maxsize=32)
def _names(configured: tuple[str, ...] | None, host: str) -> ServerNames:
    wanted = [*LOOPBACK_NAMES, LOOPBACK_SUFFIX, *(configured or ())]
    if host.strip("[]") not in WILDCARD_HOSTS:
        wanted.append(host)
    exact = {n for n in (normal_name(w) for w in wanted if not w.startswith(".")) if n}
    suffixes = tuple(f".{n}" for n in (normal_name(w[1:]) for w in wanted if w[:1] == ".") if n)
    return ServerNames(frozenset(exact), suffixes, anything="*" in (configured or ()))


def server_names(config: Config) -> ServerNames:
    """The names ``config`` answers to."""
    configured = tuple(config.server_names) if config.server_names is not None else None
    return _names(configured, config.host)


def host_problem(config: Config, host: str | None) -> str | None:
    """Why a request with this ``Host`` header is not answered; None when it is."""
    if host is None:
        return "the request has no Host header"
    parts = split_host(host)
    if parts is None:
        return f"the Host header {host!r} is not a host name"
    if not server_names(config).allows(parts[0]):
        return f"the host name {parts[0]!r} is not one this server answers to"
    return None


@web.middleware
async def known_hosts_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer only the server's own names (400 JSON otherwise), before anything else runs."""
    if request.path in ANY_HOST_PATHS and request.method in ("GET", "HEAD"):
        return await handler(request)
    host = request.headers.get("Host")
    problem = host_problem(request.app[CONFIG], host)
    if problem is None:
        return await handler(request)
    detail = f"{problem}; list the names clients use in the setting {SETTING} (config.yaml)"
    return web.json_response({"detail": detail, "host": host, "setting": SETTING}, status=400)


def is_this_server(request: web.Request, url: str) -> bool:
    """Whether ``url`` (an ``Origin`` or ``Referer``) is this server: http(s), a server
    name, and the port the request came to (the ``Host`` header's, else the scheme's)."""
    try:
        parts = urlsplit(url)
        origin_port = parts.port
    except ValueError:
        return False
    name = normal_name(parts.hostname or "")
    host = split_host(request.headers.get("Host", ""))
    if parts.scheme not in DEFAULT_PORTS or name is None or host is None:
        return False
    if not server_names(request.app[CONFIG]).allows(name):
        return False
    default = DEFAULT_PORTS[parts.scheme]
    return (origin_port or default) == (host[1] or default)


def wildcard_notice(config: Config) -> str | None:
    """The line printed at start when the server listens on every address but was not told
    the names clients use: only loopback names would be answered."""
    if config.host.strip("[]") not in WILDCARD_HOSTS or config.server_names is not None:
        return None
    return (
        f"lsplug: listening on {config.host or '*'}, but answering only the host names "
        "localhost, 127.0.0.1, [::1] and *.localhost; list the names clients use "
        f"(e.g. labels.example.com) in the setting {SETTING}"
    )
