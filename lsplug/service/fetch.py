"""Fetching a file a client names by URL, without letting the client reach inside the network.

Only ``http``/``https``; every address a host name resolves to (and every redirect's) must be
public, unless the host is listed in the ``allowed_hosts`` setting; a timeout and a size
limit bound the download.
"""

from __future__ import annotations

import ipaddress
import mimetypes
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from lsplug.errors import BadInput, TooLarge

MAX_REDIRECTS = 5
TIMEOUT = 30.0
EXTENSIONS = {"application/json": ".json", "text/csv": ".csv", "text/tab-separated-values": ".tsv",
              "text/plain": ".txt", "application/x-ndjson": ".jsonl"}  # fmt: skip


class Refused(BadInput):
    """A URL lsplug will not fetch."""


def _public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_global
    except ValueError:
        return False


def check_url(url: str, allowed_hosts: Sequence[str], what: str = "url") -> URL:
    """The URL if its scheme is http(s), and a literal address in it is public or allowed."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        raise Refused(f"{what}: {url!r} is not a URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Refused(f"{what}: only http and https URLs can be fetched, not {url!r}")
    host = parsed.host
    if host in allowed_hosts:
        return parsed
    if allowed_hosts:
        raise Refused(f"{what}: the host {host} is not in the allowed_hosts setting")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return parsed  # a name: its addresses are checked when it is resolved
    if not _public(host):
        raise Refused(f"{what}: {host} is an internal address; list it in allowed_hosts")
    return parsed


class PublicResolver(AbstractResolver):
    """Resolves like the default resolver, but refuses internal addresses."""

    def __init__(self, allowed_hosts: Sequence[str]) -> None:
        self._inner = ThreadedResolver()
        self._allowed = set(allowed_hosts)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host``, all public unless the host is allowed."""
        found = await self._inner.resolve(host, port, family)
        if host not in self._allowed and not all(_public(r["host"]) for r in found):
            raise Refused(f"url: {host} resolves to an internal address; list it in allowed_hosts")
        return found

    async def close(self) -> None:
        """Close the inner resolver."""
        await self._inner.close()


@dataclass(frozen=True)
class Fetched:
    """A downloaded file: a name (its extension picks the format) and its bytes."""

    name: str
    content: bytes


async def fetch(url: str, allowed_hosts: Sequence[str], limit: int) -> Fetched:
    """Download ``url`` (redirects checked one by one); 400 for a refused or failed fetch."""
    target = check_url(url, allowed_hosts)
    connector = aiohttp.TCPConnector(resolver=PublicResolver(allowed_hosts))
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                async with session.get(target, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                        target = check_url(str(target.join(URL(resp.headers["Location"]))),
                                           allowed_hosts)  # fmt: skip
                        continue
                    if resp.status != 200:
                        raise BadInput(f"url: {target} answered {resp.status}")
                    content = await _read_capped(resp, limit)
                    return Fetched(_name(target, resp.headers.get("Content-Type", "")), content)
            raise BadInput(f"url: more than {MAX_REDIRECTS} redirects")
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise BadInput(f"url: cannot fetch {url}: {exc.__class__.__name__} {exc}") from None


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"url: the file is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _name(url: URL, content_type: str) -> str:
    """The file name of the URL's path; an extension from the content type if it has none."""
    name = PurePosixPath(url.path).name or "download"
    if PurePosixPath(name).suffix:
        return name
    ctype = content_type.split(";")[0].strip().lower()
    return name + (EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype) or "")


def url_of(body: Any) -> str | None:
    """The ``url`` of a JSON import body ``{"url": "..."}``, else None."""
    if isinstance(body, dict) and set(body) == {"url"} and isinstance(body["url"], str):
        return body["url"]
    return None


async def check_server_url(url: str, allowed_hosts: Sequence[str], internal_ok: bool) -> None:
    """A model server URL: http(s) only; unless ``internal_ok``, a public or allowed host."""
    parsed = URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Refused(f"ml_backend: only http and https URLs, not {url!r}")
    if internal_ok:
        return
    check_url(url, allowed_hosts, "ml_backend")
    if parsed.host not in allowed_hosts:
        resolver = PublicResolver(allowed_hosts)
        try:
            await resolver.resolve(parsed.host, parsed.port or 0)
        except Refused as exc:
            raise Refused(exc.detail.replace("url: ", "ml_backend: ", 1)) from None
        except OSError as exc:
            raise Refused(f"ml_backend: cannot resolve {parsed.host}: {exc}") from None
        finally:
            await resolver.close()
