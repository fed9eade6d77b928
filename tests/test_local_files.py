"""`/data/local-files/?d=`: media served only from the folders of ``local_files_roots``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "cats").mkdir(parents=True)
    (root / "cats" / "tom.png").write_bytes(b"\x89PNG fake image")
    (root / "page.html").write_text("<script>alert(1)</script>")
    (tmp_path / "secret.txt").write_text("not for you")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    return root


@pytest.fixture
async def files_client(make_client: Any, media: Path) -> Any:
    return await make_client(local_files_roots=[str(media)])


async def test_a_file_inside_a_root_is_served_by_relative_path(files_client: Any):
    resp = await files_client.get("/data/local-files/?d=cats/tom.png")
    assert resp.status == 200
    assert resp.content_type == "image/png"
    assert await resp.read() == b"\x89PNG fake image"


async def test_an_absolute_path_inside_a_root_is_served(files_client: Any, media: Path):
    resp = await files_client.get("/data/local-files/", params={"d": str(media / "cats/tom.png")})
    assert resp.status == 200


@pytest.mark.parametrize(
    "wanted", ["../secret.txt", "cats/../../secret.txt", "link.txt", "/etc/passwd", ""]
)
async def test_paths_out_of_the_roots_are_refused(files_client: Any, wanted: str):
    resp = await files_client.get("/data/local-files/", params={"d": wanted})
    assert resp.status == 404
    assert "detail" in await resp.json()


async def test_html_is_sent_as_a_download_not_a_page(files_client: Any):
    resp = await files_client.get("/data/local-files/?d=page.html")
    assert resp.headers["Content-Disposition"] == "attachment"
    assert resp.content_type == "application/octet-stream"


async def test_local_files_are_off_unless_folders_are_listed(client: Any):
    resp = await client.get("/data/local-files/?d=cats/tom.png")
    assert resp.status == 404
    assert "local_files_roots" in (await resp.json())["detail"]
