"""Which network addresses a connection may reach, handed to plugins by the core.

A URL a client sets through the API (a model server, an S3 or GCS endpoint, a file to
import) must not reach inside the server's network: only ``http``/``https``, and every
address its host resolves to must be public, unless the host is listed in the
``allowed_hosts`` setting (then only listed hosts). The check is made on every connection,
by the resolver the connection uses (:meth:`AddressPolicy.resolver`), so a name that
resolves elsewhere between a check and the connection (DNS rebinding) is still refused.
Settings the operator wrote in ``config.yaml`` are the operator's: the core hands no
policy (None) for those.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL


class AddressRefused(OSError):
    """A URL or an address the policy refuses; an ``OSError``, so that every HTTP client
    treats it as a connection that could not be made. The message says why."""


def refusal_in(exc: BaseException) -> AddressRefused | None:
    """The policy's refusal behind a connection error an HTTP client raised, if that is
    what it was (aiohttp keeps it as ``os_error``, others as the cause)."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, AddressRefused):
        cause = getattr(cause, "os_error", None) or cause.__cause__
    return cause


def is_public(address: str) -> bool:
    """Whether an IP address is a public (global) one."""
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_global
    except ValueError:
        return False


@dataclass(frozen=True)
class AddressPolicy:
    """The rule for connections a client configured: public addresses, or the
    ``allowed_hosts``; ``internal_ok``: any address (a server only this machine reaches)."""

    allowed_hosts: tuple[str, ...] = ()
    internal_ok: bool = False

    def check_url(self, url: str, what: str = "url") -> URL:
        """The parsed URL if it is http(s) and its host may be reached as far as can be
        told without resolving it; :class:`AddressRefused` naming ``what`` otherwise."""
        try:
            parsed = URL(url)
            host = parsed.host
        except (ValueError, TypeError):
            raise AddressRefused(f"{what}: {url!r} is not a URL") from None
        if parsed.scheme not in ("http", "https") or not host:
            raise AddressRefused(f"{what}: only http and https URLs, not {url!r}")
        self.check_host(host, what)
        return parsed

    def check_host(self, host: str, what: str = "url") -> None:
        """Refuse a host outside ``allowed_hosts`` (when it lists any) or an internal
        address literal; a name is checked when it is resolved."""
        if self.internal_ok or host in self.allowed_hosts:
            return
        if self.allowed_hosts:
            raise AddressRefused(f"{what}: the host {host} is not in the allowed_hosts setting")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return
        if not is_public(host):
            raise AddressRefused(f"{what}: {host} is an internal address; list it in allowed_hosts")

    def allows(self, host: str, address: str) -> bool:
        """Whether a connection to ``host`` may use the resolved ``address``."""
        return self.internal_ok or host in self.allowed_hosts or is_public(address)

    def resolver(self, what: str = "url") -> AbstractResolver:
        """An aiohttp resolver that applies this policy to every connection it resolves.
        aiohttp does not resolve a literal address: check each URL with :meth:`check_url`
        as well (it refuses an internal literal at once)."""
        return CheckedResolver(self, what)

    async def check_reachable(self, url: str, what: str = "url") -> URL:
        """:meth:`check_url`, then resolve the host and check every address (for clients
        that cannot take :meth:`resolver`; the connection may resolve again later)."""
        parsed = self.check_url(url, what)
        resolver = self.resolver(what)
        try:
            await resolver.resolve(parsed.host or "", parsed.port or 0, socket.AF_UNSPEC)
        finally:
            await resolver.close()
        return parsed


class CheckedResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then refuses what the policy refuses."""

    def __init__(self, policy: AddressPolicy, what: str) -> None:
        self._inner = ThreadedResolver()
        self._policy = policy
        self._what = what

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host``; :class:`AddressRefused` unless all may be reached."""
        self._policy.check_host(host, self._what)
        try:
            found = await self._inner.resolve(host, port, family)
        except OSError as exc:
            raise AddressRefused(f"{self._what}: cannot resolve {host}: {exc}") from None
        if not all(self._policy.allows(host, r["host"]) for r in found):
            raise AddressRefused(
                f"{self._what}: {host} resolves to an internal address; list it in allowed_hosts"
            )
        return found

    async def close(self) -> None:
        """Close the inner resolver."""
        await self._inner.close()
