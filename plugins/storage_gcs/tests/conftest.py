"""Fixtures of the GCS storage tests: a real gcp-storage-emulator on a free port, real apps."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from lsplug.testing import Client, LocalService, MakeClient, client_factory, wait_long

IMAGE_CONFIG = '<View><Image name="image" value="$image"/><Choices name="c" toName="image">' \
    '<Choice value="cat"/><Choice value="dog"/></Choices></View>'  # fmt: skip


class Emulator(LocalService):
    """A ``gcp-storage-emulator`` process, in memory."""

    ready_path = "/storage/v1/b?project=test"
    what = "the GCS emulator"

    def command(self) -> list[str]:
        exe = shutil.which("gcp-storage-emulator", path=str(Path(sys.executable).parent))
        assert exe, "gcp-storage-emulator is not installed"
        return [exe, "start", "--host", "127.0.0.1", "--port", str(self.port), "--in-memory"]

    def client(self) -> Any:
        """A google-cloud-storage client of the emulator, to set up and look at buckets."""
        return storage.Client(
            "test", AnonymousCredentials(), client_options={"api_endpoint": self.url}
        )

    def settings(self, bucket: str, **extra: Any) -> dict[str, Any]:
        """The form of a ``gcs`` storage on this emulator."""
        return {"type": "gcs", "bucket": bucket, "endpoint_url": self.url, **extra}


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One emulator for the session; each test uses buckets of its own."""
    server = Emulator()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gcs_bucket(emulator: Emulator) -> str:
    """A new, empty bucket on the emulator."""
    name = f"b-{uuid.uuid4().hex[:12]}"
    emulator.client().create_bucket(name)
    return name


@pytest.fixture(scope="session")
def service_account_key() -> str:
    """A service-account key made here (its RSA key signs v4 URLs offline)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "test",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "lsplug@test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


@pytest.fixture
def make_client(aiohttp_client: Any, tmp_path: Path) -> MakeClient:
    """A factory of clients of an image project; keyword arguments override config keys.
    The emulator's 127.0.0.1 is in ``allowed_hosts``, as an endpoint set through the API
    must be."""
    make = client_factory(aiohttp_client, tmp_path, IMAGE_CONFIG)

    async def with_local_endpoints(**overrides: Any) -> Client:
        return await make(**{"allowed_hosts": ["127.0.0.1"], **overrides})

    return with_local_endpoints


@pytest.fixture
def poll() -> Callable[..., Awaitable[bool]]:
    """``await poll(check, seconds)``: wait until an async check passes."""
    return wait_long
