"""A bucket prefix of ``<task_id>.json`` objects as a completion sink.

Implements the objects behind ``lsplug_sink_types`` (registered in
:mod:`lsplug_storage_s3`): :class:`S3Sink`, a :class:`lsplug.hooks.CompletionSink`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lsplug.hooks import StorageContext
from lsplug_storage_s3.connection import S3Connection, field_errors

CHECK_OBJECT = ".lsplug-write-check"


class S3Sink:
    """Each task's document as the object ``<prefix><task_id>.json`` (a PUT replaces it)."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.conn = S3Connection(settings, ctx)
        self.ctx = ctx

    async def check(self) -> None:
        """Raise :class:`StorageError` unless an object can be put in the prefix and deleted."""
        await self.conn.check_bucket()
        client = await self.conn.client()
        key = self.conn.prefix + CHECK_OBJECT
        with field_errors(self.conn):
            await client.put_object(Bucket=self.conn.bucket, Key=key, Body=b"")
            await client.delete_object(Bucket=self.conn.bucket, Key=key)

    def task_key(self, task_id: int) -> str:
        """The object key of one task's document."""
        return f"{self.conn.prefix}{int(task_id)}.json"

    async def write_task(self, task_id: int, document: bytes) -> None:
        """Put the task's document (S3 replaces whole objects: readers never see half)."""
        client = await self.conn.client()
        await client.put_object(
            Bucket=self.conn.bucket,
            Key=self.task_key(task_id),
            Body=document,
            ContentType="application/json",
        )

    async def delete_task(self, task_id: int) -> None:
        """Delete the task's document (S3 answers 204 for a key already gone)."""
        client = await self.conn.client()
        await client.delete_object(Bucket=self.conn.bucket, Key=self.task_key(task_id))

    async def close(self) -> None:
        """Close the client."""
        await self.conn.close()
