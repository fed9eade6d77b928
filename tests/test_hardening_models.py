"""Hardening of settings, storages and model servers (issue 13, items 2, 4, 8, 10, 11):
runtime settings checked as the config file is and never fatal at start, model server URLs
that do not parse, model servers that redirect or answer large errors, model versions
named differently by /setup and /predict, local paths and endpoints set through the API.
Real model servers (aiohttp), real apps and, where a start is at stake, real processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from lsplug_ml_http.client import HttpModel, ModelError
from procs import Server

from lsplug.hooks import AddressPolicy, MLContext
from lsplug.web.keys import ACCOUNTS
from tests.conftest import NER_CONFIG, Client, MakeClient

SECRET = "SECRET-7f3a9c"
PASSWORD = "correct horse battery"


class Recorder:
    """An aiohttp server that records every request and answers as told."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.answers: dict[str, web.Response] = {}
        self.version = {"setup": "v1", "predict": "v1"}
        self.predicted: list[int] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path)
        if request.path in self.answers:
            return self.answers[request.path]
        if request.path == "/health":
            return web.json_response({"status": "UP"})
        if request.path == "/setup":
            return web.json_response({"model_version": self.version["setup"]})
        if request.path == "/predict":
            tasks = (await request.json())["tasks"]
            self.predicted += [t["id"] for t in tasks]
            results = [{"result": [], "score": 0.5} for _ in tasks]
            return web.json_response({"results": results, "model_version": self.version["predict"]})
        return web.Response(text=f"internal {SECRET}")


@pytest.fixture
async def served(aiohttp_server: Any) -> Any:
    """``await served()``: a new :class:`Recorder` and its base URL."""

    async def start() -> tuple[Recorder, str]:
        recorder = Recorder()
        server = await aiohttp_server(recorder.app)
        return recorder, str(server.make_url("")).rstrip("/")

    return start


async def _token(client: Client, name: str = "first") -> dict[str, str]:
    accounts = client.app[ACCOUNTS]
    user = await accounts.add_user(name, PASSWORD)
    return {"Authorization": f"Token {await accounts.new_token(user)}"}


# --- item 8: runtime settings are checked as the config file is ------------------------------

BAD_SETTINGS = [
    ({"title": 5}, "title"),
    ({"instruction": ["x"]}, "instruction"),
    ({"sampling": "random"}, "sampling"),
    ({"sampling": 3}, "sampling"),
    ({"lease_seconds": "10"}, "lease_seconds"),
    ({"lease_seconds": True}, "lease_seconds"),
    ({"lease_seconds": 1.5}, "lease_seconds"),
    ({"lease_seconds": 0}, "lease_seconds"),
    ({"ml_backends": 5}, "ml_backends"),
    ({"ml_backends": {"url": "http://x:1"}}, "ml_backends"),
    ({"ml_backends": [{"url": 5}]}, "ml_backends[0].url"),
    ({"ml_backends": [None]}, "ml_backends[0]"),
    ({"ml_backends": [{"name": "a"}]}, "ml_backends[0].url"),
    ({"ml_backends": [{"url": "http://x:1", "name": 3}]}, "ml_backends[0].name"),
    ({"ml_backends": [{"url": "http://x:1", "kind": "nope"}]}, "ml_backends[0].kind"),
    ({"ml_backends": [{"url": "http://x:1", "extra": 1}]}, "ml_backends[0].extra"),
    ({"ml_backends": [{"url": "http://x:1"}, {"url": "http://[::1"}]}, "ml_backends[1].url"),
    ({"ml_backends": ["m=http://a b"]}, "ml_backends[0].url"),
    ({"nope": 1}, "nope"),
]


@pytest.mark.parametrize(("body", "where"), BAD_SETTINGS, ids=[w for _, w in BAD_SETTINGS])
async def test_a_bad_runtime_setting_is_400_naming_it_and_nothing_changes(
    client: Client, body: dict[str, Any], where: str
) -> None:
    before = await (await client.get("/api/project")).json()
    resp = await client.patch("/api/project", json={"title": "new", **body})
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["detail"].startswith(f"{where}:")
    assert await (await client.get("/api/project")).json() == before


async def test_a_bad_setting_beside_a_model_connects_nothing(
    make_client: MakeClient, served: Any
) -> None:
    recorder, url = await served()
    client = await make_client()
    resp = await client.patch("/api/project", json={"ml_backend": url, "lease_seconds": "x"})
    assert resp.status == 400
    assert (await (await client.get("/api/models")).json())["models"] == []
    assert recorder.hits == []


async def test_good_runtime_settings_are_kept(client: Client) -> None:
    body = {"title": "T", "sampling": "uniform", "lease_seconds": 30,
            "ml_backends": ["m=http://models.example:9090"]}  # fmt: skip
    resp = await client.patch("/api/project", json=body)
    assert resp.status == 200, await resp.text()
    project = await resp.json()
    assert (project["title"], project["sampling"], project["lease_seconds"]) == ("T", "uniform", 30)
    assert project["ml_backends"] == [
        {"url": "http://models.example:9090", "name": "m", "kind": "http"}
    ]


def _project_dir(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "ner.xml").write_text(NER_CONFIG)
    config = tmp_path / "config.yaml"
    config.write_text(f"label_config: ner.xml\ndata_dir: data\ntitle: From the file\n{extra}")
    return config


def _store_settings(tmp_path: Path, **settings: Any) -> None:
    """Write settings into the stored project as an older version (or a hand) could."""
    with sqlite3.connect(tmp_path / "data" / "lsplug.sqlite3") as db:
        (raw,) = db.execute("SELECT settings FROM projects").fetchone()
        stored = {**json.loads(raw), **settings}
        db.execute("UPDATE projects SET settings=?", (json.dumps(stored),))


STORED_BAD = {
    "ml_backends": [{"url": 5}],
    "sampling": "bogus",
    "lease_seconds": "ten",
    "title": 7,
    "instruction": {"x": 1},
}


def test_a_bad_stored_setting_is_logged_and_skipped_and_the_server_starts(
    tmp_path: Path,
) -> None:
    server = Server(_project_dir(tmp_path, "sampling: uniform\nlease_seconds: 60\n"))
    server.start().stop()
    _store_settings(tmp_path, **STORED_BAD)
    try:
        server.start()
        status, project = server.call("GET", "/api/project")
        assert status == 200
        assert (project["title"], project["sampling"], project["lease_seconds"]) == (
            "From the file", "uniform", 60,
        )  # fmt: skip
        assert project["ml_backends"] == []
        assert server.call("GET", "/api/project/next")[0] == 404  # labeling works
        assert server.call("PATCH", "/api/project", {"title": "fixed"})[0] == 200
    finally:
        server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log
    for key in STORED_BAD:
        lines = [line for line in log.splitlines() if f"stored setting {key} is not used" in line]
        assert lines, (key, log)


def test_a_stored_label_config_that_fails_today_is_logged_and_the_server_starts(
    tmp_path: Path,
) -> None:
    server = Server(_project_dir(tmp_path))
    server.start().stop()
    with sqlite3.connect(tmp_path / "data" / "lsplug.sqlite3") as db:
        db.execute("UPDATE projects SET label_config=?", ("<View><Bogus/></View>",))
    try:
        server.start()
        assert server.call("GET", "/api/project")[0] == 200
    finally:
        server.stop()
    log = server.log.read_text()
    assert "the stored label config is not used" in log and "Traceback" not in log


def test_a_changed_config_file_wins_over_a_stored_runtime_setting(tmp_path: Path) -> None:
    config = _project_dir(tmp_path, "ml_backends: ['a=http://127.0.0.1:9']\n")
    server = Server(config)
    try:
        server.start()
        assert (
            server.call("PATCH", "/api/project", {"ml_backends": ["b=http://127.0.0.1:9"]})[0]
            == 200
        )
        server.restart()  # the file did not change: the API's value stays
        assert [m["name"] for m in server.call("GET", "/api/project")[1]["ml_backends"]] == ["b"]
        config.write_text(config.read_text().replace("a=", "c="))
        server.restart()  # the file changed: its value wins
        assert [m["name"] for m in server.call("GET", "/api/project")[1]["ml_backends"]] == ["c"]
    finally:
        server.stop()


# --- item 4: model server URLs that do not parse ---------------------------------------------

BAD_URLS = ["http://[::1", "http://:80", "http://a b", "", "http://", "x=http://[::1",
            "http://x:99999", "ftp://models", "http://%41", "javascript:alert(1)"]  # fmt: skip


@pytest.mark.parametrize("url", BAD_URLS)
async def test_a_model_url_that_does_not_parse_is_400_naming_ml_backend(
    client: Client, url: str
) -> None:
    resp = await client.patch("/api/project", json={"ml_backend": url})
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["detail"].startswith("ml_backend")


@pytest.mark.parametrize("url", ["http://[::1", "http://:80", "http://a b", ""])
def test_a_config_file_model_url_that_does_not_parse_stops_the_start_in_one_line(
    tmp_path: Path, url: str
) -> None:
    config = _project_dir(tmp_path, f"ml_backends: [{json.dumps(url)}]\n")
    done = subprocess.run(
        [sys.executable, "-m", "lsplug", "start", "-c", str(config), "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "ml_backends[0].url" in done.stderr


# --- item 11: model servers that redirect or answer large errors -----------------------------

REDIRECTS = [301, 302, 303, 307, 308]


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("route", ["/health", "/setup"])
async def test_a_redirect_to_an_internal_address_is_not_followed(
    make_client: MakeClient, served: Any, status: int, route: str
) -> None:
    internal, internal_url = await served()
    model, url = await served()
    model.answers[route] = web.Response(status=status, headers={"Location": internal_url + "/x"})
    client = await make_client(allowed_hosts=["127.0.0.1"])
    headers = await _token(client)
    resp = await client.patch("/api/project", json={"ml_backend": url}, headers=headers)
    assert resp.status == 400
    detail = (await resp.json())["detail"]
    assert f"answered {status}" in detail and SECRET not in detail
    assert internal.hits == []


@pytest.mark.parametrize("status", REDIRECTS)
async def test_a_redirect_of_predict_is_not_followed(
    make_client: MakeClient, served: Any, status: int
) -> None:
    internal, internal_url = await served()
    model, url = await served()
    model.answers["/predict"] = web.Response(
        status=status, headers={"Location": internal_url + "/x"}
    )
    client = await make_client(ml_backends=[{"name": "m", "url": url}])
    await client.post("/api/project/import", json=[{"text": "a"}])
    task = await (await client.get("/api/project/next")).json()
    assert task["predictions"] == [] and internal.hits == []
    (listed,) = (await (await client.get("/api/models")).json())["models"]
    assert f"answered {status}" in listed["error"]


ERROR_BODIES = [
    "x" * 300 + SECRET + "y" * (1 << 20),
    "\x1b[31m" + "<p>" * 100 + SECRET,
    "é" * 250 + SECRET,
]


@pytest.mark.parametrize("body", ERROR_BODIES, ids=["1MB", "control", "unicode"])
async def test_an_error_answer_is_quoted_as_a_short_printable_excerpt(
    make_client: MakeClient, served: Any, body: str
) -> None:
    model, url = await served()
    model.answers["/health"] = web.Response(status=500, text=body)
    client = await make_client()
    resp = await client.patch("/api/project", json={"ml_backend": url})
    detail = (await resp.json())["detail"]
    assert resp.status == 400 and "answered 500" in detail
    assert SECRET not in detail and "\x1b" not in detail
    quoted = detail.split("answered 500: ", 1)[1]
    assert len(quoted) <= 203 and quoted.isprintable()


async def test_every_connection_of_a_model_checks_its_address(served: Any) -> None:
    """The check is made by the connection itself, not only before it: a strict policy
    handed to the model refuses 127.0.0.1 on a call, and the server is never reached."""
    model, url = await served()
    ctx = MLContext("p", lambda: NER_CONFIG, 2.0, addresses=AddressPolicy())
    backend = HttpModel("m", url, {}, ctx)
    try:
        with pytest.raises(ModelError, match="internal address"):
            await backend.predict([{"id": 1, "data": {"text": "a"}}])
    finally:
        await backend.close()
    assert model.hits == []


async def test_a_signed_in_person_cannot_reach_an_internal_name(
    make_client: MakeClient, served: Any
) -> None:
    model, url = await served()
    client = await make_client()
    headers = await _token(client)
    for target in (url.replace("127.0.0.1", "localhost"), url):
        resp = await client.patch("/api/project", json={"ml_backend": target}, headers=headers)
        assert resp.status == 400 and "internal address" in (await resp.json())["detail"]
    assert model.hits == []


async def test_a_remote_server_without_sign_in_refuses_internal_model_servers(
    make_client: MakeClient, served: Any
) -> None:
    model, url = await served()
    client = await make_client(auth={"allow_anonymous_remote": True})
    resp = await client.patch("/api/project", json={"ml_backend": url})
    assert resp.status == 400 and "internal address" in (await resp.json())["detail"]
    assert model.hits == []


# --- item 2: versions named differently by /setup and /predict -------------------------------

VERSIONS = [("setup-1", "predict-1"), (None, "v7"), ("v1", None)]


@pytest.mark.parametrize(("setup", "predict"), VERSIONS)
async def test_a_task_is_predicted_once_whatever_the_versions_say(
    make_client: MakeClient, served: Any, setup: str | None, predict: str | None
) -> None:
    model, url = await served()
    model.version = {"setup": setup, "predict": predict}  # type: ignore[dict-item]
    settings = {"ml_backends": [{"name": "m", "url": url}]}
    first = await make_client(**settings)
    await first.post("/api/project/import", json=[{"text": "a"}, {"text": "b"}])
    for _ in range(2):
        await first.get("/api/project/next")
        await first.get("/api/models")  # sets the model up again
    await first.close()
    second = await make_client(**settings)  # a restart, the same store
    await second.get("/api/project/next")
    await second.get("/api/models")
    await second.post("/api/models/predictions?mode=specific_tasks&task_ids=0,1")
    assert sorted(model.predicted) == [0, 1]


async def test_a_new_model_version_predicts_again(make_client: MakeClient, served: Any) -> None:
    model, url = await served()
    client = await make_client(ml_backends=[{"name": "m", "url": url}])
    await client.post("/api/project/import", json=[{"text": "a"}])
    await client.get("/api/project/next")
    model.version = {"setup": "v2", "predict": "v2"}
    await client.get("/api/models")
    await client.get("/api/project/next")
    assert model.predicted == [0, 0]


# --- item 10: local paths and endpoints set through the API ----------------------------------


@pytest.fixture
def roots(tmp_path: Path) -> Path:
    """``tmp_path/roots`` with a task file, and ``tmp_path/outside`` with a secret one."""
    (tmp_path / "roots" / "in").mkdir(parents=True)
    (tmp_path / "roots" / "in" / "a.json").write_text('[{"text": "inside"}]')
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "s.json").write_text(json.dumps([{"text": SECRET}]))
    (tmp_path / "roots" / "link").symlink_to(tmp_path / "outside")
    return tmp_path / "roots"


def _outside_paths(roots: Path) -> list[str]:
    outside = roots.parent / "outside"
    return [str(outside), str(roots / ".." / "outside"), str(roots / "link"),
            str(roots / "link" / "s.json"), "/etc", "/"]  # fmt: skip


@pytest.mark.parametrize("role", ["source", "target"])
async def test_a_local_path_outside_the_roots_is_refused_and_nothing_switches(
    make_client: MakeClient, roots: Path, role: str
) -> None:
    client = await make_client(local_files_roots=[str(roots)])
    for path in _outside_paths(roots):
        resp = await client.post(
            f"/api/project/storage-settings?storage_for={role}",
            json={"type": "local", "path": path},
        )
        assert resp.status == 400, (path, await resp.text())
        assert "local_files_roots" in " ".join((await resp.json())["errors"]["path"])
    body = await (await client.get("/api/project/storage-settings")).json()
    assert body["source_storage"] is None and body["target_storage"] is None
    assert sorted(p.name for p in (roots.parent / "outside").iterdir()) == ["s.json"]
    assert (await (await client.get("/api/project")).json())["task_count"] == 0


@pytest.mark.parametrize("role", ["source", "target"])
async def test_without_roots_a_local_storage_is_only_for_the_config_file(
    client: Client, tmp_path: Path, role: str
) -> None:
    resp = await client.post(
        f"/api/project/storage-settings?storage_for={role}",
        json={"type": "local", "path": str(tmp_path)},
    )
    assert resp.status == 400
    assert "list folders in local_files_roots" in (await resp.json())["errors"]["path"][0]


async def test_a_local_path_inside_the_roots_is_used(
    make_client: MakeClient, roots: Path, poll: Any
) -> None:
    client = await make_client(local_files_roots=[str(roots)])
    resp = await client.post(
        "/api/project/storage-settings?storage_for=source",
        json={"type": "local", "path": str(roots / "in")},
    )
    assert resp.status == 201, await resp.text()

    async def imported() -> bool:
        return bool((await (await client.get("/api/project")).json())["task_count"] == 1)

    assert await poll(imported)


async def test_the_config_files_paths_are_the_operators(
    make_client: MakeClient, roots: Path
) -> None:
    client = await make_client(local_files_roots=[str(roots / "in")],
                               input_path=str(roots.parent / "outside"))  # fmt: skip
    body = await (await client.get("/api/project/storage-settings")).json()
    assert body["source_storage"]["path"] == str(roots.parent / "outside")


def test_a_stored_local_path_outside_the_roots_is_not_opened_at_start(
    tmp_path: Path, roots: Path
) -> None:
    server = Server(_project_dir(tmp_path, f"local_files_roots: [{json.dumps(str(roots))}]\n"))
    server.start().stop()
    _store_settings(tmp_path, source={"type": "local", "path": str(tmp_path / "outside")})
    try:
        server.start()
        assert server.call("GET", "/api/project")[1]["task_count"] == 0
    finally:
        server.stop()
    assert "the source storage local cannot be used" in server.log.read_text()


ENDPOINTS = ["http://127.0.0.1:{port}", "http://localhost:{port}", "http://169.254.169.254",
             "http://[::1]:{port}", "file:///etc/passwd", "http://10.0.0.1:9000"]  # fmt: skip


@pytest.mark.parametrize("kind", ["s3", "gcs"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_an_internal_endpoint_set_through_the_api_is_refused(
    client: Client, served: Any, kind: str, endpoint: str
) -> None:
    recorder, url = await served()
    port = url.rsplit(":", 1)[1]
    settings = {"type": kind, "bucket": "b", "endpoint_url": endpoint.format(port=port)}
    resp = await client.post("/api/project/storage-settings?storage_for=target", json=settings)
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["errors"]["endpoint_url"]
    assert recorder.hits == []


async def test_an_endpoint_in_allowed_hosts_is_reached(
    make_client: MakeClient, served: Any
) -> None:
    recorder, url = await served()
    client = await make_client(allowed_hosts=["127.0.0.1"])
    settings = {"type": "s3", "bucket": "b", "endpoint_url": url,
                "aws_access_key_id": "k", "aws_secret_access_key": "s"}  # fmt: skip
    resp = await client.post("/api/project/storage-settings?storage_for=target", json=settings)
    assert resp.status == 400  # the recorder is no S3, but it was asked
    assert "endpoint_url" not in (await resp.json())["errors"]
    assert recorder.hits
