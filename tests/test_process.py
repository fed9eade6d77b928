"""The whole server as a process: the seed guide's example, restarts, a crash, the default."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from procs import CHOICES_CONFIG, CHOICES_RESULT, Server, wait_for

REPO = Path(__file__).resolve().parent.parent


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


@pytest.fixture
def seed_project(tmp_path: Path) -> Path:
    """The seed guide's example: input/a.json and input/b.json, output to output/."""
    write_json(tmp_path / "input" / "a.json", [{"text": "0"}, {"text": "1"}, {"text": "2"}])
    write_json(tmp_path / "input" / "b.json", [{"text": "3"}, {"text": "4"}, {"text": "5"}])
    (tmp_path / "config.xml").write_text(CHOICES_CONFIG)
    config = tmp_path / "config.yaml"
    config.write_text(
        "label_config: config.xml\ninput_path: input\noutput_dir: output\ndata_dir: data\n"
    )
    return config


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Every server a test starts is ended, whatever happens."""
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def launch(servers: list[Server], config: Path, *extra: str) -> Server:
    server = Server(config, *extra)
    servers.append(server)
    return server.start()


def task_count_is(server: Server, n: int) -> bool:
    status, project = server.call("GET", "/api/project")
    return status == 200 and project["task_count"] == n


def all_tasks(server: Server) -> list[dict[str, Any]]:
    status, tasks = server.call("GET", "/api/tasks?page=1&page_size=100000")
    assert status == 200
    return list(tasks)


def label_all(server: Server, ids: range) -> None:
    for task_id in ids:
        status, body = server.call(
            "POST",
            f"/api/tasks/{task_id}/completions",
            {"result": CHOICES_RESULT, "lead_time": 1.5},
        )
        assert status == 201 and isinstance(body["id"], int)


@pytest.mark.slow
def test_seed_guide_example_end_to_end(seed_project: Path, servers: list[Server]) -> None:
    server = launch(servers, seed_project)
    wait_for(lambda: task_count_is(server, 6), what="6 tasks imported")
    assert [(t["id"], t["data"]) for t in all_tasks(server)] == [
        (i, {"text": str(i)}) for i in range(6)
    ]
    label_all(server, range(6))
    output = seed_project.parent / "output"
    wait_for(lambda: all((output / f"{i}.json").exists() for i in range(6)), what="output files")
    for i in range(6):
        document = json.loads((output / f"{i}.json").read_text())
        assert document["task"] == {"text": str(i)}
        assert len(document["completions"]) == 1
        assert document["completions"][0]["result"] == CHOICES_RESULT


@pytest.mark.slow
def test_restart_keeps_everything_and_imports_only_new_items(
    seed_project: Path, servers: list[Server]
) -> None:
    server = launch(servers, seed_project)
    wait_for(lambda: task_count_is(server, 6), what="6 tasks imported")
    label_all(server, range(6))
    before = all_tasks(server)
    assert server.stop() == 0
    server.start()
    wait_for(lambda: server.call("GET", "/api/project")[0] == 200)
    assert task_count_is(server, 6)
    assert all_tasks(server) == before

    write_json(seed_project.parent / "input" / "c.json", [{"text": "6"}])
    server.restart()
    wait_for(lambda: task_count_is(server, 7), what="c.json imported")

    write_json(
        seed_project.parent / "input" / "a.json",
        [{"text": "0"}, {"text": "1"}, {"text": "2"}, {"text": "7"}],
    )
    server.restart()
    wait_for(lambda: task_count_is(server, 8), what="the new item of a.json imported")
    tasks = all_tasks(server)
    assert [t["data"]["text"] for t in tasks] == [str(i) for i in range(8)]
    assert [len(t["completions"]) for t in tasks[:6]] == [1] * 6


@pytest.mark.slow
async def test_sigkill_during_a_burst_loses_no_acknowledged_completion(
    tmp_path: Path, servers: list[Server]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"label_config: '{CHOICES_CONFIG}'\ndata_dir: data\n")
    server = launch(servers, config)
    status, imported = server.call(
        "POST", "/api/project/import", [{"text": str(i)} for i in range(200)]
    )
    assert status == 201 and imported["task_count"] == 200
    acked: dict[int, int] = {}  # completion id -> task id
    enough = asyncio.Event()

    async def annotator(session: aiohttp.ClientSession, worker: int) -> None:
        n = worker
        while True:
            task_id = n % 200
            n += 8
            try:
                async with session.post(
                    f"{server.base}/api/tasks/{task_id}/completions",
                    json={"result": CHOICES_RESULT},
                ) as response:
                    if response.status != 201:
                        return
                    acked[(await response.json())["id"]] = task_id
            except (TimeoutError, aiohttp.ClientError):
                return
            if len(acked) >= 300:
                enough.set()

    async with aiohttp.ClientSession() as session:
        workers = [asyncio.create_task(annotator(session, w)) for w in range(8)]
        await asyncio.wait_for(enough.wait(), 30)
        server.kill()
        await asyncio.wait_for(asyncio.gather(*workers), 30)
    assert len(acked) >= 300

    server.restart()
    status, health = server.call("GET", "/api/health")
    assert (status, health["status"]) == (200, "up")
    stored = {c["id"]: t["id"] for t in all_tasks(server) for c in t["completions"]}
    missing = {cid: tid for cid, tid in acked.items() if stored.get(cid) != tid}
    assert missing == {}
    status, project = server.call("GET", "/api/project")
    assert project["completion_count"] == len(stored)


@pytest.fixture
def default_project(tmp_path: Path) -> Path:
    """A copy of the repository's config.yaml and example folder."""
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(REPO / "example", tmp_path / "example")
    return tmp_path / "config.yaml"


@pytest.mark.slow
def test_the_default_project_serves_the_example_tasks(
    default_project: Path, servers: list[Server]
) -> None:
    server = launch(servers, default_project)
    wait_for(lambda: task_count_is(server, 6), what="the 6 example tasks")
    tasks = all_tasks(server)
    assert [t["id"] for t in tasks] == list(range(6))
    assert all(isinstance(t["data"]["text"], str) and t["data"]["text"] for t in tasks)
    status, project = server.call("GET", "/api/project")
    assert status == 200
    assert project["title"] == "Named entities (example)"
    assert not (REPO / "example" / "data").exists()
