"""Attacks refused: active content among uploads, internal model servers, pages' headers."""

from __future__ import annotations

from pathlib import Path

from lsplug.web.keys import ACCOUNTS
from tests.conftest import Client, MakeClient


def _upload(tmp_path: Path, name: str, content: bytes) -> None:
    folder = tmp_path / "data" / "upload"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


async def test_an_uploaded_html_file_is_a_download(client: Client, tmp_path: Path) -> None:
    _upload(tmp_path, "x.html", b"<script>alert(1)</script>")
    resp = await client.get("/data/upload/x.html")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["Content-Disposition"] == "attachment"
    assert resp.headers["Content-Security-Policy"] == "sandbox"


async def test_an_uploaded_svg_is_a_download(client: Client, tmp_path: Path) -> None:
    _upload(tmp_path, "x.svg", b"<svg onload='alert(1)'/>")
    resp = await client.get("/data/upload/x.svg")
    assert resp.headers["Content-Type"] == "application/octet-stream"


async def test_an_uploaded_image_is_shown_inline(client: Client, tmp_path: Path) -> None:
    _upload(tmp_path, "cat.jpg", b"\xff\xd8\xff")
    resp = await client.get("/data/upload/cat.jpg")
    assert resp.headers["Content-Type"] == "image/jpeg"
    assert "Content-Disposition" not in resp.headers


async def test_uploads_outside_the_folder_are_not_served(client: Client, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "lsplug-secret.txt").write_text("no")
    for path in ("/data/upload/..%2Flsplug-secret.txt", "/data/upload/.secret_key"):
        assert (await client.get(path)).status == 404


async def test_pages_carry_security_headers(client: Client) -> None:
    resp = await client.get("/tasks")
    assert "frame-ancestors" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_signing_key_is_never_served(client: Client) -> None:
    for path in ("/data/upload/../secret_key", "/static/../../data/secret_key"):
        resp = await client.get(path)
        assert resp.status == 404


async def test_a_signed_in_person_cannot_connect_an_internal_model_server(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    accounts = client.app[ACCOUNTS]
    token = await accounts.new_token(await accounts.add_user("alice", "a long password"))
    for url in ("http://127.0.0.1:9", "http://169.254.169.254/", "file:///etc/passwd"):
        resp = await client.patch(
            "/api/project", json={"ml_backend": url}, headers={"Authorization": f"Token {token}"}
        )
        assert resp.status == 400, url
        assert "ml_backend" in (await resp.json())["detail"]
