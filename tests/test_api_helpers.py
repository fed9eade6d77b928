"""Helper routes: health, version, example tasks and example import files."""

from __future__ import annotations

import csv
import io

import pytest

CHOICES_CONFIG = (
    '<View><Choices name="c" toName="review"><Choice value="good"/></Choices>'
    '<Text name="review" value="$review"/><Text name="title" value="$title"/></View>'
)


async def test_health_is_up(client):
    resp = await client.get("/api/health")
    assert resp.status == 200
    assert await resp.json() == {"status": "up"}


async def test_version_names_lsplug_the_api_the_editor_and_the_plugins(client):
    body = await (await client.get("/version")).json()
    assert set(body) >= {"lsplug", "label-studio-backend", "label-studio-frontend", "plugins"}
    assert "storage_local" in body["plugins"]


async def test_import_example_of_the_projects_config_has_its_key(client):
    resp = await client.get("/api/import-example")
    assert resp.status == 200
    assert set(await resp.json()) == {"text"}


async def test_import_example_of_a_posted_config(client):
    resp = await client.post("/api/import-example", json={"label_config": CHOICES_CONFIG})
    assert set(await resp.json()) == {"review", "title"}


async def test_import_example_of_a_posted_form_config(client):
    resp = await client.post("/api/import-example", data={"label_config": CHOICES_CONFIG})
    assert set(await resp.json()) == {"review", "title"}


async def test_import_example_of_an_invalid_config_is_400(client):
    resp = await client.post("/api/import-example", json={"label_config": "<View><Text"})
    assert resp.status == 400
    assert (await resp.json())["label_config"]


async def test_import_example_with_a_malformed_body_is_400_not_500(client):
    resp = await client.post(
        "/api/import-example", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400


@pytest.mark.parametrize("kind", ["json", "csv", "tsv", "txt"])
async def test_import_example_file_is_an_attachment(client, kind):
    resp = await client.get(f"/api/import-example-file?q={kind}")
    assert resp.status == 200
    assert resp.headers["Content-Disposition"] == f'attachment; filename="example.{kind}"'
    assert await resp.read()


async def test_the_example_csv_has_the_configs_keys_as_header(client):
    text = await (await client.get("/api/import-example-file?q=csv")).text()
    assert next(csv.reader(io.StringIO(text))) == ["text"]


async def test_the_example_file_imports_cleanly(client):
    content = await (await client.get("/api/import-example-file?q=json")).read()
    resp = await client.post(
        "/api/project/import", data=content, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 201
    assert (await resp.json())["task_count"] == 2


async def test_an_unknown_example_file_kind_is_400(client):
    resp = await client.get("/api/import-example-file?q=bad")
    assert resp.status == 400
    assert "bad" in (await resp.json())["detail"]


async def test_jobs_list_is_empty_at_first(client):
    assert await (await client.get("/api/jobs")).json() == []


async def test_an_unknown_job_is_404(client):
    assert (await client.get("/api/jobs/42")).status == 404


@pytest.mark.parametrize(
    ("tag", "media_type"),
    [("Image", "image/png"), ("Audio", "audio/x-wav"), ("Video", "video/webm")],
)
async def test_the_example_media_of_each_media_tag_is_served(client, tag, media_type):
    xml = f'<View><{tag} name="m" value="$media"/></View>'
    resp = await client.post("/api/import-example", json={"label_config": xml})
    url = (await resp.json())["media"]
    media = await client.get(url)
    assert media.status == 200
    assert media.content_type == media_type
    assert len(await media.read()) > 1000
