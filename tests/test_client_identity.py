"""Each anonymous annotator is one annotator: the signed client cookie, not the address.

Leases go to the signed-in person, else ``X-Lsplug-Client``, else the ``lsplug_client``
cookie; a request without a valid cookie is a new client whose id is set in the answer.
"""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, CookieJar

from lsplug.service.auth import sign, unsign
from lsplug.web.keys import ACCOUNTS
from tests.conftest import AddTasks, Client, MakeClient

CLIENT_COOKIE = "lsplug_client"
COOKIE_SECONDS = 365 * 24 * 3600
SAME_BROWSER = {"User-Agent": "Mozilla/5.0 (the same on every desk)"}


def _key(client: Client) -> bytes:
    return client.server.app[ACCOUNTS].key


async def _next_without_cookies(client: Client, **headers: str) -> tuple[int, Any]:
    """``/api/project/next`` as a client that keeps no cookie (the jar emptied first)."""
    client.session.cookie_jar.clear()
    resp = await client.get("/api/project/next", headers={**SAME_BROWSER, **headers})
    return resp.status, await resp.json()


async def test_two_cookieless_requests_from_one_address_never_share_a_lease(
    client: Client, add_tasks: AddTasks
) -> None:
    await add_tasks(client, 3)
    _, first = await _next_without_cookies(client)
    _, second = await _next_without_cookies(client)
    assert first["id"] != second["id"]


async def test_a_cookie_keeping_client_keeps_its_lease(client: Client, add_tasks: AddTasks) -> None:
    await add_tasks(client, 3)
    first = await (await client.get("/api/project/next", headers=SAME_BROWSER)).json()
    again = await (await client.get("/api/project/next", headers=SAME_BROWSER)).json()
    assert again["id"] == first["id"]


async def test_a_new_client_gets_a_signed_http_only_lax_cookie_for_a_year(client: Client) -> None:
    resp = await client.get("/api/project")
    morsel = resp.cookies[CLIENT_COOKIE]
    assert unsign(_key(client), morsel.value) is not None
    assert morsel["httponly"] is True
    assert (morsel["samesite"], morsel["path"], morsel["max-age"]) == (
        "Lax",
        "/",
        str(COOKIE_SECONDS),
    )
    assert not morsel["secure"]  # plain http here


async def test_a_client_with_a_valid_cookie_is_not_given_another(client: Client) -> None:
    await client.get("/api/project")
    resp = await client.get("/api/project")
    assert CLIENT_COOKIE not in resp.cookies


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/route", 404),
        ("GET", "/api/tasks/12345", 404),
        ("POST", "/api/project/import", 400),
        ("GET", "/", 302),  # no tasks yet: to /welcome
        ("GET", "/api/project/export?format=JSON", 200),  # streamed
        ("GET", "/static/js/common.js", 200),
    ],
)
async def test_every_answer_to_a_new_client_carries_its_cookie(
    client: Client, method: str, path: str, status: int
) -> None:
    resp = await client.request(method, path, data=b"{", allow_redirects=False)
    assert resp.status == status
    assert unsign(_key(client), resp.cookies[CLIENT_COOKIE].value) is not None


FORGED = [
    "evil",
    "client:" + "0" * 32,
    "client:" + "0" * 32 + "." + "0" * 64,
    sign(b"another install's key, 32 bytes!", "client:" + "1" * 32),
]


@pytest.mark.parametrize("forged", FORGED)
async def test_a_forged_client_cookie_is_replaced_and_shares_no_lease(
    client: Client, add_tasks: AddTasks, forged: str
) -> None:
    await add_tasks(client, 3)
    seen = []
    for _ in range(2):
        status, task = await _next_without_cookies(client, Cookie=f"{CLIENT_COOKIE}={forged}")
        assert status == 200
        seen.append(task["id"])
    assert seen[0] != seen[1]  # two clients showing the same forged cookie are two clients
    client.session.cookie_jar.clear()
    resp = await client.get("/api/project", headers={"Cookie": f"{CLIENT_COOKIE}={forged}"})
    replaced = resp.cookies[CLIENT_COOKIE].value
    assert replaced != forged and unsign(_key(client), replaced) is not None


async def test_a_cookie_signed_for_something_else_is_no_client_id(
    make_client: MakeClient, add_tasks: AddTasks
) -> None:
    """Another value this install signs (a project uuid) does not pass as a client id."""
    client = await make_client()
    await add_tasks(client, 3)
    other = sign(_key(client), "4f9d2c1e-0000-4000-8000-000000000000")
    _, first = await _next_without_cookies(client, Cookie=f"{CLIENT_COOKIE}={other}")
    _, second = await _next_without_cookies(client, Cookie=f"{CLIENT_COOKIE}={other}")
    assert first["id"] != second["id"]


async def test_the_client_header_wins_over_the_cookie(client: Client, add_tasks: AddTasks) -> None:
    await add_tasks(client, 3)
    by_cookie = await (await client.get("/api/project/next")).json()
    by_header = await (
        await client.get("/api/project/next", headers={"X-Lsplug-Client": "script-1"})
    ).json()
    assert by_header["id"] != by_cookie["id"]
    client.session.cookie_jar.clear()  # another cookie, the same header: the same client
    again = await (
        await client.get("/api/project/next", headers={"X-Lsplug-Client": "script-1"})
    ).json()
    assert again["id"] == by_header["id"]


def _self_signed(folder: Path) -> ssl.SSLContext:
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_over_https_the_client_cookie_is_secure(
    aiohttp_server: Any, tmp_path: Path, ner_config: str
) -> None:
    from lsplug import config as lsconfig
    from lsplug.web.app import create_app

    config = lsconfig.from_dict({"label_config": ner_config, "data_dir": str(tmp_path / "data")})
    config.config_dir = tmp_path
    server = await aiohttp_server(create_app(config), ssl=_self_signed(tmp_path))
    async with (
        ClientSession(cookie_jar=CookieJar(unsafe=True)) as session,
        session.get(server.make_url("/api/project"), ssl=False) as resp,
    ):
        assert resp.status == 200
        assert resp.cookies[CLIENT_COOKIE]["secure"] is True
