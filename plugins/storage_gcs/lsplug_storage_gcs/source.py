"""The objects under a GCS bucket prefix as a task source.

Implements the objects behind ``lsplug_source_types`` (registered in
:mod:`lsplug_storage_gcs`): :class:`GCSSource`, a :class:`lsplug.hooks.TaskSource`.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import orjson
from google.cloud import storage  # type: ignore[import-untyped]

from lsplug.hooks import (
    MEDIA_ITEM,
    SUPPORTED_EXTENSIONS,
    SourceItem,
    SourceObject,
    StorageContext,
    key_filter,
    media_key,
    read_tasks,
)
from lsplug_storage_gcs.connection import TIMEOUT, GCSConnection, field_errors

log = logging.getLogger(__name__)
PAGE = 1000
Page = list[tuple[str, str, int]]


def digest(task: Any) -> str:
    """A short hash of a task's content, the same whatever the order of its keys."""
    data = orjson.dumps(task, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]


def next_page(pages: Iterator[Any]) -> Page | None:
    """The next listing page as ``(name, version, size)``, or None at the end (blocking)."""
    page = next(pages, None)
    if page is None:
        return None
    return [(b.name, str(b.generation or b.etag), int(b.size or 0)) for b in page]


class GCSSource:
    """Tasks from every object under ``gs://bucket/prefix/``, listed page by page."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.conn = GCSConnection(settings, ctx)
        self.ctx = ctx
        self.regex = key_filter(settings)
        self.media = bool(settings.get("use_blob_urls", True))
        self.data_key = media_key(settings, ctx) if self.media else ctx.data_key
        self.ttl = datetime.timedelta(seconds=int(settings.get("presign_ttl") or 3600))

    async def check(self) -> None:
        """Raise :class:`StorageError` unless the bucket exists and can be listed."""
        await self.conn.check_endpoint()
        bucket = await self.conn.bucket()
        await self.ctx.run_in_thread(self._check, bucket)

    def _check(self, bucket: storage.Bucket) -> None:
        self.conn.require_bucket(bucket)
        with field_errors(self.conn):
            list(bucket.list_blobs(prefix=self.conn.prefix, max_results=1, timeout=TIMEOUT))

    def wanted(self, name: str) -> bool:
        """Whether a listed object is a task's object (folder markers never are)."""
        if name.endswith("/") or (self.regex is not None and not self.regex.search(name)):
            return False
        return self.media or os.path.splitext(name)[1].lower() in SUPPORTED_EXTENSIONS

    async def list_objects(self) -> AsyncIterator[SourceObject]:
        """Every wanted object under the prefix, recursively, a page per request."""
        bucket = await self.conn.bucket()
        listing = bucket.list_blobs(prefix=self.conn.prefix, page_size=PAGE, timeout=TIMEOUT)
        pages = iter(listing.pages)
        while (page := await self.ctx.run_in_thread(next_page, pages)) is not None:
            for name, version, size in page:
                if self.wanted(name):
                    yield SourceObject(name, version, size)

    async def read_object(self, obj: SourceObject) -> AsyncIterator[SourceItem]:
        """A media object's one task, or the tasks a task file holds."""
        if self.media:
            yield SourceItem(MEDIA_ITEM, {self.data_key: f"gs://{self.conn.bucket_name}/{obj.key}"})
            return
        blob = (await self.conn.bucket()).blob(obj.key)
        content = await self.ctx.run_in_thread(blob.download_as_bytes, timeout=TIMEOUT)
        tasks = await self.ctx.run_in_thread(read_tasks, obj.key, content, self.ctx.data_key)
        for index, task in enumerate(tasks):
            yield SourceItem(f"{index}:{digest(task)}", task)

    async def sign_url(self, url: str) -> str | None:
        """A v4 signed HTTPS GET URL for ``gs://bucket/name``, valid ``presign_ttl`` seconds."""
        bucket_name, _, name = url.removeprefix("gs://").partition("/")
        if not url.startswith("gs://") or not bucket_name or not name:
            return None
        blob = (await self.conn.client()).bucket(bucket_name).blob(name)
        signed: str | None = await self.ctx.run_in_thread(self._sign, blob)
        return signed

    def _sign(self, blob: storage.Blob) -> str | None:
        options: dict[str, Any] = {"version": "v4", "expiration": self.ttl, "method": "GET"}
        if self.conn.signer is not None:
            options["credentials"] = self.conn.signer
        if self.conn.endpoint_url:
            options["api_access_endpoint"] = self.conn.endpoint_url
        try:
            return str(blob.generate_signed_url(**options))
        except (AttributeError, TypeError, ValueError) as exc:  # credentials that cannot sign
            log.warning("cannot sign gs://%s/%s: %s", blob.bucket.name, blob.name, exc)
            return None

    async def close(self) -> None:
        """Close the client."""
        await self.ctx.run_in_thread(self.conn.close)
