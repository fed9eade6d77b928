"""Cloud storage benchmark of lsplug: an S3 sync and the S3 sink against a real moto server.

What it measures (targets from the cloud storage issue):

1. Raw listing: the objects of the bucket listed with aiobotocore alone, page by page, then
   its ten folders listed in parallel (as the ``s3`` source lists). This is moto's own
   ceiling, not ours: moto scans and sorts the whole bucket for every 1,000-key page and
   serializes each key in Python.
2. Sync: ``POST /api/project/storage-settings?storage_for=source`` of an ``s3`` source in
   media-object mode over N objects (``--objects``, default 100,000), until its job is
   done: tasks/s over the whole job (listing included, so never above the rate of 1),
   and the job's own split (logged by :mod:`lsplug.service.sync`): seconds listing, then
   reading, converting and writing; "lsplug alone" is the objects per second of the
   last three, what lsplug does once the listing is in.
3. Sink: M tasks (``--completions``, default 3,000) with one completion each, then a
   switch of the target to an ``s3`` bucket: completions/s delivered until the backlog
   is 0 (every one a PUT of its document to moto); next to it, a raw aiobotocore PUT
   loop of the same documents at the outbox's concurrency: moto's PUT ceiling.

The moto server runs in its own process, its bucket seeded inside moto (putting 100,000
objects over HTTP takes moto minutes); lsplug runs in this process behind a real socket.
``--quick`` uses 10,000 objects.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from aiohttp.test_utils import TestClient, TestServer

from lsplug import config as lsconfig
from lsplug.service import outbox
from lsplug.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
SEEDER = ROOT / "plugins/storage_s3/tests/s3_seeded_server.py"
KEYS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
CONFIG = '<View><Image name="image" value="$image"/></View>'


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto(objects: int) -> tuple[subprocess.Popen[str], str]:
    """A moto server whose bucket ``bench`` holds ``objects`` media objects."""
    port = free_port()
    command = [sys.executable, str(SEEDER), str(port), "bench", str(objects)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc, f"http://127.0.0.1:{port}"


def s3_client(url: str, pool: int = 10) -> Any:
    """An aiobotocore client of the moto server (an async context manager)."""
    config = AioConfig(max_pool_connections=pool)
    return get_session().create_client(
        "s3", endpoint_url=url, region_name="us-east-1", config=config, **KEYS
    )


async def count_keys(s3: Any, prefix: str) -> int:
    """How many objects are under ``prefix``, listed page by page."""
    count = 0
    async for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix=prefix):
        count += len(page.get("Contents", ()))
    return count


async def raw_listing(url: str, parallel: bool) -> tuple[int, float]:
    """How many objects aiobotocore lists under ``images/`` and how long it takes.

    ``parallel``: the first level by delimiter, then each folder at once.
    """
    started = time.perf_counter()
    async with s3_client(url, 16) as s3:
        if not parallel:
            return await count_keys(s3, "images/"), time.perf_counter() - started
        top = await s3.list_objects_v2(Bucket="bench", Prefix="images/", Delimiter="/")
        folders = [p["Prefix"] for p in top.get("CommonPrefixes", ())]
        counts = await asyncio.gather(*(count_keys(s3, f) for f in folders))
        count = len(top.get("Contents", ())) + sum(counts)
    return count, time.perf_counter() - started


async def raw_puts(url: str, documents: list[bytes]) -> float:
    """PUTs/s of aiobotocore alone writing ``documents`` at the outbox's concurrency."""
    gate = asyncio.Semaphore(outbox.CONCURRENCY)
    async with s3_client(url, 32) as s3:
        await s3.create_bucket(Bucket="raw")

        async def put(index: int, body: bytes) -> None:
            async with gate:
                await s3.put_object(
                    Bucket="raw", Key=f"{index}.json", Body=body, ContentType="application/json"
                )

        started = time.perf_counter()
        await asyncio.gather(*(put(i, d) for i, d in enumerate(documents)))
        return len(documents) / (time.perf_counter() - started)


class SyncTimings(logging.Handler):
    """Keeps the step timings the sync job logs when it ends."""

    def __init__(self) -> None:
        super().__init__()
        self.timings: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.timings = dict(getattr(record, "sync_timings", None) or self.timings)


async def wait_jobs(client: TestClient[Any, Any]) -> dict[str, Any]:
    """Wait for the sync job; the job."""
    while True:
        jobs = await (await client.get("/api/jobs?kind=sync")).json()
        if jobs and jobs[0]["status"] != "running":
            return dict(jobs[0])
        await asyncio.sleep(0.05)


async def measure_sync(client: TestClient[Any, Any], url: str) -> tuple[int, float]:
    """Switch the source to the bucket; (tasks, seconds) until the sync job is done."""
    settings = {
        "type": "s3", "bucket": "bench", "prefix": "images", "regex_filter": r"\.jpg$",
        "endpoint_url": url, **KEYS,
    }  # fmt: skip
    started = time.perf_counter()
    resp = await client.post("/api/project/storage-settings?storage_for=source", json=settings)
    assert resp.status == 201, await resp.text()
    job = await wait_jobs(client)
    elapsed = time.perf_counter() - started
    assert job["status"] == "done", job
    count = (await (await client.get("/api/project")).json())["task_count"]
    return int(count), elapsed


async def measure_sink(client: TestClient[Any, Any], url: str, n: int) -> tuple[float, list[bytes]]:
    """Completions/s the S3 sink delivers when a switch queues ``n`` labeled tasks, and
    ``n`` documents like those it wrote."""
    boto3.client("s3", endpoint_url=url, region_name="us-east-1", **KEYS).create_bucket(
        Bucket="sink"
    )
    tasks = [{"data": {"image": f"{i}.jpg"}, "completions": [{"result": []}]} for i in range(n)]
    assert (await client.post("/api/project/import", json=tasks)).status == 201
    settings = {"type": "s3", "bucket": "sink", "endpoint_url": url, **KEYS}
    started = time.perf_counter()
    resp = await client.post("/api/project/storage-settings?storage_for=target", json=settings)
    assert resp.status == 201, await resp.text()
    while True:
        body = await (await client.get("/api/project/storage-settings")).json()
        if body["sink_backlog"]["backlog"] == 0:
            rate = n / (time.perf_counter() - started)
            break
        await asyncio.sleep(0.05)
    async with s3_client(url) as s3:  # the documents the sink wrote, for the raw PUT loop
        listed = await s3.list_objects_v2(Bucket="sink", MaxKeys=200)
        documents = []
        for entry in listed["Contents"]:
            answer = await s3.get_object(Bucket="sink", Key=entry["Key"])
            documents.append(await answer["Body"].read())
    return rate, [documents[i % len(documents)] for i in range(n)]


async def run(objects: int, completions: int) -> list[tuple[str, str, str]]:
    """Every measurement, as table rows."""
    proc, url = start_moto(objects)
    rows: list[tuple[str, str, str]] = []
    try:
        for parallel, how in ((False, "page by page"), (True, "10 folders in parallel")):
            listed, listing = await raw_listing(url, parallel)
            rows.append(
                (
                    f"raw listing by aiobotocore, {how} (moto's ceiling)",
                    "",
                    f"{listed / listing:,.0f} objects/s",
                )
            )
        timings = SyncTimings()
        sync_log = logging.getLogger("lsplug.service.sync")
        sync_log.addHandler(timings)
        sync_log.setLevel(logging.INFO)
        with tempfile.TemporaryDirectory() as tmp:
            raw = {"label_config": CONFIG, "data_dir": str(Path(tmp) / "sync"),
                   "allowed_hosts": ["127.0.0.1"]}  # fmt: skip
            config = lsconfig.from_dict(raw)
            config.config_dir = Path(tmp)
            async with TestClient(TestServer(create_app(config))) as client:
                count, took = await measure_sync(client, url)
            assert count == objects, (count, objects)
            rows.append(
                (
                    f"sync {objects:,} media objects (whole job)",
                    "> 5,000 tasks/s",
                    f"{count / took:,.0f} tasks/s ({took:.1f} s)",
                )
            )
            t = timings.timings
            rows.append(
                (
                    "  of which: listing (moto) / read / convert / write",
                    "",
                    " / ".join(
                        f"{t.get(k, 0):.1f} s" for k in ("list", "read", "convert", "write")
                    ),
                )
            )
            own = sum(t.get(k, 0) for k in ("read", "convert", "write"))
            rows.append(
                (
                    "  lsplug alone (read + convert + write, listing excluded)",
                    "",
                    f"{count / own:,.0f} tasks/s" if own else "-",
                )
            )
            raw = {"label_config": CONFIG, "data_dir": str(Path(tmp) / "sink"),
                   "allowed_hosts": ["127.0.0.1"]}  # fmt: skip
            config = lsconfig.from_dict(raw)
            config.config_dir = Path(tmp)
            async with TestClient(TestServer(create_app(config))) as client:
                rate, documents = await measure_sink(client, url, completions)
            rows.append(
                (f"S3 sink, {completions:,} completions", "≥ 500/s", f"{rate:,.0f} completions/s")
            )
            put_rate = await raw_puts(url, documents)
            rows.append(
                (
                    f"raw aiobotocore PUTs, {outbox.CONCURRENCY} at once (moto's ceiling)",
                    "",
                    f"{put_rate:,.0f} PUTs/s",
                )
            )
        return rows
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    """Parse the options, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--completions", type=int, default=3_000)
    parser.add_argument("--quick", action="store_true", help="10,000 objects, 1,000 completions")
    args = parser.parse_args()
    objects, completions = (10_000, 1_000) if args.quick else (args.objects, args.completions)
    rows = asyncio.run(run(objects, completions))
    width = max(len(r[0]) for r in rows)
    print(f"\nlsplug storage benchmark (moto server, {objects:,} objects)\n")
    print(f"| {'what':<{width}} | target | measured |")
    print(f"| {'-' * width} | --- | --- |")
    for what, target, measured in rows:
        print(f"| {what:<{width}} | {target} | {measured} |")


if __name__ == "__main__":
    main()
