"""Export benchmark of lsplug: JSON of a million tasks, COCO and YOLO of 100,000 images.

1. A text project of N tasks (``--tasks``, default 1,000,000), one in five labeled (ids
   ``0, 5, 10...`` carry one completion each), imported in POSTs of 100,000.
   ``GET /api/project/export?format=JSON&only_labeled=0`` downloaded by curl to /dev/null:
   MB/s (MiB: 2^20 bytes), and
   the server's peak RSS (VmHWM after the export, on a server restarted after the import so
   the import's peak does not hide it). Targets: over 100 MB/s, under 300 MB.
2. An image project of M labeled tasks (``--images``, default 100,000):
   ``{"image": "/data/upload/<i>.jpg"}`` with one ``rectanglelabels`` completion carrying
   ``original_width``/``original_height``. ``GET /api/project/export?format=COCO`` and
   ``format=YOLO``, each on a freshly restarted server: seconds (target under 30 s), peak RSS.

Run: ``.venv/bin/python bench/export.py`` (``--quick``: 200,000 tasks, 20,000 images).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from core import MB, REGION, Results, Server, proc_status

BATCH = 100_000
IMAGE_CONFIG = (
    '<View><Image name="image" value="$image"/>'
    '<RectangleLabels name="box" toName="image">'
    '<Label value="cat"/><Label value="dog"/></RectangleLabels></View>'
)


def text_item(i: int) -> dict[str, Any]:
    """Task ``i`` of the text project: one in five is labeled (a wrapped task)."""
    data = {"text": f"Task {i}: Ada Lovelace met Charles Babbage in London to discuss engines."}
    if i % 5:
        return data
    return {"data": data, "completions": [{"result": [REGION], "lead_time": 1.5}]}


def image_item(i: int) -> dict[str, Any]:
    """Task ``i`` of the image project: one box on a 640x480 image."""
    box = {
        "id": f"b{i}",
        "from_name": "box",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 640,
        "original_height": 480,
        "value": {"x": 10.0, "y": 20.0, "width": 30.5, "height": 40.25, "rotation": 0,
                  "rectanglelabels": ["cat" if i % 2 else "dog"]},
    }  # fmt: skip
    return {"data": {"image": f"/data/upload/{i}.jpg"}, "completions": [{"result": [box]}]}


def make_server(workdir: Path, label_config: str | None) -> Server:
    """A benchmark server in its own folder, with ``label_config`` if given."""
    workdir.mkdir()
    server = Server(workdir)
    if label_config is not None:
        doc = json.loads(server.config.read_text())
        doc["label_config"] = label_config
        server.config.write_text(json.dumps(doc))
    return server


async def fill(server: Server, n: int, item: Callable[[int], dict[str, Any]]) -> None:
    """Import ``n`` tasks made by ``item`` in POSTs of 100,000."""
    timeout = aiohttp.ClientTimeout(total=600)
    headers = {"Content-Type": "application/json"}
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for first in range(0, n, BATCH):
            body = orjson.dumps([item(i) for i in range(first, min(n, first + BATCH))])
            async with session.post(f"{server.url}/api/project/import", data=body,
                                    headers=headers) as resp:  # fmt: skip
                assert resp.status == 201, await resp.text()
    print(f"  imported {n:,} tasks in {time.perf_counter() - started:.1f} s", flush=True)


async def download(server: Server, query: str) -> tuple[int, float, int]:
    """Stream one export to nowhere: its bytes, its seconds, the server's VmHWM after it.

    curl downloads it, as a user would (the README's ``curl -OJ``): a Python client costs
    as much CPU per byte as the server, and on 2 cores it measures itself. Without curl,
    aiohttp reads the chunks as they come.
    """
    url = f"{server.url}/api/project/export?{query}"
    if shutil.which("curl"):
        size, wall = await asyncio.to_thread(_curl, url)
    else:
        size, wall = await _aiohttp_download(url)
    return size, wall, proc_status(server.pid, "VmHWM")


def _curl(url: str) -> tuple[int, float]:
    command = ["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download} %{time_total}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"export failed: {done.stderr.strip()}")
    size, wall = done.stdout.split()
    return int(size), float(wall)


async def _aiohttp_download(url: str) -> tuple[int, float]:
    size = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1800)) as session:
        started = time.perf_counter()
        async with session.get(url) as resp:
            if resp.status != 200:
                raise RuntimeError(f"export answered {resp.status}: {await resp.text()}")
            async for chunk in resp.content.iter_any():
                size += len(chunk)
        return size, time.perf_counter() - started


async def fresh_download(server: Server, query: str) -> tuple[int, float, int]:
    """:func:`download` on a restarted server, so VmHWM is the export's own peak."""
    server.stop()
    server.start()
    return await download(server, query)


async def json_export(res: Results, workdir: Path, n: int) -> None:
    server = make_server(workdir / "text", None)
    server.start()
    try:
        await fill(server, n, text_item)
        size, wall, hwm = await fresh_download(server, "format=JSON&only_labeled=0")
        res.add(f"export JSON of {n:,} tasks ({n // 5:,} labeled): throughput",
                size / MB / wall, "MB/s", target=100, higher_is_better=True,
                note=f"{size / MB:,.0f} MB in {wall:.1f} s")  # fmt: skip
        res.add("export JSON: server peak RSS (VmHWM)", hwm / MB, "MB", target=300)
    finally:
        server.stop()


async def image_exports(res: Results, workdir: Path, m: int) -> None:
    server = make_server(workdir / "images", IMAGE_CONFIG)
    server.start()
    try:
        await fill(server, m, image_item)
        for name in ("COCO", "YOLO"):
            size, wall, hwm = await fresh_download(server, f"format={name}")
            res.add(f"export {name} of {m:,} labeled images: time", wall, "s", target=30,
                    note=f"{size / MB:,.1f} MB zip")  # fmt: skip
            res.add(f"export {name}: server peak RSS (VmHWM)", hwm / MB, "MB", target=300)
    finally:
        server.stop()


async def run(n: int, m: int, workdir: Path) -> Results:
    res = Results()
    await json_export(res, workdir, n)
    await image_exports(res, workdir, m)
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=1_000_000, help="tasks of the JSON export")
    parser.add_argument("--images", type=int, default=100_000, help="images of COCO and YOLO")
    parser.add_argument("--quick", action="store_true", help="200,000 tasks, 20,000 images")
    args = parser.parse_args()
    n, m = (200_000, 20_000) if args.quick else (args.tasks, args.images)
    with tempfile.TemporaryDirectory(prefix="lsplug-bench-export-") as tmp:
        res = asyncio.run(run(n, m, Path(tmp)))
    print(f"\nlsplug export benchmark ({n:,} tasks, {m:,} images)\n")
    print(res.table())
    return 0 if all(r.verdict != "FAIL" for r in res.rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
