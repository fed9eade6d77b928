"""The ``s3`` source and sink against a real S3 API (moto server), switched through the API."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

from lsplug.testing import STORAGE_SETTINGS, switch_storage, synced_jobs, task_count


def put_objects(moto, bucket: str, keys: list[str], body: bytes = b"x") -> None:
    """Put many objects quickly (several connections at once)."""
    s3 = moto.client()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=body), keys))


def object_keys(moto, bucket: str, prefix: str = "") -> list[str]:
    pages = moto.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))


async def test_the_forms_offer_s3_with_its_secrets_marked(make_client):
    client = await make_client()
    body = await (await client.get(STORAGE_SETTINGS)).json()
    for role in ("source", "target"):
        fields = {f["name"]: f for f in body[role]["s3"]["fields"]}
        assert fields["bucket"]["required"]
        assert fields["aws_secret_access_key"]["secret"]
        assert fields["aws_session_token"]["secret"]
    assert {"regex_filter", "use_blob_urls", "data_key", "presign_ttl"} <= set(
        f["name"] for f in body["source"]["s3"]["fields"]
    )


async def test_a_source_of_thousands_of_objects_is_listed_recursively(
    make_client, start_moto, poll
):
    seeded = start_moto(seed=("many", 2500))  # 2,500 objects in 10 folders, and 2 others
    client = await make_client()
    settings = seeded.settings("many", prefix="images", regex_filter=r"\.jpg$")
    resp = await switch_storage(client, "source", settings)
    assert resp.status == 201, await resp.text()
    (job,) = await synced_jobs(client, poll)
    assert (job["status"], job["total"], job["done"]) == ("done", 2500, 2500)
    assert await task_count(client) == 2500
    export = await (await client.get("/api/project/export?format=JSON&only_labeled=0")).json()
    expected = sorted(f"s3://many/images/{i % 10}/{i}.jpg" for i in range(2500))
    assert sorted(t["data"]["image"] for t in export) == expected


async def test_a_second_sync_imports_only_new_objects_and_no_duplicates(
    make_client, moto, bucket, poll
):
    put_objects(moto, bucket, [f"{i}.png" for i in range(20)])
    client = await make_client()
    assert (await switch_storage(client, "source", moto.settings(bucket))).status == 201
    await synced_jobs(client, poll)
    put_objects(moto, bucket, ["new/20.png"])
    assert (await switch_storage(client, "source", moto.settings(bucket))).status == 201
    jobs = await synced_jobs(client, poll)
    assert [(j["status"], j["total"]) for j in jobs] == [("done", 1), ("done", 20)]
    assert await task_count(client) == 21


async def test_objects_holding_tasks_import_each_task(make_client, moto, bucket, poll):
    s3 = moto.client()
    s3.put_object(Bucket=bucket, Key="t/a.json", Body=json.dumps([{"image": "a"}, {"image": "b"}]))
    s3.put_object(Bucket=bucket, Key="t/deep/b.jsonl", Body=b'{"image": "c"}\n')
    s3.put_object(Bucket=bucket, Key="t/c.csv", Body=b"image\nd\ne\n")
    s3.put_object(Bucket=bucket, Key="t/bad.json", Body=b"[{")
    client = await make_client()
    resp = await switch_storage(
        client, "source", moto.settings(bucket, prefix="t/", use_blob_urls=False)
    )
    assert resp.status == 201, await resp.text()
    (job,) = await synced_jobs(client, poll)
    assert "t/bad.json" in job["error"]
    tasks = await (await client.get("/api/tasks?page_size=30")).json()
    assert sorted(t["data"]["image"] for t in tasks) == ["a", "b", "c", "d", "e"]


async def test_served_tasks_carry_presigned_urls_and_the_store_keeps_the_bucket_url(
    make_client, moto, bucket, poll
):
    put_objects(moto, bucket, ["cats/1.jpg"])
    client = await make_client()
    await switch_storage(client, "source", moto.settings(bucket, presign_ttl=600))
    await synced_jobs(client, poll)
    served = (await (await client.get("/api/tasks")).json())[0]["data"]["image"]
    url = urlsplit(served)
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}" == moto.url
    assert url.path == f"/{bucket}/cats/1.jpg"
    assert query["X-Amz-Expires"] == ["600"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Signature"][0]
    leased = await (await client.get("/api/project/next")).json()
    assert leased["data"]["image"].startswith(f"{moto.url}/{bucket}/cats/1.jpg?")
    export = await (await client.get("/api/project/export?format=JSON&only_labeled=0")).json()
    assert export[0]["data"]["image"] == f"s3://{bucket}/cats/1.jpg"


async def test_a_target_bucket_receives_each_labeled_task_and_loses_deleted_ones(
    make_client, moto, bucket, poll
):
    client = await make_client()
    await client.post("/api/project/import", json=[{"image": "a.jpg"}, {"image": "b.jpg"}])
    assert (
        await switch_storage(client, "target", moto.settings(bucket, prefix="out"))
    ).status == 201
    resp = await client.post("/api/tasks/1/completions", json={"result": []})
    assert resp.status == 201

    async def written() -> bool:
        return object_keys(moto, bucket) == ["out/1.json"]

    assert await poll(written)
    body = moto.client().get_object(Bucket=bucket, Key="out/1.json")["Body"].read()
    doc = json.loads(body)
    assert (doc["id"], doc["data"], len(doc["completions"])) == (1, {"image": "b.jpg"}, 1)
    await client.delete("/api/tasks/1/completions")

    async def removed() -> bool:
        return object_keys(moto, bucket) == []

    assert await poll(removed)


async def test_switching_the_target_writes_the_existing_completions(
    make_client, moto, bucket, poll
):
    client = await make_client()
    tasks = [{"data": {"image": f"{i}.jpg"}, "completions": [{"result": []}]} for i in range(5)]
    assert (await client.post("/api/project/import", json=tasks)).status == 201
    assert (await switch_storage(client, "target", moto.settings(bucket))).status == 201

    async def written() -> bool:
        return len(object_keys(moto, bucket)) == 5

    assert await poll(written)


async def test_a_missing_bucket_is_a_bucket_error_and_switches_nothing(make_client, moto):
    client = await make_client()
    for role in ("source", "target"):
        resp = await switch_storage(client, role, moto.settings("no-such-bucket"))
        assert resp.status == 400
        assert "no-such-bucket" in " ".join((await resp.json())["errors"]["bucket"])
    body = await (await client.get(STORAGE_SETTINGS)).json()
    assert (body["source_storage"], body["target_storage"]) == (None, None)
    assert await (await client.get("/api/jobs?kind=sync")).json() == []


async def test_bad_credentials_are_an_access_key_error_and_switch_nothing(make_client, start_moto):
    strict = start_moto(env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"})  # checks every key
    client = await make_client()
    resp = await switch_storage(client, "target", strict.settings("labels"))
    assert resp.status == 400
    assert (await resp.json())["errors"]["aws_access_key_id"]
    assert (await (await client.get(STORAGE_SETTINGS)).json())["target_storage"] is None


async def test_a_sink_that_goes_down_loses_nothing(make_client, fresh_moto, poll):
    fresh_moto.client().create_bucket(Bucket="labels")
    client = await make_client()
    await client.post("/api/project/import", json=[{"image": f"{i}.jpg"} for i in range(3)])
    settings = fresh_moto.settings("labels", aws_session_token="tok")
    assert (await switch_storage(client, "target", settings)).status == 201
    fresh_moto.stop()
    for task_id in range(3):
        resp = await client.post(f"/api/tasks/{task_id}/completions", json={"result": []})
        assert resp.status == 201

    async def failing() -> bool:
        backlog = (await (await client.get(STORAGE_SETTINGS)).json())["sink_backlog"]
        return backlog["backlog"] == 3 and backlog["failing"] == 3 and bool(backlog["last_error"])

    assert await poll(failing)
    body = await (await client.get(STORAGE_SETTINGS)).json()
    assert body["target_storage"]["aws_secret_access_key"] == "********"
    fresh_moto.start()
    fresh_moto.client().create_bucket(Bucket="labels")

    async def delivered() -> bool:
        return object_keys(fresh_moto, "labels") == ["0.json", "1.json", "2.json"]

    async def drained() -> bool:
        return (await (await client.get(STORAGE_SETTINGS)).json())["sink_backlog"]["backlog"] == 0

    assert await poll(delivered, 20)
    assert await poll(drained)


async def test_a_source_from_config_yaml_syncs_at_start(make_client, moto, bucket, poll):
    put_objects(moto, bucket, ["a.jpg", "b.jpg"])
    client = await make_client(source=moto.settings(bucket))
    await synced_jobs(client, poll)
    assert await task_count(client) == 2
    body = await (await client.get(STORAGE_SETTINGS)).json()
    assert body["source"]["s3"]["current"]
    assert body["source_storage"]["bucket"] == bucket
