"""Model-server benchmark of lsplug: predictions in batches, and active-learning sampling.

1. ``POST /api/models/predictions?mode=all_tasks`` for N tasks (``--tasks``, default
   100,000) through a model server that answers at once (an aiohttp app in its own
   process): tasks/s until the job is done. Target: over 2,000 tasks/s.
2. ``GET /api/project/next`` with ``prediction-score-min`` sampling over M tasks
   (``--sampled``, default 1,000,000) that all carry a scored prediction, half of them
   labeled: median latency over 500 requests, each from a new client. Target: < 10 ms.

Run: ``.venv/bin/python bench/ml.py`` (``--quick`` for 20,000 and 100,000 tasks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from core import LABEL_CONFIG, REGION, Results, Server, free_port, percentile

BATCH = 100_000


def model_server(port: int) -> None:
    """A model server that predicts every task at once (run in its own process)."""

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "UP"})

    async def setup(request: web.Request) -> web.Response:
        return web.json_response({"model_version": "instant-1"})

    async def predict(request: web.Request) -> web.Response:
        tasks = orjson.loads(await request.read())["tasks"]
        results = [{"result": [REGION], "score": (t["id"] % 997) / 997} for t in tasks]
        return web.Response(
            body=orjson.dumps({"results": results}), content_type="application/json"
        )

    app = web.Application(client_max_size=1 << 30)
    app.router.add_get("/health", health)
    app.router.add_post("/setup", setup)
    app.router.add_post("/predict", predict)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def configure(server: Server, extra: dict[str, Any]) -> None:
    """Add settings to the benchmark server's config file."""
    doc = json.loads(server.config.read_text())
    doc.update(extra)
    server.config.write_text(json.dumps(doc))


async def import_tasks(session: aiohttp.ClientSession, url: str, n: int, scored: bool) -> None:
    """Import ``n`` tasks (with a scored prediction each, half of them labeled, if ``scored``)."""
    for first in range(0, n, BATCH):
        items: list[Any] = []
        for i in range(first, min(n, first + BATCH)):
            data = {"text": f"Task {i}: Ada Lovelace met Charles Babbage."}
            if not scored:
                items.append(data)
                continue
            item: dict[str, Any] = {
                "data": data,
                "predictions": [{"result": [REGION], "score": (i * 7919 % 100_003) / 100_003}],
            }
            if i % 2 == 0:
                item["completions"] = [{"result": [REGION]}]
            items.append(item)
        async with session.post(url + "/api/project/import", data=orjson.dumps(items),
                                headers={"Content-Type": "application/json"}) as resp:  # fmt: skip
            assert resp.status == 201, await resp.text()


async def predict_all(res: Results, n: int, workdir: Path) -> None:
    port = free_port()
    proc = multiprocessing.get_context("spawn").Process(target=model_server, args=(port,))
    proc.start()
    (workdir / "predict").mkdir()
    server = Server(workdir / "predict")
    configure(server, {"ml_backends": [f"instant=http://127.0.0.1:{port}"],
                       "ml": {"batch_size": 500, "concurrency": 4}})  # fmt: skip
    try:
        await asyncio.sleep(1.0)
        server.start()
        async with aiohttp.ClientSession() as session:
            await import_tasks(session, server.url, n, scored=False)
            started = time.perf_counter()
            async with session.post(server.url + "/api/models/predictions?mode=all_tasks") as resp:
                job_id = (await resp.json())["job"]["id"]
            while True:
                async with session.get(f"{server.url}/api/jobs/{job_id}") as resp:
                    job = await resp.json()
                if job["status"] != "running":
                    break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            async with session.get(server.url + "/api/project") as resp:
                count = (await resp.json())["prediction_count"]
        assert job["status"] == "done" and count == n, (job, count)
        res.add(f"predict all {n:,} tasks (batches of 500, 4 at once)", n / elapsed, "tasks/s",
                target=2000, higher_is_better=True, note=f"{elapsed:.1f} s")  # fmt: skip
    finally:
        server.stop()
        proc.terminate()
        proc.join()


async def score_sampling(res: Results, m: int, workdir: Path) -> None:
    (workdir / "sampling").mkdir()
    server = Server(workdir / "sampling")
    configure(server, {"sampling": "prediction-score-min"})
    server.start()
    try:
        async with aiohttp.ClientSession() as session:
            t0 = time.perf_counter()
            await import_tasks(session, server.url, m, scored=True)
            print(f"  imported {m:,} scored tasks in {time.perf_counter() - t0:.0f} s", flush=True)
            times = []
            for i in range(500):
                started = time.perf_counter()
                async with session.get(server.url + "/api/project/next",
                                       headers={"X-Lsplug-Client": f"c{i}"}) as resp:  # fmt: skip
                    assert resp.status == 200, await resp.text()
                    await resp.read()
                times.append((time.perf_counter() - started) * 1000)
        res.add(f"GET /api/project/next, prediction-score-min, {m:,} tasks: median",
                statistics.median(times), "ms", target=10,
                note=f"p95 {percentile(times, 95):.2f} ms")  # fmt: skip
    finally:
        server.stop()


async def run(n: int, m: int) -> Results:
    res = Results()
    with tempfile.TemporaryDirectory(prefix="lsplug-bench-ml-") as tmp:
        await predict_all(res, n, Path(tmp))
        await score_sampling(res, m, Path(tmp))
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks to predict")
    parser.add_argument("--sampled", type=int, default=1_000_000, help="tasks for sampling")
    parser.add_argument("--quick", action="store_true", help="20,000 and 100,000 tasks")
    args = parser.parse_args()
    n, m = (20_000, 100_000) if args.quick else (args.tasks, args.sampled)
    res = asyncio.run(run(n, m))
    print(f"\nlsplug ML benchmark ({LABEL_CONFIG[:0]}predict {n:,}, sample {m:,})\n")
    print(res.table())
    return 0 if all(r.verdict != "FAIL" for r in res.rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
