"""Twenty annotators behind one address and one browser name, each keeping its own cookie,
label a project on a real server process (and on two processes sharing PostgreSQL): no
task is labeled twice."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, CookieJar, TCPConnector
from pgserver import PgServer
from procs import CHOICES_CONFIG, CHOICES_RESULT, Server

pytestmark = pytest.mark.slow
ANNOTATORS, TASKS = 20, 200
SAME_BROWSER = {"User-Agent": "Mozilla/5.0 (the same on every desk)"}


async def _annotate(session: ClientSession, bases: list[str], seen: list[int]) -> None:
    """Next task, a completion for it, until none is left (any process, at random)."""
    while True:
        async with session.get(random.choice(bases) + "/api/project/next") as resp:
            if resp.status == 404:
                return
            assert resp.status == 200, await resp.text()
            task_id = (await resp.json())["id"]
        seen.append(task_id)
        await asyncio.sleep(random.uniform(0, 0.005))
        url = f"{random.choice(bases)}/api/tasks/{task_id}/completions"
        async with session.post(url, json={"result": CHOICES_RESULT}) as resp:
            assert resp.status == 201, await resp.text()


async def _label_everything(bases: list[str]) -> list[int]:
    """20 clients with a cookie jar each (``unsafe``: the server is an IP address)."""
    seen: list[int] = []
    sessions = [
        ClientSession(
            cookie_jar=CookieJar(unsafe=True),
            headers=SAME_BROWSER,
            connector=TCPConnector(limit=2),
        )
        for _ in range(ANNOTATORS)
    ]
    try:
        await asyncio.gather(*(_annotate(s, bases, seen) for s in sessions))
    finally:
        for session in sessions:
            await session.close()
    return seen


def _completions_per_task(server: Server) -> Counter[int]:
    status, export = server.call("GET", "/api/project/export?format=JSON&only_labeled=0")
    assert status == 200
    return Counter({task["id"]: len(task["completions"]) for task in export})


def _config(tmp_path: Path, **extra: Any) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps({"label_config": CHOICES_CONFIG, **extra}))
    return path


def _import(server: Server) -> None:
    status, body = server.call(
        "POST", "/api/project/import", [{"text": str(n)} for n in range(TASKS)]
    )
    assert status == 201, body


@pytest.fixture
def one_server(tmp_path: Path) -> Iterator[Server]:
    server = Server(_config(tmp_path)).start()
    yield server
    server.stop()


def test_cookie_clients_behind_one_address_never_label_a_task_twice(one_server: Server) -> None:
    _import(one_server)
    seen = asyncio.run(_label_everything([one_server.base]))
    counts = _completions_per_task(one_server)
    assert sorted(counts.values()) == [1] * TASKS  # every task labeled, none twice
    assert len(seen) == TASKS  # and none handed to two annotators


@pytest.fixture
def two_servers(tmp_path: Path, pg_server: PgServer) -> Iterator[list[Server]]:
    """Two processes on one PostgreSQL; one data folder, so one signing key for cookies."""
    config = _config(tmp_path, store={"url": pg_server.new_database()})
    servers: list[Server] = []
    try:
        for _ in range(2):  # one after the other: the first writes the signing key
            servers.append(Server(config).start())
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_cookie_clients_on_two_processes_never_label_a_task_twice(
    two_servers: list[Server],
) -> None:
    _import(two_servers[0])
    seen = asyncio.run(_label_everything([s.base for s in two_servers]))
    counts = _completions_per_task(two_servers[1])
    assert sorted(counts.values()) == [1] * TASKS
    assert len(seen) == TASKS
