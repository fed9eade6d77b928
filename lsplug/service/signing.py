"""Bucket URLs in served tasks: ``s3://`` and ``gs://`` values become presigned HTTPS URLs.

The stored task keeps the bucket URL; only what a client is handed is signed, by the
current source's ``sign_url``. A task is decoded only when its bytes hold a URL scheme
that a loaded source type declares (``SourceType.url_schemes``), so plain tasks are
served from their stored bytes as before.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import orjson

from lsplug.hooks.types import TaskSource
from lsplug.plugins import Plugins
from lsplug.records import TaskRecord

log = logging.getLogger(__name__)


def url_markers(plugins: Plugins) -> tuple[bytes, ...]:
    """What a task's JSON holds when a value may need signing: ``"s3://`` and the like."""
    schemes = {s for kind in plugins.sources.items.values() for s in kind.url_schemes}
    return tuple(b'"%s://' % s.encode() for s in sorted(schemes))


async def signed_tasks(
    records: Sequence[TaskRecord], source: TaskSource | None, markers: tuple[bytes, ...]
) -> list[bytes]:
    """Each task's JSON, with the source's URLs signed in the tasks that hold any."""
    if source is None or not markers:
        return [r.json_bytes() for r in records]
    out = []
    for record in records:
        if any(m in record.data for m in markers):
            record = await _signed(record, source, tuple(m[1:].decode() for m in markers))
        out.append(record.json_bytes())
    return out


async def _signed(record: TaskRecord, source: TaskSource, prefixes: tuple[str, ...]) -> TaskRecord:
    data = await _sign_value(orjson.loads(record.data), source, prefixes)
    return dataclasses.replace(record, data=orjson.dumps(data))


async def _sign_value(value: Any, source: TaskSource, prefixes: tuple[str, ...]) -> Any:
    """``value`` with every string that starts with a bucket scheme signed, at any depth."""
    if isinstance(value, str):
        return await _sign_url(value, source) if value.startswith(prefixes) else value
    if isinstance(value, dict):
        return {k: await _sign_value(v, source, prefixes) for k, v in value.items()}
    if isinstance(value, list):
        return [await _sign_value(v, source, prefixes) for v in value]
    return value


async def _sign_url(url: str, source: TaskSource) -> str:
    """The signed URL, or ``url`` itself when the source cannot sign it (logged)."""
    try:
        signed = await source.sign_url(url)
    except Exception as exc:  # a task must still be served when signing fails
        log.warning("cannot sign %s: %s", url, exc)
        return url
    return signed or url
