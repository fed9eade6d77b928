"""Two server processes on one PostgreSQL, 50 annotators at once, one process killed midway."""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pgserver import PgServer
from procs import Server, wait_for

pytestmark = pytest.mark.slow
LABEL_CONFIG = (
    '<View><Text name="text" value="$text"/>'
    '<Choices name="label" toName="text"><Choice value="A"/><Choice value="B"/></Choices></View>'
)
RESULT = [{"from_name": "label", "to_name": "text", "type": "choices",
           "value": {"choices": ["A"]}}]  # fmt: skip
TASKS, ANNOTATORS, KILL_AFTER = 400, 50, 150


@pytest.fixture
def two_servers(tmp_path: Path, pg_server: PgServer) -> Iterator[list[Server]]:
    """Two ``lsplug start`` processes sharing one database and one output folder."""
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps({"label_config": LABEL_CONFIG, "output_dir": "output",
                    "store": {"url": pg_server.new_database()}})
    )  # fmt: skip
    os.environ["LSPLUG_OUTBOX_CLAIM_SECONDS"] = "2"  # a dead process's claims run out soon
    servers: list[Server] = []
    try:
        for _ in range(2):
            servers.append(Server(config).start())
        yield servers
    finally:
        os.environ.pop("LSPLUG_OUTBOX_CLAIM_SECONDS", None)
        for server in servers:
            server.kill()


class Run:
    """What the annotators saw: who got which task, which completions were acknowledged."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.alive = list(bases)
        self.holder: dict[int, str] = {}  # task id -> the only annotator it went to
        self.acked: dict[int, int] = {}  # completion id -> task id
        self.double: list[tuple[int, str, str]] = []
        self.killed = asyncio.Event()
        self.enough = asyncio.Event()  # set after KILL_AFTER acknowledged completions


async def _call(
    session: aiohttp.ClientSession, run: Run, who: str, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    """One request to a live server; on a dead one, drop it and try another."""
    while True:
        base = random.choice(run.alive)
        try:
            async with session.request(
                method, base + path, json=body, headers={"X-Lsplug-Client": who}
            ) as resp:
                return resp.status, await resp.json(content_type=None)
        except aiohttp.ClientError:
            if base in run.alive and len(run.alive) > 1:
                run.alive.remove(base)
            await asyncio.sleep(0.05)


async def annotator(session: aiohttp.ClientSession, run: Run, who: str) -> None:
    """Ask for the next task and submit it, until none is left."""
    while True:
        status, task = await _call(session, run, who, "GET", "/api/project/next")
        if status == 404:
            return
        assert status == 200, task
        task_id = task["id"]
        if run.holder.setdefault(task_id, who) != who:
            run.double.append((task_id, run.holder[task_id], who))
        await asyncio.sleep(random.uniform(0, 0.01))
        status, saved = await _call(
            session, run, who, "POST", f"/api/tasks/{task_id}/completions", {"result": RESULT}
        )
        if status == 201:
            run.acked[saved["id"]] = task_id
            if len(run.acked) >= KILL_AFTER:
                run.enough.set()


async def label_everything(servers: list[Server]) -> Run:
    """50 annotators at once; the first server is SIGKILLed after some completions."""
    run = Run([s.base for s in servers])

    async def killer() -> None:
        await run.enough.wait()
        await asyncio.to_thread(servers[0].kill)
        run.killed.set()

    connector = aiohttp.TCPConnector(limit=200, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        kill = asyncio.create_task(killer())
        await asyncio.gather(*(annotator(session, run, f"ann-{n}") for n in range(ANNOTATORS)))
        await kill
    return run


def test_two_processes_share_one_project_through_a_kill(
    two_servers: list[Server], tmp_path: Path
) -> None:
    first, second = two_servers
    status, _ = first.call("POST", "/api/project/import", [{"text": str(n)} for n in range(TASKS)])
    assert status == 201
    run = asyncio.run(label_everything(two_servers))
    assert run.killed.is_set() and first.proc is not None and first.proc.poll() is not None
    assert run.double == []  # no task went to two annotators
    assert sorted(set(run.holder)) == list(range(TASKS))
    status, export = second.call("GET", "/api/project/export?format=JSON")
    assert status == 200
    exported = {c["id"]: t["id"] for t in export for c in t["completions"]}
    assert run.acked.items() <= exported.items()  # no acknowledged completion lost
    assert {t["id"] for t in export if t["completions"]} == set(range(TASKS))
    output = tmp_path / "output"
    wait_for(
        lambda: len(list(output.glob("*.json"))) == TASKS,
        timeout=30,
        what="the surviving process to write every task to the sink",
    )


def test_two_processes_sync_one_source_once(tmp_path: Path, pg_server: PgServer) -> None:
    files, per_file = 100, 200
    for f in range(files):
        items = [{"text": f"{f}-{n}"} for n in range(per_file)]
        (tmp_path / "input").mkdir(exist_ok=True)
        (tmp_path / "input" / f"{f:02}.json").write_text(json.dumps(items))
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps({"label_config": LABEL_CONFIG, "input_path": "input",
                    "store": {"url": pg_server.new_database()}})
    )  # fmt: skip
    servers = [Server(config), Server(config)]
    try:
        with ThreadPoolExecutor(2) as pool:  # both start, and sync the same folder, at once
            list(pool.map(Server.start, servers))

        def synced() -> bool:
            jobs = [s.call("GET", "/api/jobs?kind=sync")[1] for s in servers]
            return all(j and all(job["status"] == "done" for job in j) for j in jobs)

        wait_for(synced, timeout=60, what="both processes' sync jobs")
        for server in servers:
            assert server.call("GET", "/api/project")[1]["task_count"] == files * per_file
    finally:
        for server in servers:
            server.kill()
