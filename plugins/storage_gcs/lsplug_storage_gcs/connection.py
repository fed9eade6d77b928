"""One GCS client per storage, built on first use, and GCS errors told by form field.

Implements no hook; shared by :mod:`lsplug_storage_gcs.source` and
:mod:`lsplug_storage_gcs.sink`. Everything here that touches the network blocks: the
storages call it through ``StorageContext.run_in_thread``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import google.auth
import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage  # type: ignore[import-untyped]
from google.oauth2 import service_account

from lsplug.hooks import StorageContext, StorageError

KEY_FIELD = "google_application_credentials"
TIMEOUT = 30.0


def folder_prefix(raw: Any) -> str:
    """A prefix as a folder: no leading slash, one trailing slash (empty stays empty)."""
    text = str(raw or "").strip().strip("/")
    return f"{text}/" if text else ""


def key_info(settings: Mapping[str, Any], ctx: StorageContext) -> dict[str, Any] | None:
    """The service-account key the settings hold (JSON text or a file path), or None."""
    raw = str(settings.get(KEY_FIELD) or "").strip()
    if not raw:
        return None
    try:
        text = raw if raw.startswith("{") else ctx.confined(Path(raw), KEY_FIELD).read_text()
        info = json.loads(text)
    except (OSError, ValueError) as exc:
        raise StorageError({KEY_FIELD: [f"not a service-account JSON key: {exc}"]}) from None
    if not isinstance(info, dict):
        raise StorageError({KEY_FIELD: ["not a service-account JSON key: not an object"]})
    return info


def signing_credentials(info: dict[str, Any] | None) -> service_account.Credentials | None:
    """Credentials of the key, which also sign URLs offline; a bad key is a field error."""
    if info is None:
        return None
    try:
        signer: service_account.Credentials = (
            service_account.Credentials.from_service_account_info(info)  # type: ignore[no-untyped-call]
        )
        return signer
    except (ValueError, KeyError) as exc:
        raise StorageError({KEY_FIELD: [f"not a usable service-account key: {exc}"]}) from None


class GCSConnection:
    """A bucket and prefix with a client made on first use (in a thread)."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.bucket_name = str(settings.get("bucket") or "").strip()
        if not self.bucket_name:
            raise StorageError({"bucket": ["This field is required."]})
        self.prefix = folder_prefix(settings.get("prefix"))
        self.endpoint_url = str(settings.get("endpoint_url") or "").rstrip("/") or None
        self.info = key_info(settings, ctx)
        self.signer = signing_credentials(self.info)
        self.project = str(settings.get("google_project_id") or "") or None
        self.ctx = ctx
        self._client: storage.Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> storage.Client:
        """The client, made once (finding default credentials may block)."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self.ctx.run_in_thread(self._create)
        return self._client

    def _create(self) -> storage.Client:
        if self.endpoint_url:  # an emulator: no OAuth; the key, if any, still signs URLs
            options = {"api_endpoint": self.endpoint_url}
            anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
            return storage.Client(self.project or "lsplug", anonymous, client_options=options)
        if self.signer is not None:
            project = self.project or (self.info or {}).get("project_id")
            return storage.Client(project, self.signer)
        with field_errors(self):
            credentials, found = google.auth.default()
        return storage.Client(self.project or found, credentials)

    async def bucket(self) -> storage.Bucket:
        """The bucket (no request is made)."""
        return (await self.client()).bucket(self.bucket_name)

    async def check_endpoint(self) -> None:
        """Raise :class:`StorageError` unless the endpoint may be reached (a GCS client
        resolves names itself: the addresses are checked here, when the storage is set)."""
        await self.ctx.check_endpoint(self.endpoint_url or "")

    def require_bucket(self, bucket: storage.Bucket) -> None:
        """Raise :class:`StorageError` unless the bucket exists (blocking)."""
        with field_errors(self):
            bucket.reload(timeout=TIMEOUT, retry=None)

    def close(self) -> None:
        """Close the client's HTTP session (blocking)."""
        if self._client is not None:
            self._client.close()
            self._client = None


@contextlib.contextmanager
def field_errors(conn: GCSConnection) -> Iterator[None]:
    """Turn a GCS failure inside the block into a :class:`StorageError` by form field."""
    try:
        yield
    except (api.GoogleAPIError, auth.GoogleAuthError, requests.RequestException) as exc:
        raise describe(exc, conn) from None


def describe(exc: BaseException, conn: GCSConnection) -> StorageError:
    """The form field a GCS failure is about, with a message saying what went wrong."""
    where = conn.endpoint_url or "Google Cloud Storage"
    if isinstance(exc, api.NotFound):
        return StorageError({"bucket": [f"no bucket {conn.bucket_name!r} at {where}"]})
    if isinstance(exc, api.Forbidden):
        return StorageError({"bucket": [f"access to bucket {conn.bucket_name!r} denied: {exc}"]})
    if isinstance(exc, api.Unauthorized | auth.GoogleAuthError):
        return StorageError({KEY_FIELD: [f"the credentials were refused: {exc}"]})
    if isinstance(exc, requests.RequestException):
        return StorageError({"endpoint_url": [f"cannot connect to {where}: {exc}"]})
    return StorageError({"bucket": [f"{where}: {exc}"]})
