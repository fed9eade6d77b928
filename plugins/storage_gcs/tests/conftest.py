"""Fixtures of the GCS storage tests: a real gcp-storage-emulator on a free port, real apps."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
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

from lsplug.testing import MakeClient, client_factory, wait_for_http, wait_long

IMAGE_CONFIG = '<View><Image name="image" value="$image"/><Choices name="c" toName="image">' \
    '<Choice value="cat"/><Choice value="dog"/></Choices></View>'  # fmt: skip


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Emulator:
    """A ``gcp-storage-emulator`` process, in memory."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the emulator and wait until it answers."""
        exe = shutil.which("gcp-storage-emulator", path=str(Path(sys.executable).parent))
        assert exe, "gcp-storage-emulator is not installed"
        self.proc = subprocess.Popen(
            [exe, "start", "--host", "127.0.0.1", "--port", str(self.port), "--in-memory"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"{self.url}/storage/v1/b?project=test", 15, "the GCS emulator")

    def stop(self) -> None:
        """Stop the emulator."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

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
    """A factory of clients of an image project; keyword arguments override config keys."""
    return client_factory(aiohttp_client, tmp_path, IMAGE_CONFIG)


@pytest.fixture
def poll() -> Callable[..., Awaitable[bool]]:
    """``await poll(check, seconds)``: wait until an async check passes."""
    return wait_long
