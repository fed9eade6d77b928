"""Shared fixtures of the API tests: a real app on a real SQLite file under ``tmp_path``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pgserver import pg_server  # noqa: F401  (a session fixture: one PostgreSQL server)
from stores import opener, pid, store  # noqa: F401  (a store on each back-end, see stores.py)

from lsplug.testing import Client, MakeClient, client_factory, wait_until

NER_CONFIG = (
    '<View><Labels name="label" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>'
    '<Text name="text" value="$text"/></View>'
)
RESULT = [
    {
        "id": "r1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 5, "text": "Alice", "labels": ["PER"]},
    }
]

AddTasks = Callable[..., Awaitable[list[int]]]


@pytest.fixture
def ner_config() -> str:
    """The label config of the NER project the ``client`` fixtures serve."""
    return NER_CONFIG


@pytest.fixture
def ner_result() -> list[dict[str, Any]]:
    """A completion ``result`` for the NER config: "Alice" labeled PER."""
    return [dict(r) for r in RESULT]


@pytest.fixture
def make_client(aiohttp_client: Any, tmp_path: Path) -> MakeClient:
    """A factory of clients of a NER project; keyword arguments override config keys."""
    return client_factory(aiohttp_client, tmp_path, NER_CONFIG)


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    """A NER project without a completion sink."""
    return await make_client()


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    """Where the sink of ``sink_client`` writes its ``<task_id>.json`` files."""
    return tmp_path / "output"


@pytest.fixture
async def sink_client(make_client: MakeClient, output_dir: Path) -> Client:
    """A NER project whose completions go to a local folder (the seed's ``output_dir``)."""
    return await make_client(output_dir=str(output_dir))


@pytest.fixture
def add_tasks() -> AddTasks:
    """Import ``n`` tasks ``{"text": "task <i>"}`` through the API; their new ids."""

    async def add(client: Client, n: int = 3) -> list[int]:
        items = [{"text": f"Alice met Bob, task {i}"} for i in range(n)]
        resp = await client.post("/api/project/import", json=items)
        assert resp.status == 201, await resp.text()
        ids: list[int] = (await resp.json())["new_task_ids"]
        return ids

    return add


async def add_completion(client: Client, task_id: int, **extra: Any) -> int:
    """Post a completion to a task; its id."""
    resp = await client.post(f"/api/tasks/{task_id}/completions", json={"result": RESULT, **extra})
    assert resp.status == 201, await resp.text()
    completion_id: int = (await resp.json())["id"]
    return completion_id


@pytest.fixture
def complete() -> Callable[..., Awaitable[int]]:
    """``await complete(client, task_id, **extra)`` posts a completion and gives its id."""
    return add_completion


@pytest.fixture
def poll() -> Callable[..., Awaitable[bool]]:
    """``await poll(check, seconds)``: wait until an async check passes."""
    return wait_until
