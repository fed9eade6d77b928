"""`lsplug migrate` (any store to any store, people included) and `lsplug import-ls08`:
nothing lost, ids kept, the same passwords and API tokens sign in."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pytest
from pgserver import PgServer
from procs import Server, free_port

from lsplug.cli import main
from lsplug.service.auth import Accounts
from lsplug.service.project import project_uuid
from lsplug.store import NewTask, Store
from lsplug.store.postgres import PostgresStore
from lsplug.store.sqlite import SQLiteStore

XML = '<View><Text name="text" value="$text"/><Choices name="c" toName="text"><Choice value="A"/></Choices></View>'  # noqa: E501


def done(created: int = 1_600_000_000) -> dict[str, Any]:
    return {"result": [], "created_at": created}


async def fill_sqlite(path: Path) -> tuple[int, int]:
    """A project with a deleted task and a deleted newest completion; its id, the top id."""
    return await fill(SQLiteStore(path))


async def fill(store: Store, uuid: str = "uuid-m") -> tuple[int, int]:
    """:func:`fill_sqlite` on any store."""
    await store.open()
    pid = (await store.ensure_project(uuid, "moved", XML)).id
    scored = NewTask(b'{"text":"p"}', predictions=[{"result": [], "score": 0.3}])
    await store.import_tasks(pid, [NewTask(b'{"text":"a"}'), NewTask(b'{"text":"b"}'), scored])
    await store.add_completion(pid, 0, done(), enqueue=True)
    await store.add_completion(pid, 2, done(), enqueue=False)
    top = await store.add_completion(pid, 2, done(), enqueue=False)
    assert top is not None
    await store.delete_completion(pid, 2, top["id"], enqueue=False)
    await store.delete_task(pid, 1)
    await store.close()
    return pid, top["id"]


async def snapshot(store: Store, pid: int) -> tuple[Any, ...]:
    row = await store.get_project(pid)
    ids = await store.page_task_ids(pid, "id", 0, 100)
    records = [r.json_bytes() for r in await store.get_tasks(pid, ids)]
    counters = (row.task_count, row.completion_count, row.prediction_count, row.labeled_count)
    return row.uuid, row.title, row.label_config, counters, ids, records


def test_migrate_moves_a_project_with_its_ids(tmp_path: Path, pg_server: PgServer) -> None:
    path, url = tmp_path / "s.sqlite3", pg_server.new_database()
    pid, top = asyncio.run(fill_sqlite(path))

    async def compare() -> None:
        before_store = SQLiteStore(path)
        await before_store.open()
        before = await snapshot(before_store, pid)
        await before_store.close()
        store = PostgresStore(url)
        await store.open()
        try:
            moved = await store.find_project("uuid-m")
            assert moved is not None
            assert await snapshot(store, moved.id) == before
            assert [e.task_id for e in await store.outbox_due(moved.id, 10)] == [0]
            assert (await store.import_tasks(moved.id, [NewTask(b"{}")])).task_ids == [3]
            later = await store.add_completion(moved.id, 3, done(), enqueue=False)
            assert later is not None and later["id"] > top  # a deleted id is not reused
        finally:
            await store.close()

    assert main(["migrate", "--from", f"sqlite:{path}", "--to", url]) == 0
    asyncio.run(compare())
    assert main(["migrate", "--from", f"sqlite:{path}", "--to", url]) == 2  # already there


def ls08_folder(root: Path) -> Path:
    folder = root / "ls08"
    (folder / "completions").mkdir(parents=True)
    (folder / "config.xml").write_text(XML)
    settings = {"label_config": "config.xml", "input_path": "tasks.json", "port": 8200}
    (folder / "config.json").write_text(json.dumps(settings))
    tasks = {"0": {"id": 0, "data": {"text": "zero"}}, "5": {"id": 5, "data": {"text": "five"}}}
    (folder / "tasks.json").write_text(json.dumps(tasks))
    labeled = {**tasks["5"], "completions": [{"id": 5001, "result": [], "created_at": 1_600_000_000,
                                              "lead_time": 2.5}]}  # fmt: skip
    (folder / "completions" / "5.json").write_text(json.dumps(labeled))
    return folder


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_import_ls08_keeps_ids_and_completions(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    store_url = (
        f"sqlite:{tmp_path / 'state.sqlite3'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_server").new_database()
    )
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"title": "from 0.8", "store": {"url": store_url}}))
    assert main(["import-ls08", str(ls08_folder(tmp_path)), "-c", str(config)]) == 0

    async def check() -> None:
        store: Store = (
            SQLiteStore(tmp_path / "state.sqlite3")
            if backend == "sqlite"
            else PostgresStore(store_url)
        )
        await store.open()
        try:
            row = await store.find_project(project_uuid("default"))
            assert row is not None and row.label_config == XML and row.title == "from 0.8"
            assert (row.task_count, row.completion_count, row.labeled_count) == (2, 1, 1)
            zero, five = await store.get_tasks(row.id, [0, 5])
            assert orjson.loads(zero.data) == {"text": "zero"} and not zero.completions
            (completion,) = [orjson.loads(c) for c in five.completions]
            assert completion["id"] == 5001 and completion["lead_time"] == 2.5
            assert (await store.import_tasks(row.id, [NewTask(b"{}")])).task_ids == [6]
        finally:
            await store.close()

    asyncio.run(check())


# --- people, every direction, bad input (`lsplug migrate` as a process) -------------------

PASSWORD = "correct horse battery"
KEY = b"k" * 32  # the signing key of the source install (sessions only: tokens need none)


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    """``lsplug migrate ARGS`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "lsplug", "migrate", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def store_at(url: str) -> Store:
    """The store of a ``sqlite:PATH`` or ``postgresql://`` URL."""
    if url.startswith("sqlite:"):
        return SQLiteStore(Path(url.removeprefix("sqlite:")))
    return PostgresStore(url)


def new_url(kind: str, tmp_path: Path, name: str, request: pytest.FixtureRequest) -> str:
    """A new empty store of ``kind``."""
    if kind == "sqlite":
        return f"sqlite:{tmp_path / f'{name}.sqlite3'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


async def add_people(store: Store, pid: int) -> dict[str, str]:
    """alice owns the project, bob annotates it, carol is no member; their API tokens."""
    await store.open()
    accounts, tokens = Accounts(store, KEY), {}
    try:
        for name, role in (("alice", "owner"), ("bob", "annotator"), ("carol", None)):
            user = await accounts.add_user(name, PASSWORD)
            tokens[name] = await accounts.new_token(user)
            if role is not None:
                await store.set_member(pid, user.id, role)
        await accounts.new_session(user)  # stays behind
    finally:
        await store.close()
    return tokens


async def fill_with_people(url: str) -> dict[str, str]:
    """:func:`fill` and :func:`add_people` on the store at ``url``."""
    pid, _top = await fill(store_at(url))
    return await add_people(store_at(url), pid)


async def state(url: str) -> tuple[Any, ...]:
    """The project's :func:`snapshot` and who is a member of it, by name."""
    store = store_at(url)
    await store.open()
    try:
        row = await store.find_project("uuid-m")
        assert row is not None
        roles = {}
        for name in ("alice", "bob", "carol"):
            user = await store.find_user(name)
            roles[name] = user and await store.member_role(row.id, user.id)
        return await snapshot(store, row.id), roles
    finally:
        await store.close()


async def signs_in(url: str, name: str, password: str, token: str) -> tuple[bool, str | None]:
    """Whether the password is right, and whose the API token is, in the store at ``url``."""
    store = store_at(url)
    await store.open()
    try:
        accounts = Accounts(store, b"another install's key".ljust(32))
        by_token = await accounts.token_user(token)
        return await accounts.check(name, password, "test") is not None, by_token and by_token.name
    finally:
        await store.close()


def http(server: Server, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    """One request to a real server, with an API token or a JSON body."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, None


def serve_and_check(tmp_path: Path, url: str, tokens: dict[str, str]) -> None:
    """A real server on the store at ``url``: the same password and tokens sign in, and only
    the members see the private project."""
    folder = tmp_path / f"server-{len(list(tmp_path.glob('server-*')))}"
    folder.mkdir()
    config = folder / "config.yaml"
    config.write_text(json.dumps({"store": {"url": url}, "data_dir": str(folder / "data")}))
    server = Server(config).start()
    try:
        login = {"username": "alice", "password": PASSWORD}
        assert http(server, "/user/login", body=login) == (200, {"user": "alice"})
        assert http(server, "/user/login", body={**login, "password": "wrong password"})[0] == 401
        assert http(server, "/api/user", tokens["bob"])[1]["user"] == "bob"
        for name, status in (("alice", 200), ("bob", 200), ("carol", 404)):
            assert http(server, "/api/project?project=uuid-m", tokens[name])[0] == status, name
    finally:
        server.stop()


def test_people_move_to_postgresql_and_back_and_sign_in_as_before(
    tmp_path: Path, pg_server: PgServer
) -> None:
    source, back = f"sqlite:{tmp_path / 's.sqlite3'}", f"sqlite:{tmp_path / 'back.sqlite3'}"
    pg = pg_server.new_database()
    tokens = asyncio.run(fill_with_people(source))
    before = asyncio.run(state(source))
    assert before[1] == {"alice": "owner", "bob": "annotator", "carol": None}

    there = migrate("--from", source, "--to", pg)
    assert there.returncode == 0, there.stderr
    assert "moved 3 users and 3 API tokens" in there.stdout and "100%" in there.stderr
    assert asyncio.run(state(pg)) == before
    serve_and_check(tmp_path, pg, tokens)

    home = migrate("--from", pg, "--to", back)
    assert home.returncode == 0, home.stderr
    assert asyncio.run(state(back)) == before
    with closing(sqlite3.connect(tmp_path / "back.sqlite3")) as conn:
        kinds = conn.execute("SELECT kind, count(*) FROM credentials GROUP BY kind").fetchall()
    assert kinds == [("token", 3)]  # the session stayed behind
    serve_and_check(tmp_path, back, tokens)


async def ids_go_on(url: str, top: int) -> None:
    """A moved project hands out the next task id, and no deleted completion id again."""
    store = store_at(url)
    await store.open()
    try:
        moved = await store.find_project("uuid-m")
        assert moved is not None
        assert (await store.import_tasks(moved.id, [NewTask(b"{}")])).task_ids == [3]
        later = await store.add_completion(moved.id, 3, done(), enqueue=False)
        assert later is not None and later["id"] > top
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("source_kind", "target_kind"),
    [("sqlite", "sqlite"), ("postgres", "postgres"), ("postgres", "sqlite")],
)
def test_migrate_goes_every_way(
    tmp_path: Path, source_kind: str, target_kind: str, request: pytest.FixtureRequest
) -> None:
    source = new_url(source_kind, tmp_path, "source", request)
    target = new_url(target_kind, tmp_path, "target", request)
    pid, top = asyncio.run(fill(store_at(source)))
    tokens = asyncio.run(add_people(store_at(source), pid))
    before = asyncio.run(state(source))
    result = migrate("--from", source, "--to", target, "--quiet")
    assert result.returncode == 0, result.stderr
    assert asyncio.run(state(target)) == before
    assert asyncio.run(signs_in(target, "bob", PASSWORD, tokens["bob"])) == (True, "bob")
    asyncio.run(ids_go_on(target, top))


async def other_alice(url: str) -> str:
    """A target that already has a user "zed" and an "alice" with another password; the
    target's own token of alice."""
    store = store_at(url)
    await store.open()
    try:
        accounts = Accounts(store, KEY)
        await accounts.add_user("zed", "zed's password")
        return await accounts.new_token(await accounts.add_user("alice", "the target's password"))
    finally:
        await store.close()


@pytest.mark.parametrize("target_kind", ["sqlite", "postgres"])
def test_a_user_already_in_the_target_is_merged_by_name(
    tmp_path: Path, target_kind: str, request: pytest.FixtureRequest
) -> None:
    source = f"sqlite:{tmp_path / 's.sqlite3'}"
    target = new_url(target_kind, tmp_path, "target", request)
    tokens = asyncio.run(fill_with_people(source))
    targets_token = asyncio.run(other_alice(target))
    result = migrate("--from", source, "--to", target, "--quiet")
    assert result.returncode == 0, result.stderr
    assert "merged 1 users by name (alice)" in result.stdout
    assert "moved 2 users and 2 API tokens" in result.stdout
    assert asyncio.run(state(target))[1] == {"alice": "owner", "bob": "annotator", "carol": None}
    after = asyncio.run(signs_in(target, "alice", "the target's password", targets_token))
    assert after == (True, "alice")
    source_alice = asyncio.run(signs_in(target, "alice", PASSWORD, tokens["alice"]))
    assert source_alice == (False, None)  # the target's alice keeps her own secrets
    assert asyncio.run(signs_in(target, "bob", PASSWORD, tokens["bob"])) == (True, "bob")


async def holds(url: str) -> tuple[list[str], int]:
    """The uuids of the store's projects and how many users it has."""
    store = store_at(url)
    await store.open()
    try:
        return [r.uuid for r in await store.list_projects()], await store.count_users()
    finally:
        await store.close()


async def only_project(url: str, uuid: str) -> None:
    store = store_at(url)
    await store.open()
    try:
        await store.ensure_project(uuid, "already there", XML)
    finally:
        await store.close()


@pytest.mark.parametrize("target_kind", ["sqlite", "postgres"])
def test_a_project_already_in_the_target_exits_2_and_writes_nothing(
    tmp_path: Path, target_kind: str, request: pytest.FixtureRequest
) -> None:
    source = f"sqlite:{tmp_path / 's.sqlite3'}"
    target = new_url(target_kind, tmp_path, "target", request)
    asyncio.run(fill_with_people(source))
    asyncio.run(fill(store_at(source), "uuid-2"))  # moved after uuid-m
    asyncio.run(only_project(target, "uuid-2"))
    result = migrate("--from", source, "--to", target, "--quiet")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "lsplug: error: the target already holds project uuid-2 ('moved')\n"
    assert asyncio.run(holds(target)) == (["uuid-2"], 0)  # uuid-m and the people rolled back


def test_a_missing_source_file_exits_2_and_makes_no_target(tmp_path: Path) -> None:
    target = tmp_path / "t.sqlite3"
    result = migrate("--from", f"sqlite:{tmp_path / 'nothing.sqlite3'}", "--to", f"sqlite:{target}")
    assert result.returncode == 2
    assert result.stderr == f"lsplug: error: {tmp_path / 'nothing.sqlite3'} does not exist\n"
    assert not target.exists()


def test_an_unreachable_database_exits_2_with_one_line(tmp_path: Path) -> None:
    source = f"sqlite:{tmp_path / 's.sqlite3'}"
    asyncio.run(fill_with_people(source))
    nowhere = f"postgresql://postgres:secret@127.0.0.1:{free_port()}/db"
    for args in (("--from", source, "--to", nowhere), ("--from", nowhere, "--to", source)):
        result = migrate(*args, "--quiet")
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("lsplug: error: cannot reach postgresql://postgres@")
        assert "secret" not in result.stderr


def test_project_picks_the_projects_to_move(tmp_path: Path) -> None:
    source, target = f"sqlite:{tmp_path / 's.sqlite3'}", f"sqlite:{tmp_path / 't.sqlite3'}"
    asyncio.run(fill_with_people(source))
    asyncio.run(fill(store_at(source), "uuid-2"))
    result = migrate("--from", source, "--to", target, "--project", "uuid-2", "--quiet")
    assert result.returncode == 0, result.stderr
    assert asyncio.run(holds(target)) == (["uuid-2"], 3)
