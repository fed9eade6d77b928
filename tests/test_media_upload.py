"""Uploaded media files: stored under random names, one task each, served safely."""

from __future__ import annotations

from pathlib import Path

from aiohttp import FormData

from tests.conftest import MakeClient

IMAGE_CONFIG = '<View><Image name="img" value="$image"/><Choices name="c" toName="img">' \
    '<Choice value="A"/></Choices></View>'  # fmt: skip


async def test_an_uploaded_image_becomes_a_task_under_a_random_name(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = await make_client(label_config=IMAGE_CONFIG)
    form = FormData()
    form.add_field("FileUpload", b"\xff\xd8\xff-jpeg", filename="../../evil name.JPG")
    resp = await client.post("/api/project/import", data=form)
    assert resp.status == 201, await resp.text()
    (task_id,) = (await resp.json())["new_task_ids"]
    url = (await (await client.get(f"/api/tasks/{task_id}")).json())["data"]["image"]
    assert url.startswith("/data/upload/") and url.endswith(".jpg") and "evil" not in url
    assert [p.name for p in (tmp_path / "data" / "upload").iterdir()] == [url.rsplit("/", 1)[1]]
    served = await client.get(url)
    assert served.status == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert await served.read() == b"\xff\xd8\xff-jpeg"


async def test_a_failed_import_leaves_no_uploaded_file(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = await make_client(label_config=IMAGE_CONFIG)
    form = FormData()
    form.add_field("FileUpload", b"\xff\xd8\xff", filename="cat.jpg")
    form.add_field("FileUpload", b"not json", filename="tasks.json")
    resp = await client.post("/api/project/import", data=form)
    assert resp.status == 400
    assert list((tmp_path / "data" / "upload").iterdir()) == []


async def test_a_dry_run_keeps_no_uploaded_file(make_client: MakeClient, tmp_path: Path) -> None:
    client = await make_client(label_config=IMAGE_CONFIG)
    form = FormData()
    form.add_field("FileUpload", b"\xff\xd8\xff", filename="cat.png")
    resp = await client.post("/api/project/import?dry_run=1", data=form)
    assert resp.status == 200
    assert list((tmp_path / "data" / "upload").iterdir()) == []
