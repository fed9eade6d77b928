"""Fetching a file a client names by URL, without letting the client reach inside the network.

Only ``http``/``https``; every address a host name resolves to (and every redirect's) must be
public, unless the host is listed in the ``allowed_hosts`` setting (the rule of
:class:`lsplug.hooks.AddressPolicy`, checked by the resolver of every connection); a
timeout and a size limit bound the download.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import aiohttp
from yarl import URL

from lsplug.errors import BadInput, TooLarge
from lsplug.hooks.addresses import AddressPolicy, AddressRefused, refusal_in

MAX_REDIRECTS = 5
TIMEOUT = 30.0
EXTENSIONS = {"application/json": ".json", "text/csv": ".csv", "text/tab-separated-values": ".tsv",
              "text/plain": ".txt", "application/x-ndjson": ".jsonl"}  # fmt: skip


class Refused(BadInput):
    """A URL lsplug will not fetch."""


def check_url(url: str, allowed_hosts: Sequence[str], what: str = "url") -> URL:
    """The URL if its scheme is http(s), and a literal address in it is public or allowed."""
    try:
        return AddressPolicy(tuple(allowed_hosts)).check_url(url, what)
    except AddressRefused as exc:
        raise Refused(str(exc)) from None


@dataclass(frozen=True)
class Fetched:
    """A downloaded file: a name (its extension picks the format) and its bytes."""

    name: str
    content: bytes


async def fetch(url: str, allowed_hosts: Sequence[str], limit: int) -> Fetched:
    """Download ``url`` (redirects checked one by one); 400 for a refused or failed fetch."""
    target = check_url(url, allowed_hosts)
    connector = aiohttp.TCPConnector(resolver=AddressPolicy(tuple(allowed_hosts)).resolver())
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
        refused = refusal_in(exc)
        if refused is not None:
            raise Refused(str(refused)) from None
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
