"""A GCS bucket prefix of ``<task_id>.json`` objects as a completion sink.

Implements the objects behind ``lsplug_sink_types`` (registered in
:mod:`lsplug_storage_gcs`): :class:`GCSSink`, a :class:`lsplug.hooks.CompletionSink`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from google.api_core import exceptions as api
from google.cloud import storage  # type: ignore[import-untyped]

from lsplug.hooks import StorageContext
from lsplug_storage_gcs.connection import TIMEOUT, GCSConnection, field_errors

CHECK_OBJECT = ".lsplug-write-check"


class GCSSink:
    """Each task's document as the object ``<prefix><task_id>.json`` (an upload replaces it)."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.conn = GCSConnection(settings, ctx)
        self.ctx = ctx

    async def check(self) -> None:
        """Raise :class:`StorageError` unless an object can be written in the prefix and deleted."""
        await self.conn.check_endpoint()
        bucket = await self.conn.bucket()
        await self.ctx.run_in_thread(self._check, bucket)

    def _check(self, bucket: storage.Bucket) -> None:
        self.conn.require_bucket(bucket)
        blob = bucket.blob(self.conn.prefix + CHECK_OBJECT)
        with field_errors(self.conn):
            blob.upload_from_string(b"", content_type="text/plain", timeout=TIMEOUT)
            blob.delete(timeout=TIMEOUT)

    async def blob(self, task_id: int) -> storage.Blob:
        """The object of one task's document."""
        return (await self.conn.bucket()).blob(f"{self.conn.prefix}{int(task_id)}.json")

    async def write_task(self, task_id: int, document: bytes) -> None:
        """Upload the task's document (a multipart upload: one request, all or nothing)."""
        blob = await self.blob(task_id)
        await self.ctx.run_in_thread(
            blob.upload_from_string, document, content_type="application/json", timeout=TIMEOUT
        )

    async def delete_task(self, task_id: int) -> None:
        """Delete the task's document; one already gone is no error."""
        blob = await self.blob(task_id)
        await self.ctx.run_in_thread(delete_quietly, blob)

    async def close(self) -> None:
        """Close the client."""
        await self.ctx.run_in_thread(self.conn.close)


def delete_quietly(blob: storage.Blob) -> None:
    """Delete ``blob``; a 404 means a retried delete already did (blocking)."""
    with contextlib.suppress(api.NotFound):
        blob.delete(timeout=TIMEOUT)
