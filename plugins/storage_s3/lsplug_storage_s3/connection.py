"""One S3 client per storage, opened on first use, and S3 errors told by form field.

Implements no hook; shared by :mod:`lsplug_storage_s3.source` and
:mod:`lsplug_storage_s3.sink`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
from aiobotocore.session import get_session  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

from lsplug.hooks import StorageContext, StorageError

CREDENTIAL_ERRORS = {
    "InvalidAccessKeyId": ("aws_access_key_id", "the access key id is not known"),
    "InvalidClientTokenId": ("aws_access_key_id", "the access key id is not known"),
    "SignatureDoesNotMatch": ("aws_secret_access_key", "the secret does not fit the access key"),
    "ExpiredToken": ("aws_session_token", "the session token has expired"),
    "InvalidToken": ("aws_session_token", "the session token is not valid"),
}


def folder_prefix(raw: Any) -> str:
    """A prefix as a folder: no leading slash, one trailing slash (empty stays empty)."""
    text = str(raw or "").strip().strip("/")
    return f"{text}/" if text else ""


def required_bucket(settings: Mapping[str, Any]) -> str:
    """The bucket a storage's settings name."""
    bucket = str(settings.get("bucket") or "").strip()
    if not bucket:
        raise StorageError({"bucket": ["This field is required."]})
    return bucket


class S3Connection:
    """A bucket and prefix with a lazily opened aiobotocore client."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.ctx = ctx
        self.bucket = required_bucket(settings)
        self.prefix = folder_prefix(settings.get("prefix"))
        self.endpoint_url = str(settings.get("endpoint_url") or "") or None
        self._options = {
            "region_name": str(settings.get("region_name") or "us-east-1"),
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": settings.get("aws_access_key_id") or None,
            "aws_secret_access_key": settings.get("aws_secret_access_key") or None,
            "aws_session_token": settings.get("aws_session_token") or None,
        }
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def client(self) -> Any:
        """The S3 client, created on first use (in the loop that uses it)."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._stack.enter_async_context(self._create())
        return self._client

    def _create(self) -> Any:
        # settings set through the API: every connection checks the endpoint's addresses
        checked = (
            {"resolver": self.ctx.addresses.resolver("endpoint_url")}
            if self.ctx.addresses
            else None
        )
        config = AioConfig(
            signature_version="s3v4",
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 2, "mode": "standard"},
            max_pool_connections=32,
            connector_args=checked,
        )
        try:
            return get_session().create_client("s3", config=config, **self._options)
        except ValueError as exc:  # botocore refuses a malformed endpoint URL here
            raise StorageError({"endpoint_url": [str(exc)]}) from None

    async def check_bucket(self) -> None:
        """Raise :class:`StorageError` unless the endpoint may be reached, the bucket exists
        and these credentials see it."""
        await self.ctx.check_endpoint(self.endpoint_url or "")
        client = await self.client()
        try:
            await client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 403:
                raise describe(exc, self) from None
            # a HEAD answer has no body: a GET tells bad credentials from a denied bucket
            with field_errors(self):
                await client.list_objects_v2(Bucket=self.bucket, MaxKeys=1)
            raise describe(exc, self) from None
        except BotoCoreError as exc:
            raise describe(exc, self) from None

    async def close(self) -> None:
        """Close the client's connections."""
        await self._stack.aclose()
        self._client = None


@contextlib.contextmanager
def field_errors(conn: S3Connection) -> Iterator[None]:
    """Turn an S3 failure inside the block into a :class:`StorageError` by form field."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise describe(exc, conn) from None


def describe(exc: BaseException, conn: S3Connection) -> StorageError:
    """The form field an S3 failure is about, with a message saying what went wrong."""
    where = conn.endpoint_url or "AWS"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in CREDENTIAL_ERRORS:
            field, message = CREDENTIAL_ERRORS[code]
            return StorageError({field: [f"{message} ({code} from {where})"]})
        if code in ("NoSuchBucket", "404") or status == 404:
            return StorageError({"bucket": [f"no bucket {conn.bucket!r} at {where}"]})
        if code in ("AccessDenied", "403", "Forbidden") or status == 403:
            return StorageError({"bucket": [f"access to bucket {conn.bucket!r} denied ({code})"]})
        return StorageError({"bucket": [f"{code or status}: {error.get('Message', exc)}"]})
    if isinstance(exc, NoCredentialsError):
        return StorageError({"aws_access_key_id": ["none given, and none in the environment"]})
    if isinstance(exc, EndpointConnectionError):
        return StorageError({"endpoint_url": [f"cannot connect to {where}: {exc}"]})
    if isinstance(exc, ParamValidationError):
        return StorageError({"bucket": [str(exc)]})
    return StorageError({"": [f"S3 at {where}: {exc}"]})
