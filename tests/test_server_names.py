"""DNS rebinding: the server answers only its own host names (setting ``server_names``),
and a write's ``Origin`` must be one of those names on the port the request came to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from procs import Server

from lsplug import config as configmod
from tests.conftest import AddTasks, Client, MakeClient

FOREIGN_HOSTS = [
    "rebind.example",
    "rebind.example:8200",
    "REBIND.EXAMPLE",
    "rebind.example.",
    "localhost.rebind.example",
    "localhost.evil",
    "evil-localhost",
    "127.0.0.1.nip.io",
    "10.1.2.3",
    "10.1.2.3:80",
    "[2001:db8::1]",
    "[2001:db8::1]:8200",
    "[::1",
    "::1",
    "localhost:abc",
    "localhost:99999",
    "local host",
]
OWN_HOSTS = [
    "localhost",
    "LOCALHOST:1234",
    "localhost.",
    "127.0.0.1",
    "127.0.0.1:8200",
    "[::1]",
    "[::1]:8200",
    "[0:0:0:0:0:0:0:1]",
    "app.localhost",
    "App.Localhost.:80",
]


async def _task_count(client: Client) -> int:
    count: int = (await (await client.get("/api/project")).json())["task_count"]
    return count


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
async def test_a_rebound_page_cannot_delete_the_tasks(
    client: Client, add_tasks: AddTasks, host: str
) -> None:
    await add_tasks(client, 3)
    scheme_host = host if not host.startswith("[") or host.endswith("]") else "[2001:db8::1]"
    headers = {"Host": host, "Origin": f"http://{scheme_host}"}
    resp = await client.delete("/api/tasks", headers=headers)
    assert 400 <= resp.status < 500
    assert await _task_count(client) == 3


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
async def test_a_foreign_host_is_400_naming_the_host_and_the_setting(
    client: Client, host: str
) -> None:
    resp = await client.get("/api/tasks", headers={"Host": host})
    assert resp.status == 400
    body = await resp.json()
    assert body["host"] == host and body["setting"] == "server_names"
    assert "server_names" in body["detail"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("host", OWN_HOSTS)
async def test_loopback_names_are_answered(client: Client, host: str) -> None:
    resp = await client.get("/api/project", headers={"Host": host})
    assert resp.status == 200


async def test_the_health_check_answers_any_host(client: Client) -> None:
    """Load balancers probe with the instance's address; health says only "up"."""
    for host in ("10.1.2.3:8200", "rebind.example"):
        resp = await client.get("/api/health", headers={"Host": host})
        assert resp.status == 200
    resp = await client.post("/api/health", headers={"Host": "rebind.example"})
    assert resp.status == 400


@pytest.mark.parametrize(
    ("host", "answered"),
    [
        ("labels.example.com", True),
        ("Labels.Example.com.:443", True),
        ("team.corp.example", True),
        ("corp.example", True),
        ("a.b.corp.example", True),
        ("example.com", False),
        ("labels.example.com.evil", False),
        ("corp.example.evil", False),
        ("localhost", True),  # loopback names stay answered
    ],
)
async def test_configured_names_are_answered(
    make_client: MakeClient, host: str, answered: bool
) -> None:
    client = await make_client(server_names=["labels.example.com", ".corp.example"])
    resp = await client.get("/api/project", headers={"Host": host})
    assert (resp.status == 200) is answered


async def test_the_configured_listen_host_is_a_server_name(make_client: MakeClient) -> None:
    client = await make_client(host="192.168.50.7")
    assert (await client.get("/api/project", headers={"Host": "192.168.50.7:8200"})).status == 200
    assert (await client.get("/api/project", headers={"Host": "192.168.50.8"})).status == 400


async def test_a_star_answers_every_name(make_client: MakeClient) -> None:
    client = await make_client(server_names=["*"])
    assert (await client.get("/api/project", headers={"Host": "anything.example"})).status == 200


def _origin_of(client: Client, host: str = "127.0.0.1", port: int | None = None) -> str:
    return f"http://{host}:{port if port is not None else client.port}"


@pytest.mark.parametrize(
    "origin",
    [
        "http://rebind.example",
        "http://rebind.example:{port}",
        "http://localhost:1",
        "http://127.0.0.1",  # port 80, not the port the request came to
        "https://127.0.0.1:{port}0",
        "ftp://127.0.0.1:{port}",
        "http://127.0.0.1:{port}.evil.example",
        "http://[::1",
        "null",
    ],
)
async def test_a_write_from_another_origin_is_refused(
    client: Client, add_tasks: AddTasks, origin: str
) -> None:
    await add_tasks(client, 3)
    headers = {"Origin": origin.format(port=client.port)}
    resp = await client.delete("/api/tasks", headers=headers)
    assert resp.status == 403
    assert await _task_count(client) == 3


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]", "app.localhost"])
async def test_a_write_from_a_server_name_on_this_port_is_accepted(
    client: Client, name: str
) -> None:
    headers = {"Origin": _origin_of(client, name)}
    resp = await client.post("/api/project/import", json=[{"text": "x"}], headers=headers)
    assert resp.status == 201, await resp.text()


async def test_a_referer_is_checked_like_an_origin(client: Client, add_tasks: AddTasks) -> None:
    await add_tasks(client, 2)
    bad = {"Referer": "http://rebind.example/page"}
    assert (await client.delete("/api/tasks", headers=bad)).status == 403
    good = {"Referer": _origin_of(client) + "/tasks"}
    assert (await client.delete("/api/tasks", headers=good)).status == 204


async def test_an_origin_on_the_default_port_matches_a_host_without_port(
    client: Client,
) -> None:
    """Behind a proxy on port 80/443 the browser sends neither port: both are the default."""
    for origin, host in (("http://localhost", "localhost"), ("https://localhost", "localhost")):
        headers = {"Origin": origin, "Host": host}
        resp = await client.post("/api/project/import", json=[{"text": "x"}], headers=headers)
        assert resp.status == 201, (origin, await resp.text())


@pytest.mark.parametrize(
    "entry", ["http://labels.example.com", "labels.example.com:8200", "a/b", ""]
)
def test_a_server_name_that_is_not_a_host_name_stops_the_start(entry: str) -> None:
    with pytest.raises(configmod.ConfigError, match=r"server_names\[0\]"):
        configmod.from_dict({"server_names": [entry]})


def _start(tmp_path: Path, *flags: str) -> Server:
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"auth": {"allow_anonymous_remote": True}}))
    return Server(config, "--host", "0.0.0.0", *flags).start()


def test_a_wildcard_listener_names_the_setting_at_start(tmp_path: Path) -> None:
    server = _start(tmp_path)
    try:
        assert "server_names" in server.log.read_text()
        status, _ = _call_with_host(server, "labels.example.com")
        assert status == 400
    finally:
        server.stop()


def test_server_names_from_the_command_line(tmp_path: Path) -> None:
    server = _start(tmp_path, "--server-names", "labels.example.com")
    try:
        assert "server_names" not in server.log.read_text()
        assert _call_with_host(server, "labels.example.com")[0] == 200
        assert _call_with_host(server, "other.example.com")[0] == 400
    finally:
        server.stop()


def _call_with_host(server: Server, host: str) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/api/project", headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
