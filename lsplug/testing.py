"""Helpers for tests of lsplug and of its plugins, against a real app on a real store.

Plugin authors use them from their own conftest: ``make = client_factory(aiohttp_client,
tmp_path, MY_LABEL_CONFIG)`` then ``client = await make(source={...})``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from lsplug import config as lsconfig
from lsplug.web.app import create_app

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]


def client_factory(aiohttp_client: Any, tmp_path: Path, label_config: str) -> MakeClient:
    """Clients of a project on ``label_config`` under ``tmp_path``; keywords override keys."""

    async def make(**overrides: Any) -> Client:
        raw: dict[str, Any] = {"label_config": label_config, "data_dir": str(tmp_path / "data")}
        raw.update(overrides)
        config = lsconfig.from_dict(raw)
        config.config_dir = tmp_path
        client: Client = await aiohttp_client(create_app(config))
        return client

    return make


async def wait_until(check: Callable[[], Awaitable[bool]], seconds: float = 3.0) -> bool:
    """Poll ``check`` until it is true or ``seconds`` pass; whether it became true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return await check()


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalService:
    """A test service process (an S3 or GCS emulator...) on a free loopback port: started,
    waited for until ``ready_path`` answers, stopped; it can start again on the same port.
    A subclass says its :meth:`command`."""

    ready_path = "/"
    ready_seconds = 15.0
    what = "the service"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line that runs the service on :attr:`port`."""
        raise NotImplementedError

    def start(self) -> None:
        """Start the service and wait until it answers."""
        self.proc = subprocess.Popen(
            self.command(), env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_http(self.url + self.ready_path, self.ready_seconds, self.what)

    def stop(self) -> None:
        """Stop the service."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def wait_for_http(url: str, seconds: float = 15.0, what: str = "the server") -> None:
    """Block until ``url`` answers 2xx/3xx (a test service is up); else fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer on {url} within {seconds:.0f} s")


# --- storage plugins: switching storages and waiting for their syncs -------------------------

STORAGE_SETTINGS = "/api/project/storage-settings"


async def switch_storage(client: Client, role: str, settings: dict[str, Any]) -> Any:
    """POST storage settings for ``role`` (``source`` or ``target``); the response."""
    return await client.post(f"{STORAGE_SETTINGS}?storage_for={role}", json=settings)


async def wait_long(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> bool:
    """:func:`wait_until` with the patience buckets need (slower than disks: 10 s)."""
    return await wait_until(check, seconds)


async def synced_jobs(
    client: Client, poll: Callable[..., Awaitable[bool]] = wait_long
) -> list[dict[str, Any]]:
    """Wait until every sync job ended; the sync jobs, newest first."""

    async def done() -> bool:
        jobs = await (await client.get("/api/jobs?kind=sync")).json()
        return bool(jobs) and all(j["status"] != "running" for j in jobs)

    assert await poll(done, 30)
    jobs: list[dict[str, Any]] = await (await client.get("/api/jobs?kind=sync")).json()
    return jobs


async def task_count(client: Client) -> int:
    """The project's task count, as ``GET /api/project`` shows it."""
    count: int = (await (await client.get("/api/project")).json())["task_count"]
    return count
