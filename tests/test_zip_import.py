"""Importing a `.zip` of task files: path tricks and zip bombs are refused."""

from __future__ import annotations

import io
import json
import secrets
import zipfile

from aiohttp import FormData

from tests.conftest import Client, MakeClient


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


async def _upload(client: Client, content: bytes, name: str = "tasks.zip") -> tuple[int, dict]:
    form = FormData()
    form.add_field("FileUpload", content, filename=name)
    resp = await client.post("/api/project/import", data=form)
    return resp.status, await resp.json()


async def test_every_task_file_in_a_zip_is_imported(client: Client) -> None:
    archive = _zip({
        "a.json": json.dumps([{"text": "one"}, {"text": "two"}]).encode(),
        "sub/b.csv": b"text\nthree\n",
        "__MACOSX/._a.json": b"junk",
        "README.md": b"ignored",
    })  # fmt: skip
    status, body = await _upload(client, archive)
    assert status == 201, body
    assert body["task_count"] == 3


async def test_a_member_path_with_dot_dot_is_refused(client: Client) -> None:
    status, body = await _upload(client, _zip({"../evil.json": b'[{"text": "x"}]'}))
    assert status == 400
    assert "unsafe path" in body["detail"]
    assert (await (await client.get("/api/project")).json())["task_count"] == 0


async def test_an_absolute_member_path_is_refused(client: Client) -> None:
    status, body = await _upload(client, _zip({"/etc/evil.json": b'[{"text": "x"}]'}))
    assert status == 400 and "unsafe path" in body["detail"]


async def test_a_zip_bomb_is_refused(client: Client) -> None:
    bomb = b'[{"text": "' + b"a" * (20 << 20) + b'"}]'
    status, body = await _upload(client, _zip({"bomb.json": bomb}))
    assert status == 400
    assert "zip bomb" in body["detail"]


async def test_an_archive_expanding_beyond_the_limit_is_refused(make_client: MakeClient) -> None:
    client = await make_client(max_body_mb=1, max_expanded_mb=1)
    files = {f"{i}.txt": secrets.token_hex(200_000).encode() for i in range(3)}
    status, body = await _upload(client, _zip(files))
    assert status == 413
    assert "max_expanded_mb: 1 MB" in body["detail"]


async def test_a_file_that_is_not_a_zip_is_400(client: Client) -> None:
    status, body = await _upload(client, b"not a zip")
    assert status == 400 and "not a zip archive" in body["detail"]
