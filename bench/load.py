"""The completion load of the benchmarks: N clients posting completions, from another process.

Two generators, the same load: ``clients`` keep-alive connections, each with one request in
flight at a time (a client waits for its answer before it sends the next), each request a
``POST /api/tasks/{id}/completions`` to the next task id of ``first..last`` (wrapping round).

- ``wrk`` (Debian's ``wrk`` package) with a Lua script: a C client that costs the machine a
  fraction of what a Python client does, so on 2 cores the server is not starved by its
  own load. ``-t 1 -c N``: one thread, N connections, one request in flight on each.
- ``python``: the same in aiohttp in a spawned process (what ``bench/core.py`` used first);
  it needs about as much CPU as the server does.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import orjson

REGION = {
    "id": "r1",
    "from_name": "label",
    "to_name": "text",
    "type": "labels",
    "value": {"start": 0, "end": 4, "text": "Task", "labels": ["PER"]},
}
BODY = orjson.dumps({"result": [REGION], "lead_time": 1.5})

WRK_SCRIPT = """
local first, last = %(first)d, %(last)d
local span = last - first + 1
local n = 0
local body = %(body)s
local headers = {["Content-Type"] = "application/json"}
request = function()
  local id = first + (n %% span)
  n = n + 1
  return wrk.format("POST", "/api/tasks/" .. id .. "/completions", headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format(
    'WRK-RESULT {"requests": %%d, "micros": %%d, "connect": %%d, "read": %%d, "write": %%d, '
    .. '"status": %%d, "timeout": %%d, "p50": %%d, "p95": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wrk_available() -> bool:
    """Whether Debian's ``wrk`` is installed (``apt-get install wrk``)."""
    return shutil.which("wrk") is not None


def lua_string(data: bytes) -> str:
    """A Lua string literal holding ``data`` (JSON text: ASCII, quotes escaped)."""
    return '"' + data.decode().replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(url: str, first: int, last: int, seconds: float, clients: int) -> dict[str, Any]:
    """Drive the load with wrk; acknowledged (201) answers, wall time, latencies, CPU."""
    script = WRK_SCRIPT % {"first": first, "last": last, "body": lua_string(BODY)}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds:.0f}s", "-s", f.name, url]
    cmd += ["--timeout", "10s"]
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(f.name).unlink()
    line = next(x for x in out.splitlines() if x.startswith("WRK-RESULT "))
    found = json.loads(line.split(" ", 1)[1])
    failed = sum(found[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "acked": found["requests"] - failed,
        "wall": found["micros"] / 1e6,
        "elapsed": wall,
        "median_ms": found["p50"] / 1000,
        "p95_ms": found["p95"] / 1000,
        "errors": [f"{failed} failed requests"] if failed else [],
        "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    }


def python_worker(
    url: str, first: int, last: int, seconds: float, clients: int, out: Connection
) -> None:
    """The aiohttp load (runs in its own process)."""
    result = asyncio.run(_python_load(url, first, last, seconds, clients))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = usage.ru_utime + usage.ru_stime
    out.send(result)
    out.close()


async def _python_load(
    url: str, first: int, last: int, seconds: float, clients: int
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    errors: list[str] = []
    span = last - first + 1
    counter = iter(range(1 << 62))

    async def client(session: aiohttp.ClientSession, until: float) -> None:
        while time.perf_counter() < until:
            task_id = first + next(counter) % span
            started = time.perf_counter()
            path = f"{url}/api/tasks/{task_id}/completions"
            async with session.post(path, data=BODY, headers=headers) as resp:
                await resp.read()
                if resp.status == 201:
                    latencies.append((time.perf_counter() - started) * 1000)
                elif len(errors) < 5:
                    errors.append(f"{resp.status} for task {task_id}")

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session, started + seconds) for _ in range(clients)))
        wall = time.perf_counter() - started
    lat = sorted(latencies) or [0.0]
    return {
        "acked": len(latencies),
        "wall": wall,
        "median_ms": statistics.median(lat),
        "p95_ms": lat[int(0.95 * (len(lat) - 1))],
        "errors": errors,
    }


def run_python(url: str, first: int, last: int, seconds: float, clients: int) -> dict[str, Any]:
    """Drive the load from a spawned Python process; as :func:`run_wrk` answers."""
    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=python_worker, args=(url, first, last, seconds, clients, send))
    started = time.perf_counter()
    proc.start()
    result: dict[str, Any] = recv.recv()
    proc.join()
    result["elapsed"] = time.perf_counter() - started
    return result


def run_load(
    kind: str, url: str, first: int, last: int, seconds: float, clients: int
) -> dict[str, Any]:
    """The load by ``kind`` (``wrk`` or ``python``)."""
    runner = run_wrk if kind == "wrk" else run_python
    return runner(url, first, last, seconds, clients)
