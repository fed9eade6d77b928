"""The ``gcs`` source and sink against a real GCS API (gcp-storage-emulator), via the API."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

from lsplug.testing import STORAGE_SETTINGS, switch_storage, synced_jobs


def upload(emulator, bucket: str, names: list[str], body: bytes = b"x") -> None:
    """Upload many objects with several connections at once."""
    target = emulator.client().bucket(bucket)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: target.blob(n).upload_from_string(body, "text/plain"), names))


def names(emulator, bucket: str) -> list[str]:
    return sorted(b.name for b in emulator.client().list_blobs(bucket))


async def test_the_forms_offer_gcs_with_the_key_secret(make_client):
    body = await (await (await make_client()).get(STORAGE_SETTINGS)).json()
    for role in ("source", "target"):
        fields = {f["name"]: f for f in body[role]["gcs"]["fields"]}
        assert fields["google_application_credentials"]["secret"]
        assert fields["bucket"]["required"]


async def test_a_source_of_thousands_of_objects_is_listed_recursively_and_twice(
    make_client, emulator, gcs_bucket, poll
):
    wanted = [f"img/{i % 5}/{i}.png" for i in range(1200)]
    upload(emulator, gcs_bucket, [*wanted, "img/readme.md", "elsewhere/1.png"])
    client = await make_client()
    settings = emulator.settings(gcs_bucket, prefix="img", regex_filter=r"\.png$")
    assert (await switch_storage(client, "source", settings)).status == 201
    (job,) = await synced_jobs(client, poll)
    assert (job["status"], job["total"]) == ("done", 1200)
    upload(emulator, gcs_bucket, ["img/new.png"])
    assert (await switch_storage(client, "source", settings)).status == 201
    jobs = await synced_jobs(client, poll)
    assert [(j["status"], j["total"]) for j in jobs] == [("done", 1), ("done", 1200)]
    export = await (await client.get("/api/project/export?format=JSON&only_labeled=0")).json()
    expected = sorted(f"gs://{gcs_bucket}/{n}" for n in [*wanted, "img/new.png"])
    assert sorted(t["data"]["image"] for t in export) == expected


async def test_objects_holding_tasks_import_each_task(make_client, emulator, gcs_bucket, poll):
    upload(
        emulator, gcs_bucket, ["t/a.json"], json.dumps([{"image": "a"}, {"image": "b"}]).encode()
    )
    upload(emulator, gcs_bucket, ["t/b.csv"], b"image\nc\n")
    client = await make_client()
    settings = emulator.settings(gcs_bucket, prefix="t", use_blob_urls=False)
    assert (await switch_storage(client, "source", settings)).status == 201
    await synced_jobs(client, poll)
    tasks = await (await client.get("/api/tasks")).json()
    assert sorted(t["data"]["image"] for t in tasks) == ["a", "b", "c"]


async def test_served_tasks_carry_signed_urls_and_the_store_keeps_the_bucket_url(
    make_client, emulator, gcs_bucket, service_account_key, poll
):
    upload(emulator, gcs_bucket, ["cats/1.jpg"])
    client = await make_client()
    settings = emulator.settings(
        gcs_bucket, presign_ttl=900, google_application_credentials=service_account_key
    )
    assert (await switch_storage(client, "source", settings)).status == 201
    await synced_jobs(client, poll)
    served = (await (await client.get("/api/tasks")).json())[0]["data"]["image"]
    url = urlsplit(served)
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}" == emulator.url
    assert url.path == f"/{gcs_bucket}/cats/1.jpg"
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Expires"] == ["900"]
    assert query["X-Goog-Credential"][0].startswith("lsplug@test.iam.gserviceaccount.com/")
    assert query["X-Goog-Signature"][0]
    export = await (await client.get("/api/project/export?format=JSON&only_labeled=0")).json()
    assert export[0]["data"]["image"] == f"gs://{gcs_bucket}/cats/1.jpg"
    body = await (await client.get(STORAGE_SETTINGS)).json()
    assert body["source_storage"]["google_application_credentials"] == "********"


async def test_a_target_bucket_receives_each_labeled_task(make_client, emulator, gcs_bucket, poll):
    client = await make_client()
    await client.post("/api/project/import", json=[{"image": "a.jpg"}, {"image": "b.jpg"}])
    assert (
        await switch_storage(client, "target", emulator.settings(gcs_bucket, prefix="out/"))
    ).status == 201
    assert (await client.post("/api/tasks/0/completions", json={"result": []})).status == 201

    async def written() -> bool:
        return names(emulator, gcs_bucket) == ["out/0.json"]

    assert await poll(written)
    doc = json.loads(emulator.client().bucket(gcs_bucket).blob("out/0.json").download_as_bytes())
    assert (doc["id"], doc["data"]) == (0, {"image": "a.jpg"})
    await client.delete("/api/tasks/0/completions")

    async def removed() -> bool:
        return names(emulator, gcs_bucket) == []

    assert await poll(removed)


async def test_a_missing_bucket_is_a_bucket_error_and_switches_nothing(make_client, emulator):
    client = await make_client()
    for role in ("source", "target"):
        resp = await switch_storage(client, role, emulator.settings("no-such-bucket"))
        assert resp.status == 400
        assert "no-such-bucket" in " ".join((await resp.json())["errors"]["bucket"])
    body = await (await client.get(STORAGE_SETTINGS)).json()
    assert (body["source_storage"], body["target_storage"]) == (None, None)


async def test_a_bad_key_is_a_credentials_error_and_switches_nothing(
    make_client, emulator, gcs_bucket
):
    client = await make_client()
    for key in ("{not json", json.dumps({"type": "service_account"})):
        settings = emulator.settings(gcs_bucket, google_application_credentials=key)
        resp = await switch_storage(client, "target", settings)
        assert resp.status == 400
        assert (await resp.json())["errors"]["google_application_credentials"]
    assert (await (await client.get(STORAGE_SETTINGS)).json())["target_storage"] is None
