"""Fixtures of the S3 storage tests: real moto servers on free loopback ports, real apps."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from lsplug.testing import Client, LocalService, MakeClient, client_factory, wait_long

IMAGE_CONFIG = '<View><Image name="image" value="$image"/><Choices name="c" toName="image">' \
    '<Choice value="cat"/><Choice value="dog"/></Choices></View>'  # fmt: skip
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class MotoServer(LocalService):
    """A ``moto_server`` process; stopped and started again on the same port when asked."""

    ready_path = "/moto-api/"
    ready_seconds = 30.0
    what = "moto_server"

    def __init__(
        self, env: dict[str, str] | None = None, seed: tuple[str, int] | None = None
    ) -> None:
        super().__init__(env)
        self.seed = seed

    def command(self) -> list[str]:
        if self.seed is not None:  # a bucket of many objects, seeded inside moto (fast)
            script = str(Path(__file__).with_name("s3_seeded_server.py"))
            return [sys.executable, script, str(self.port), self.seed[0], str(self.seed[1])]
        exe = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        assert exe, "moto_server is not installed (pip install 'moto[server]')"
        return [exe, "-H", "127.0.0.1", "-p", str(self.port)]

    def client(self) -> Any:
        """A boto3 client of this server, to set up and look at buckets."""
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", **KEYS)

    def settings(self, bucket: str, **extra: Any) -> dict[str, Any]:
        """The form of an ``s3`` storage on this server."""
        return {"type": "s3", "bucket": bucket, "endpoint_url": self.url, **KEYS, **extra}


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """One moto server for the session; each test uses buckets of its own."""
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fresh_moto() -> Iterator[MotoServer]:
    """A moto server of this test alone (to stop and restart it)."""
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_moto() -> Iterator[Callable[..., MotoServer]]:
    """``start_moto(env=..., seed=...)``: a started moto server of this test, stopped after."""
    servers: list[MotoServer] = []

    def start(**options: Any) -> MotoServer:
        server = MotoServer(**options)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def bucket(moto: MotoServer) -> str:
    """A new, empty bucket on the session's server."""
    name = f"b-{uuid.uuid4().hex[:12]}"
    moto.client().create_bucket(Bucket=name)
    return name


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
