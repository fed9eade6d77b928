"""Sign-in: passwords, sessions, API tokens, basic auth, rate limits, cross-site writes,
who made a completion, and leases per person."""

from __future__ import annotations

import base64
import multiprocessing
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from lsplug.service.auth import check_password, hash_password, load_key, sign, unsign
from lsplug.web.keys import ACCOUNTS
from tests.conftest import AddTasks, Client, MakeClient

PASSWORD = "correct horse battery"


async def _signed_in_client(make_client: MakeClient, **overrides: object) -> Client:
    client = await make_client(**overrides)
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    resp = await client.post("/user/login", json={"username": "alice", "password": PASSWORD})
    assert resp.status == 200, await resp.text()
    return client


def _origin(client: Client) -> dict[str, str]:
    return {"Origin": str(client.make_url("")).rstrip("/")}


def _basic(name: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$")
    assert check_password(PASSWORD, first) and not check_password("wrong", first)
    assert not check_password(PASSWORD, "garbage")


def test_the_signing_key_is_generated_once_and_private(tmp_path: Path) -> None:
    key = load_key(tmp_path)
    assert load_key(tmp_path) == key and len(key) == 32
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert unsign(key, sign(key, "abc")) == "abc"
    assert (
        unsign(key, "abc.0000") is None and unsign(load_key(tmp_path / "x"), sign(key, "a")) is None
    )


async def test_without_users_everything_is_open(client: Client) -> None:
    assert (await client.get("/api/tasks")).status == 200
    assert (await (await client.get("/api/user")).json())["user"] is None


async def test_with_a_user_the_api_needs_sign_in(make_client: MakeClient) -> None:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    resp = await client.get("/api/tasks")
    assert resp.status == 401
    assert "sign in" in (await resp.json())["detail"]
    assert (await client.get("/api/health")).status == 200


async def test_with_a_user_pages_redirect_to_the_sign_in_page(make_client: MakeClient) -> None:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    resp = await client.get("/tasks", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] in ("/user/login?next=/tasks", "/user/login?next=%2Ftasks")
    page = await client.get("/user/login")
    assert page.status == 200 and 'name="password"' in await page.text()


async def test_the_sign_in_form_sets_a_session_cookie(make_client: MakeClient) -> None:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    resp = await client.post(
        "/user/login",
        data={"username": "alice", "password": PASSWORD, "next": "/tasks"},
        headers=_origin(client),
        allow_redirects=False,
    )
    assert resp.status == 302 and resp.headers["Location"] == "/tasks"
    cookie = resp.cookies["lsplug_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert (await (await client.get("/api/user")).json())["user"] == "alice"


async def test_the_sign_in_form_never_redirects_to_another_site(make_client: MakeClient) -> None:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    resp = await client.post(
        "/user/login",
        data={"username": "alice", "password": PASSWORD, "next": "//evil.example/"},
        headers=_origin(client),
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/"


async def test_a_wrong_password_is_401(make_client: MakeClient) -> None:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    resp = await client.post("/user/login", json={"username": "alice", "password": "nope"})
    assert resp.status == 401
    resp = await client.post("/user/login", json={"username": "bob", "password": "nope"})
    assert resp.status == 401


async def test_sign_in_attempts_are_rate_limited(make_client: MakeClient) -> None:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    for _ in range(5):
        await client.post("/user/login", json={"username": "alice", "password": "nope"})
    resp = await client.post("/user/login", json={"username": "alice", "password": PASSWORD})
    assert resp.status == 429


async def test_a_forged_session_cookie_signs_nobody_in(make_client: MakeClient) -> None:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    client.session.cookie_jar.update_cookies({"lsplug_session": "abc.def"})
    assert (await client.get("/api/tasks")).status == 401


async def test_signing_out_ends_the_session(make_client: MakeClient) -> None:
    client = await _signed_in_client(make_client)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["lsplug_session"]
    resp = await client.post("/user/logout", headers=_origin(client), allow_redirects=False)
    assert resp.status == 302
    client.session.cookie_jar.update_cookies({"lsplug_session": cookie.value})
    assert (await client.get("/api/tasks")).status == 401


async def test_an_api_token_signs_a_script_in(make_client: MakeClient) -> None:
    client = await _signed_in_client(make_client)
    resp = await client.post("/api/user/token", headers=_origin(client))
    assert resp.status == 201
    token = (await resp.json())["token"]
    client.session.cookie_jar.clear()
    resp = await client.get("/api/user", headers={"Authorization": f"Token {token}"})
    assert (await resp.json()) == {"user": "alice", "via": "token"}
    resp = await client.get("/api/tasks", headers={"Authorization": "Token wrong"})
    assert resp.status == 401


async def test_basic_auth_of_the_config_file(make_client: MakeClient) -> None:
    client = await make_client(auth={"username": "admin", "password": "s3cret-pass"})
    resp = await client.get("/api/tasks")
    assert resp.status == 401 and resp.headers["WWW-Authenticate"].startswith("Basic")
    assert (await client.get("/api/tasks", headers=_basic("admin", "s3cret-pass"))).status == 200
    assert (await client.get("/api/tasks", headers=_basic("admin", "wrong"))).status == 401


async def test_basic_auth_of_a_user(make_client: MakeClient) -> None:
    client = await make_client()
    await client.app[ACCOUNTS].add_user("alice", PASSWORD)
    resp = await client.get("/api/user", headers=_basic("alice", PASSWORD))
    assert (await resp.json())["user"] == "alice"
    assert (await client.get("/api/user", headers=_basic("alice", "x"))).status == 401


async def test_a_cookie_write_without_origin_is_refused(make_client: MakeClient) -> None:
    client = await _signed_in_client(make_client)
    resp = await client.post("/api/project/import", json=[{"text": "x"}])
    assert resp.status == 403
    resp = await client.post("/api/project/import", json=[{"text": "x"}], headers=_origin(client))
    assert resp.status == 201


async def test_a_cross_site_write_is_refused_even_without_sign_in(client: Client) -> None:
    headers = {"Origin": "http://evil.example"}
    resp = await client.post("/api/project/import", json=[{"text": "x"}], headers=headers)
    assert resp.status == 403
    assert (await (await client.get("/api/project")).json())["task_count"] == 0


async def test_a_completion_records_who_made_it(
    make_client: MakeClient, add_tasks: AddTasks
) -> None:
    client = await _signed_in_client(make_client)
    headers = _origin(client)
    resp = await client.post("/api/project/import", json=[{"text": "Alice"}], headers=headers)
    (task_id,) = (await resp.json())["new_task_ids"]
    body = {"result": [], "completed_by": "mallory"}
    resp = await client.post(f"/api/tasks/{task_id}/completions", json=body, headers=headers)
    assert resp.status == 201
    task = await (await client.get(f"/api/tasks/{task_id}")).json()
    assert task["completions"][0]["completed_by"] == "alice"
    export = await (await client.get("/api/project/export?format=JSON")).json()
    assert export[0]["completions"][0]["completed_by"] == "alice"


async def test_leases_are_per_person(make_client: MakeClient) -> None:
    client = await _signed_in_client(make_client)
    accounts = client.app[ACCOUNTS]
    bob = await accounts.add_user("bob", PASSWORD)
    bob_token = {"Authorization": f"Token {await accounts.new_token(bob)}"}
    await client.post(
        "/api/project/import", json=[{"text": "a"}, {"text": "b"}], headers=_origin(client)
    )
    alice_task = (await (await client.get("/api/project/next")).json())["id"]
    bob_task = (await (await client.get("/api/project/next", headers=bob_token)).json())["id"]
    assert alice_task != bob_task
    again = (await (await client.get("/api/project/next", headers=bob_token)).json())["id"]
    assert again == bob_task


@pytest.mark.parametrize("name", ["", "a:b", "x" * 200])
async def test_bad_user_names_are_refused(make_client: MakeClient, name: str) -> None:
    client = await make_client()
    with pytest.raises(ValueError):
        await client.app[ACCOUNTS].add_user(name, PASSWORD)


async def test_pages_show_who_is_signed_in(make_client: MakeClient) -> None:
    client = await _signed_in_client(make_client)
    page = await (await client.get("/tasks")).text()
    assert "alice" in page and 'action="/user/logout"' in page


def _key_of(folder: str, start: Any) -> str:
    start.wait()
    return load_key(Path(folder)).hex()


def test_processes_starting_together_share_one_whole_key(tmp_path: Path) -> None:
    """Several processes on one fresh data folder all read the same key: none reads a key
    another is still writing (it used to say "the signing key is too short")."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager, ctx.Pool(6) as pool:
        for round_ in range(30):
            folder, start = tmp_path / str(round_), manager.Event()
            pending = [pool.apply_async(_key_of, (str(folder), start)) for _ in range(6)]
            start.set()
            keys = {p.get(timeout=30) for p in pending}
            assert len(keys) == 1 and len(bytes.fromhex(keys.pop())) == 32
            assert [p.name for p in folder.iterdir()] == ["secret_key"]
