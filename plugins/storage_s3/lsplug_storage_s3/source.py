"""The objects under a bucket prefix as a task source.

Implements the objects behind ``lsplug_source_types`` (registered in
:mod:`lsplug_storage_s3`): :class:`S3Source`, a :class:`lsplug.hooks.TaskSource`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import orjson

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
from lsplug_storage_s3.connection import S3Connection, field_errors

LIST_CONCURRENCY = 16  # folders of the prefix listed at once


def split_url(url: str, scheme: str) -> tuple[str, str] | None:
    """``(bucket, key)`` of ``<scheme>://bucket/key``, or None for another URL."""
    head = f"{scheme}://"
    if not url.startswith(head):
        return None
    bucket, _, key = url[len(head) :].partition("/")
    return (bucket, key) if bucket and key else None


def digest(task: Any) -> str:
    """A short hash of a task's content, the same whatever the order of its keys."""
    data = orjson.dumps(task, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]


class S3Source:
    """Tasks from every object under ``s3://bucket/prefix/``, listed page by page."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.conn = S3Connection(settings, ctx)
        self.ctx = ctx
        self.regex = key_filter(settings)
        self.media = bool(settings.get("use_blob_urls", True))
        self.data_key = media_key(settings, ctx) if self.media else ctx.data_key
        self.ttl = int(settings.get("presign_ttl") or 3600)

    async def check(self) -> None:
        """Raise :class:`StorageError` unless the bucket exists and can be listed."""
        await self.conn.check_bucket()
        client = await self.conn.client()
        with field_errors(self.conn):
            await client.list_objects_v2(
                Bucket=self.conn.bucket, Prefix=self.conn.prefix, MaxKeys=1
            )

    def wanted(self, key: str) -> bool:
        """Whether a listed key is a task's object (folder markers never are)."""
        if key.endswith("/") or (self.regex is not None and not self.regex.search(key)):
            return False
        return self.media or os.path.splitext(key)[1].lower() in SUPPORTED_EXTENSIONS

    async def list_objects(self) -> AsyncIterator[SourceObject]:
        """Every wanted object under the prefix, recursively, in key order; version = ETag.

        The prefix's first level is listed with the delimiter ``/``; its folders are then
        listed recursively, several at once (:data:`LIST_CONCURRENCY`), and yielded in key
        order as a plain listing would. A bucket answers each 1,000-key page slowly
        (S3 and moto alike), so folders listed in parallel cut the wait; a prefix with no
        folders is listed exactly as before.
        """
        client = await self.conn.client()
        bucket, prefix = self.conn.bucket, self.conn.prefix
        entries: list[tuple[str, SourceObject | None]] = []  # (key or folder, object)
        top = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix, Delimiter="/"
        )
        async for page in top:
            entries.extend((o.key, o) for o in self._objects(page))
            entries.extend((p["Prefix"], None) for p in page.get("CommonPrefixes", ()))
        entries.sort(key=lambda e: e[0])
        folders = [name for name, obj in entries if obj is None]
        gate = asyncio.Semaphore(LIST_CONCURRENCY)

        async def folder(name: str) -> list[SourceObject]:
            async with gate:
                pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=name)
                return [o async for page in pages for o in self._objects(page)]

        listings = {name: asyncio.ensure_future(folder(name)) for name in folders}
        try:
            for name, obj in entries:
                if obj is not None:
                    yield obj
                else:
                    for found in await listings[name]:
                        yield found
        finally:
            for pending in listings.values():
                pending.cancel()
            await asyncio.gather(*listings.values(), return_exceptions=True)

    def _objects(self, page: Mapping[str, Any]) -> Iterator[SourceObject]:
        """The wanted objects of one listing page."""
        for entry in page.get("Contents", ()):
            if self.wanted(entry["Key"]):
                yield SourceObject(entry["Key"], entry["ETag"].strip('"'), entry["Size"])

    async def read_object(self, obj: SourceObject) -> AsyncIterator[SourceItem]:
        """A media object's one task, or the tasks a task file holds."""
        if self.media:
            url = f"s3://{self.conn.bucket}/{obj.key}"
            yield SourceItem(MEDIA_ITEM, {self.data_key: url})
            return
        client = await self.conn.client()
        response = await client.get_object(Bucket=self.conn.bucket, Key=obj.key)
        async with response["Body"] as body:
            content = await body.read()
        tasks = await self.ctx.run_in_thread(read_tasks, obj.key, content, self.ctx.data_key)
        for index, task in enumerate(tasks):
            yield SourceItem(f"{index}:{digest(task)}", task)

    async def sign_url(self, url: str) -> str | None:
        """A presigned HTTPS GET URL for ``s3://bucket/key``, valid ``presign_ttl`` seconds."""
        parts = split_url(url, "s3")
        if parts is None:
            return None
        client = await self.conn.client()
        signed: str = await client.generate_presigned_url(
            "get_object", Params={"Bucket": parts[0], "Key": parts[1]}, ExpiresIn=self.ttl
        )
        return signed

    async def close(self) -> None:
        """Close the client."""
        await self.conn.close()
