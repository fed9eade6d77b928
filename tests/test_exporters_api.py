"""The new formats through `/api/project/export`: offered by config, zips streamed."""

from __future__ import annotations

import io
import zipfile

BOXES = (
    '<View><Image name="img" value="$image"/><RectangleLabels name="box" toName="img">'
    '<Label value="Cat"/></RectangleLabels></View>'
)
BOX = {"from_name": "box", "to_name": "img", "type": "rectanglelabels",
       "original_width": 100, "original_height": 50,
       "value": {"x": 10, "y": 10, "width": 20, "height": 20,
                 "rectanglelabels": ["Cat"]}}  # fmt: skip


async def test_an_image_config_is_offered_the_image_formats_and_not_conll(make_client):
    client = await make_client(label_config=BOXES)
    names = {f["name"] for f in await (await client.get("/api/project/export/formats")).json()}
    assert {"COCO", "VOC", "YOLO", "JSON", "CSV"} <= names
    assert not {"CONLL2003", "BRUSH_TO_PNG", "ASR_MANIFEST"} & names


async def test_yolo_is_a_zip_attachment_with_images_from_uploads(make_client, tmp_path):
    (tmp_path / "data" / "upload").mkdir(parents=True)
    (tmp_path / "data" / "upload" / "cat.jpg").write_bytes(b"JPEG")
    client = await make_client(label_config=BOXES)
    task = {"data": {"image": "/data/upload/cat.jpg"}, "completions": [{"result": [BOX]}]}
    outside = {"data": {"image": "/etc/passwd"}, "completions": [{"result": [BOX]}]}
    resp = await client.post("/api/project/import", json=[task, outside])
    assert resp.status == 201, await resp.text()
    resp = await client.get("/api/project/export?format=YOLO&download_resources=1")
    assert resp.status == 200 and resp.content_type == "application/zip"
    assert resp.headers["Content-Disposition"].rstrip('"').endswith(".zip")
    files = zipfile.ZipFile(io.BytesIO(await resp.read()))
    assert files.read("images/cat.jpg") == b"JPEG"
    assert "images/passwd" not in files.namelist()
    assert files.read("labels/cat.txt") == b"0 0.200000 0.200000 0.200000 0.200000\n"
    assert b"not readable" in files.read("export_summary.json")


async def test_a_format_that_does_not_fit_is_400_listing_those_that_do(client):
    resp = await client.get("/api/project/export?format=COCO")
    assert resp.status == 400
    body = await resp.json()
    assert "does not fit" in body["detail"]
    assert "CONLL2003" in body["formats"] and "COCO" not in body["formats"]
