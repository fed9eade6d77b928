"""A full disk answers 507 "disk full ..." and keeps nothing of the failed request (SQLite's
SQLITE_FULL, PostgreSQL's 53100, ENOSPC for media files); the server goes on serving. A busy
port at `lsplug start` is one line on stderr and exit code 2."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lsplug.store.sqlite import SQLiteStore
from lsplug.web.keys import STORE
from tests.conftest import Client, MakeClient
from tests.pgserver import PgServer
from tests.procs import Server
from tests.test_hardening_input import multipart

BOUNDARY = "XyZb0undary"
BIG_EXTRA = "x" * 400_000  # a completion too large for the room left


def tasks(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"text": f"Alice met Bob in London, task {i} " + "y" * 60} for i in range(start, n)]


async def stored(client: Client, task_id: int) -> tuple[int, int]:
    """The project's task count and the completions of one task."""
    project = await (await client.get("/api/project")).json()
    completions = await (await client.get(f"/api/tasks/{task_id}/completions")).json()
    return project["task_count"], len(completions)


async def _set_max_pages(client: Client, extra: int | None) -> None:
    """Cap the SQLite file at its current size plus ``extra`` pages (None: no cap)."""
    store = client.server.app[STORE]
    assert isinstance(store, SQLiteStore)

    def cap(conn: sqlite3.Connection) -> None:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        limit = 2**30 if extra is None else pages + extra
        conn.execute(f"PRAGMA max_page_count={limit}").fetchone()

    await store._write(cap)


async def _refused_as_full(resp: Any) -> None:
    body = await resp.json()
    assert resp.status == 507, body
    assert body["detail"].startswith("disk full"), body


async def test_a_full_sqlite_database_answers_507_and_keeps_nothing(
    client: Client, ner_result: list[dict[str, Any]]
) -> None:
    (task_id,) = (await (await client.post("/api/project/import", json=tasks(1))).json())[
        "new_task_ids"
    ]
    done = await client.post(f"/api/tasks/{task_id}/completions", json={"result": ner_result})
    assert done.status == 201
    await _set_max_pages(client, 0)  # SQLITE_FULL from the next page on

    await _refused_as_full(await client.post("/api/project/import", json=tasks(5000, 1)))
    big = {"result": ner_result, "notes": BIG_EXTRA}
    await _refused_as_full(await client.post(f"/api/tasks/{task_id}/completions", json=big))
    assert await stored(client, task_id) == (1, 1)
    assert (await client.get("/api/health")).status == 200
    assert (await client.get("/api/tasks?page=1&page_size=10")).status == 200

    await _set_max_pages(client, None)  # room again: the same requests succeed
    assert (await client.post("/api/project/import", json=tasks(5000, 1))).status == 201
    assert (await client.post(f"/api/tasks/{task_id}/completions", json=big)).status == 201
    assert await stored(client, task_id) == (5000, 2)


async def test_a_full_batch_of_writes_fails_whole(
    client: Client, ner_result: list[dict[str, Any]]
) -> None:
    """Completions that share one write transaction with a failing one all fail or all land."""
    ids = (await (await client.post("/api/project/import", json=tasks(20))).json())["new_task_ids"]
    await _set_max_pages(client, 0)
    body = {"result": ner_result, "notes": BIG_EXTRA}
    answers = await asyncio.gather(*(
        client.post(f"/api/tasks/{i}/completions", json=body) for i in ids
    ))  # fmt: skip
    statuses = [a.status for a in answers]
    assert set(statuses) <= {201, 507}, statuses
    await _set_max_pages(client, None)
    kept = [len(await (await client.get(f"/api/tasks/{i}/completions")).json()) for i in ids]
    assert kept == [1 if s == 201 else 0 for s in statuses]  # acknowledged or nothing


# --- a real disk that fills up ------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (root only; the test is skipped otherwise)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        with contextlib.suppress(OSError):
            folder.rmdir()


def fill(folder: Path) -> Path:
    """Write a file until the disk is full; the file (delete it to make room)."""
    filler = folder / "filler"
    with filler.open("wb") as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
            out.flush()
    return filler


def post(server: Server, path: str, body: bytes, ctype: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        server.base + path, data=body, method="POST", headers={"Content-Type": ctype}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        exc.close()
        return exc.code, json.loads(raw)


IMAGE_CONFIG = (
    '<View><Image name="image" value="$image"/><Text name="text" value="$text"/>'
    '<Choices name="c" toName="text"><Choice value="A"/></Choices></View>'
)


def test_a_server_on_a_full_disk_answers_507_and_recovers(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "6m") as disk:
        (tmp_path / "config.xml").write_text(IMAGE_CONFIG)
        config = tmp_path / "config.yaml"
        config.write_text(f"label_config: config.xml\ndata_dir: {disk / 'data'}\n")
        server = Server(config).start()
        try:
            _fill_and_check(server, disk)
        finally:
            server.stop()
        restarted = Server(config).start()  # what the store holds after a restart
        try:
            assert restarted.call("GET", "/api/project")[1]["task_count"] == 3001
        finally:
            restarted.stop()


def _fill_and_check(server: Server, disk: Path) -> None:
    status, body = server.call("POST", "/api/project/import", [{"text": "first", "image": "x"}])
    assert status == 201, body
    (task_id,) = body["new_task_ids"]
    filler = fill(disk)
    many = json.dumps([{"text": f"task {i} " + "y" * 200, "image": "x"} for i in range(3000)])
    status, body = post(server, "/api/project/import", many.encode(), "application/json")
    assert status == 507 and body["detail"].startswith("disk full"), body
    completion = {"result": [], "notes": BIG_EXTRA}
    status, body = server.call("POST", f"/api/tasks/{task_id}/completions", completion)
    assert status == 507 and body["detail"].startswith("disk full"), body
    image = multipart([("FileUpload", "photo.jpg", b"\xff\xd8" + b"\0" * 1_000_000)], BOUNDARY)
    status, body = post(
        server, "/api/project/import", image, f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert status == 507 and body["detail"].startswith("disk full"), body
    assert not list((disk / "data" / "upload").glob("*"))  # no part file left behind
    assert server.call("GET", "/api/health")[0] == 200
    assert server.call("GET", "/api/project")[1]["task_count"] == 1
    assert server.call("GET", f"/api/tasks/{task_id}/completions")[1] == []
    filler.unlink()  # room again
    status, body = post(server, "/api/project/import", many.encode(), "application/json")
    assert status == 201, body
    assert server.call("POST", f"/api/tasks/{task_id}/completions", completion)[0] == 201


# --- PostgreSQL: a tablespace on a small disk ---------------------------------------------------


async def test_a_full_postgresql_tablespace_answers_507_and_keeps_nothing(
    make_client: MakeClient, pg_server: PgServer, tmp_path: Path, ner_result: list[dict[str, Any]]
) -> None:
    with small_disk(Path(tempfile.mkdtemp(prefix="lsplug-pgdisk-")), "3m") as disk:
        url = pg_server.new_database()
        space = await _tablespace(pg_server, url, disk)
        try:
            client = await make_client(store={"url": url})
            try:
                await _pg_full_checks(client, disk, ner_result)
            finally:
                await client.close()
        finally:
            await _drop(pg_server, url, space)


async def _tablespace(pg_server: PgServer, url: str, disk: Path) -> str:
    """A tablespace on ``disk`` that the database's new tables go to; its name."""
    folder = disk / "space"
    folder.mkdir()
    shutil.chown(folder, "postgres", "postgres")
    name = "small_" + url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(pg_server.url())
    try:
        await admin.execute(f"CREATE TABLESPACE {name} LOCATION '{folder}'")
        database = url.rsplit("/", 1)[1]
        await admin.execute(f"ALTER DATABASE {database} SET default_tablespace = {name}")
    finally:
        await admin.close()
    return name


async def _drop(pg_server: PgServer, url: str, space: str) -> None:
    admin = await asyncpg.connect(pg_server.url())
    try:
        database = url.rsplit("/", 1)[1]
        await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await admin.execute(f"DROP TABLESPACE IF EXISTS {space}")
    finally:
        await admin.close()


async def _pg_full_checks(client: Client, disk: Path, ner_result: list[dict[str, Any]]) -> None:
    (task_id,) = (await (await client.post("/api/project/import", json=tasks(1))).json())[
        "new_task_ids"
    ]
    filler = fill(disk)
    await _refused_as_full(await client.post("/api/project/import", json=tasks(5000, 1)))
    big = {"result": ner_result, "notes": BIG_EXTRA * 2}
    await _refused_as_full(await client.post(f"/api/tasks/{task_id}/completions", json=big))
    assert await stored(client, task_id) == (1, 0)
    assert (await client.get("/api/health")).status == 200
    filler.unlink()
    assert (await client.post("/api/project/import", json=tasks(5000, 1))).status == 201
    assert (await client.post(f"/api/tasks/{task_id}/completions", json=big)).status == 201
    assert await stored(client, task_id) == (5000, 1)


# --- a busy port --------------------------------------------------------------------------------


def test_a_busy_port_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "lsplug", "start", "--port", str(port), "--data-dir",
             str(tmp_path / "data")],
            cwd=tmp_path, capture_output=True, timeout=60, check=False,
        )  # fmt: skip
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert stderr.strip().splitlines() == [
        f"lsplug: error: cannot listen on 127.0.0.1:{port}: the port is in use "
        "(choose another with --port)"
    ]
    assert "serving" not in done.stdout.decode()


def test_the_server_still_starts_on_a_free_port(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n")
    server = Server(config).start()
    try:
        assert server.call("GET", "/api/health")[0] == 200
        assert "serving" in server.log.read_text()
    finally:
        server.stop()
