"""Core benchmark of lsplug: a real server process driven over HTTP, results as a table.

What it measures (targets from the performance issue):

1. Importing 100,000 plain text tasks in ONE ``POST /api/project/import``: tasks/s from the
   wall time of the POST, and the server's own ``duration`` from the 201 body.
2. Filling the project to N tasks (``--tasks``, default 1,000,000) with POSTs of 100,000.
   The labeled half is imported FIRST as wrapped tasks with one completion each, so task
   ids ``0 .. N/2-1`` are labeled and ``N/2 .. N-1`` are not. The plain-task POSTs of (1)
   are the second half of this fill, i.e. they go into a project already holding N/2 tasks.
3. ``GET /api/tasks?page=1&page_size=30`` and ``page=3000``: median and p95 latency.
4. ``GET /api/project/next`` with N tasks, half labeled: a new client per request
   (``X-Lsplug-Client: bench-<i>``, each takes a new lease) and one same client.
5. ``POST /api/tasks/{id}/completions`` from 8 concurrent clients to distinct unlabeled
   tasks for ~10 s, driven from a SEPARATE process (``wrk`` when installed, else Python:
   ``--load``); acknowledged completions/s, with the CPU use of the server and of the load
   process; then how long the sink took to write the files of the load's completions.
6. Start-up time on the same data dir (kill, start again, time to ``/api/health`` = 200),
   the import time of ``lsplug.web.app`` alone, and idle VmRSS after a ``GET /api/project``.
7. ``GET /api/project/export?format=JSON&only_labeled=0`` of all N tasks, streamed and
   counted: MB/s and the server's peak RSS (VmHWM after the export, measured on the freshly
   restarted server of (6), plus VmRSS sampled every 50 ms).

The server runs with ``output_dir`` set, as the seed's default project and Label Studio
do (``--no-output-dir`` to leave it off): every labeled task is written to
``output/<id>.json`` by the outbox after its completion is acknowledged. After the fill
the benchmark waits until the sink has written the imported labeled tasks (reported).

Also the size of the SQLite files, and environment facts. Run it with ``make bench``
(``.venv/bin/python bench/core.py``); ``--quick`` for a short try (200,000 tasks),
``--tasks N`` to choose the size, ``--json PATH`` to also write the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from load import REGION, run_load, wrk_available

from lsplug.testing import free_port

LABEL_CONFIG = (
    '<View><Labels name="label" toName="text"><Label value="PER"/></Labels>'
    '<Text name="text" value="$text"/></View>'
)
BATCH = 100_000
CLIENTS = 8
LOAD_SECONDS = 10.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
MB = 1024 * 1024
__all__ = ["REGION"]  # bench/export.py and bench/ml.py take it from here


@dataclass
class Row:
    """One line of the result table."""

    metric: str
    measured: float
    unit: str
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        ok = self.measured >= self.target if self.higher_is_better else self.measured < self.target
        return "pass" if ok else "FAIL"

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        sign = "≥" if self.higher_is_better else "<"
        return f"{sign} {_num(self.target)} {self.unit}"


@dataclass
class Results:
    """Everything the run found."""

    env: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)

    def add(self, metric: str, measured: float, unit: str, **kw: Any) -> None:
        row = Row(metric, measured, unit, **kw)
        self.rows.append(row)
        print(f"  {metric}: {_num(measured)} {unit}  [{row.verdict}]", flush=True)

    def table(self) -> str:
        lines = ["| metric | target | measured | pass/fail |", "| --- | --- | --- | --- |"]
        for r in self.rows:
            measured = f"{_num(r.measured)} {r.unit}" + (f" ({r.note})" if r.note else "")
            lines.append(f"| {r.metric} | {r.target_text()} | {measured} | {r.verdict} |")
        return "\n".join(lines)


def _num(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


# --- the server process ---------------------------------------------------------------------


def proc_status(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` memory field (VmRSS, VmHWM) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Server:
    """``python -m lsplug start`` on a temp config; started, waited for, killed."""

    def __init__(self, workdir: Path, output_dir: bool = False) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.config = workdir / "config.yaml"
        self.output = workdir / "output" if output_dir else None
        # JSON is YAML: no quoting worries for the inline XML.
        doc = {"title": "bench", "label_config": LABEL_CONFIG, "data_dir": str(self.data_dir)}
        if self.output is not None:
            doc["output_dir"] = str(self.output)
        self.config.write_text(json.dumps(doc), encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "server.log"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> float:
        """Start the server; seconds until ``/api/health`` answered 200."""
        cmd = [sys.executable, "-m", "lsplug", "start", "-c", str(self.config)]
        cmd += ["--port", str(self.port)]
        with self.log.open("ab") as log:
            started = time.perf_counter()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = started + 120
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server ended with {self.proc.returncode}; see {self.log}")
            if _health(self.port):
                return time.perf_counter() - started
            time.sleep(0.005)
        raise RuntimeError("the server did not answer /api/health within 120 s")

    def stop(self) -> float:
        """SIGTERM and wait (SIGKILL after 30 s); seconds it took to end."""
        if self.proc is None:
            return 0.0
        started = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        return time.perf_counter() - started

    def db_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.data_dir.glob("lsplug.sqlite3*"))

    async def sink_backlog(self) -> int:
        """Tasks whose file the sink has still to write."""
        url = f"{self.url}/api/project/storage-settings"
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            backlog: int = (await resp.json())["sink_backlog"]["backlog"]
            return backlog

    async def drained(self) -> float:
        """Wait until the sink wrote every queued file (30 minutes at most); the seconds."""
        started = time.perf_counter()
        while await self.sink_backlog():
            if time.perf_counter() - started > 1800:
                raise RuntimeError("the sink backlog did not drain")
            await asyncio.sleep(0.02)
        return time.perf_counter() - started


def _health(port: int) -> bool:
    """One blocking try at ``/api/health`` (raw socket: cheap, no client start-up)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


# --- request bodies -------------------------------------------------------------------------


def text(i: int) -> str:
    return f"Task {i}: Ada Lovelace met Charles Babbage in London to discuss engines."


def plain_body(first: int, n: int) -> bytes:
    return orjson.dumps([{"text": text(i)} for i in range(first, first + n)])


def labeled_body(first: int, n: int) -> bytes:
    completion = [{"result": [], "lead_time": 1}]
    return orjson.dumps(
        [{"data": {"text": text(i)}, "completions": completion} for i in range(first, first + n)]
    )


# --- the phases -----------------------------------------------------------------------------


async def post_import(session: aiohttp.ClientSession, url: str, body: bytes) -> tuple[float, Any]:
    headers = {"Content-Type": "application/json"}
    started = time.perf_counter()
    async with session.post(f"{url}/api/project/import", data=body, headers=headers) as resp:
        answer = await resp.json()
        if resp.status != 201:
            raise RuntimeError(f"import answered {resp.status}: {str(answer)[:500]}")
    return time.perf_counter() - started, answer


async def fill(res: Results, server: Server, n_tasks: int) -> None:
    """Labeled half first (ids 0..N/2-1), then the plain half in POSTs of 100,000."""
    labeled = n_tasks // 2
    batches: list[tuple[bool, int, int]] = []
    for first in range(0, labeled, BATCH):
        batches.append((True, first, min(BATCH, labeled - first)))
    for first in range(labeled, n_tasks, BATCH):
        batches.append((False, first, min(BATCH, n_tasks - first)))
    timeout = aiohttp.ClientTimeout(total=600)
    plain: list[tuple[int, float, float]] = []
    lab_tasks = lab_wall = 0.0
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for is_labeled, first, n in batches:
            body = labeled_body(first, n) if is_labeled else plain_body(first, n)
            wall, answer = await post_import(session, server.url, body)
            assert answer["task_count"] == n, answer
            kind = "labeled" if is_labeled else "plain"
            print(
                f"  import {kind} {first:,}..{first + n - 1:,}: {wall:.2f} s "
                f"({n / wall:,.0f} tasks/s; server duration {answer['duration']:.2f} s, "
                f"{len(body) / MB:.1f} MB body)",
                flush=True,
            )
            if is_labeled:
                lab_tasks += n
                lab_wall += wall
            else:
                plain.append((n, wall, float(answer["duration"])))
    full = [p for p in plain if p[0] == BATCH] or plain
    n0, wall0, dur0 = full[0]
    note = f"first POST, into {labeled:,} tasks"
    res.add("import 100k plain tasks, 1 POST: wall", n0 / wall0, "tasks/s",
            target=100_000, higher_is_better=True, note=note)  # fmt: skip
    res.add("import 100k plain tasks, 1 POST: server duration", n0 / dur0, "tasks/s", note=note)
    if len(full) > 1:
        rates = [n / w for n, w, _ in full]
        res.add("import plain, median of all POSTs", statistics.median(rates), "tasks/s",
                target=100_000, higher_is_better=True,
                note=f"{len(full)} POSTs, min {min(rates):,.0f}")  # fmt: skip
    if lab_tasks:
        res.add("import labeled (1 completion each)", lab_tasks / lab_wall, "tasks/s")


async def timed_gets(
    session: aiohttp.ClientSession, url: str, count: int, headers: Callable[[int], dict[str, str]]
) -> list[float]:
    """Latencies (ms) of ``count`` sequential GETs, body read; every answer must be 200."""
    out: list[float] = []
    for i in range(count):
        started = time.perf_counter()
        async with session.get(url, headers=headers(i)) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"GET {url} answered {resp.status}")
        out.append((time.perf_counter() - started) * 1000)
    return out


async def reads(res: Results, server: Server) -> None:
    none: Callable[[int], dict[str, str]] = lambda i: {}  # noqa: E731
    async with aiohttp.ClientSession() as session:
        for page in (1, 3000):
            url = f"{server.url}/api/tasks?page={page}&page_size=30"
            await timed_gets(session, url, 10, none)  # warm-up
            ms = await timed_gets(session, url, 200, none)
            res.add(f"GET /api/tasks page={page} page_size=30: median", statistics.median(ms),
                    "ms", target=10, note=f"p95 {percentile(ms, 95):.2f} ms")  # fmt: skip
        url = f"{server.url}/api/project/next"
        ms = await timed_gets(session, url, 500, lambda i: {"X-Lsplug-Client": f"bench-{i}"})
        res.add("GET /api/project/next, new client each: median", statistics.median(ms), "ms",
                target=5, note=f"p95 {percentile(ms, 95):.2f} ms")  # fmt: skip
        ms = await timed_gets(session, url, 500, lambda i: {"X-Lsplug-Client": "bench-same"})
        res.add("GET /api/project/next, same client: median", statistics.median(ms), "ms",
                target=5, note=f"p95 {percentile(ms, 95):.2f} ms")  # fmt: skip


async def completions(res: Results, server: Server, n_tasks: int, load: str) -> None:
    # Unlabeled ids are N/2..N-1; /next leased the first ~1,000 of them: start after those.
    first, last = n_tasks // 2 + 2000, n_tasks - 1
    cpu0, t0 = proc_cpu_seconds(server.pid), time.perf_counter()
    result = await asyncio.to_thread(run_load, load, server.url, first, last, LOAD_SECONDS, CLIENTS)
    cpu1, t1 = proc_cpu_seconds(server.pid), time.perf_counter()
    lag = await server.drained() if server.output is not None else 0.0
    cpu2 = proc_cpu_seconds(server.pid)
    if result["errors"]:
        print(f"  completion errors: {result['errors']}", flush=True)
    res.add(f"POST completions, {CLIENTS} clients (separate process, {load})",
            result["acked"] / result["wall"], "acked/s", target=3000, higher_is_better=True,
            note=f"{result['acked']:,} in {result['wall']:.1f} s; median "
                 f"{result['median_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms"
                 + ("; output_dir on" if server.output is not None else ""))  # fmt: skip
    res.add("server CPU during completion load", (cpu1 - cpu0) / (t1 - t0) * 100, "% of a core")
    res.add("load process CPU (client side)", result["cpu"] / (t1 - t0) * 100, "% of a core",
            note=f"{load}; includes its start-up")  # fmt: skip
    res.add("server CPU per acknowledged completion", (cpu2 - cpu0) / result["acked"] * 1e6,
            "µs", note="until the sink wrote the files, if output_dir")  # fmt: skip
    if server.output is not None:
        res.add("sink: files written after the load ended", lag, "s",
                note="time until the outbox backlog was empty")  # fmt: skip


async def restart(res: Results, server: Server) -> None:
    res.add("server VmHWM after import/labeling phases", proc_status(server.pid, "VmHWM") / MB,
            "MB", note="lifetime peak, incl. 100k-task import bodies")  # fmt: skip
    stopped = server.stop()
    res.add("shutdown time (SIGTERM to exit)", stopped, "s")
    started = server.start()
    res.add("start-up with N tasks to /api/health 200", started, "s", target=1)
    cmd = [sys.executable, "-c", "import lsplug.web.app"]
    t0 = time.perf_counter()
    await asyncio.to_thread(subprocess.run, cmd, check=True)
    res.add("python -c 'import lsplug.web.app' alone", time.perf_counter() - t0, "s")
    async with aiohttp.ClientSession() as session, session.get(f"{server.url}/api/project") as r:
        info = await r.json()
        assert r.status == 200, info
    await asyncio.sleep(0.5)
    res.add("idle VmRSS after start-up + GET /api/project",
            proc_status(server.pid, "VmRSS") / MB, "MB", target=150,
            note=f"task_count {info['task_count']:,}")  # fmt: skip


async def export(res: Results, server: Server, n_tasks: int) -> None:
    samples: list[int] = []
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            samples.append(proc_status(server.pid, "VmRSS"))
            await asyncio.sleep(0.05)

    hwm_before = proc_status(server.pid, "VmHWM")
    sampler = asyncio.create_task(sample())
    url = f"{server.url}/api/project/export?format=JSON&only_labeled=0"
    size = 0
    timeout = aiohttp.ClientTimeout(total=1800)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        async with session.get(url) as resp:
            if resp.status != 200:
                raise RuntimeError(f"export answered {resp.status}: {await resp.text()}")
            async for chunk in resp.content.iter_chunked(1 << 20):
                size += len(chunk)  # and dropped: the stream goes nowhere
        wall = time.perf_counter() - started
    done.set()
    await sampler
    hwm = proc_status(server.pid, "VmHWM")
    res.add(
        f"export JSON of {n_tasks:,} tasks: throughput",
        size / MB / wall,
        "MB/s",
        note=f"{size / MB:,.0f} MB in {wall:.1f} s, {n_tasks / wall:,.0f} tasks/s",
    )
    res.add("export: server peak RSS (VmHWM after)", hwm / MB, "MB", target=300,
            note=f"VmHWM before export {hwm_before / MB:.0f} MB")  # fmt: skip
    res.add("export: max sampled VmRSS (every 50 ms)", max(samples) / MB, "MB",
            note=f"{len(samples)} samples")  # fmt: skip


def environment(n_tasks: int) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "aiohttp": aiohttp.__version__,
        "platform": platform.platform(),
        "tasks": n_tasks,
    }


async def run(n_tasks: int, workdir: Path, output_dir: bool, load: str) -> Results:
    res = Results(env={**environment(n_tasks), "output_dir": output_dir, "load": load})
    print("environment: " + ", ".join(f"{k} {v}" for k, v in res.env.items()), flush=True)
    server = Server(workdir, output_dir)
    try:
        first_start = server.start()
        print(f"server up in {first_start:.2f} s (empty data dir), pid {server.pid}", flush=True)
        t0 = time.perf_counter()
        await fill(res, server, n_tasks)
        res.add(f"fill to {n_tasks:,} tasks (half labeled)", time.perf_counter() - t0, "s")
        if output_dir:
            waited = await server.drained()
            rate = n_tasks // 2 / (time.perf_counter() - t0)
            res.add("sink: files of the imported labeled tasks, fill included", rate, "files/s",
                    note=f"{waited:.1f} s after the fill until the backlog was empty")  # fmt: skip
        await reads(res, server)
        await completions(res, server, n_tasks, load)
        await restart(res, server)
        await export(res, server, n_tasks)
        res.add("database size (sqlite3 + wal)", server.db_bytes() / MB, "MB")
    finally:
        server.stop()
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=1_000_000, help="project size (1,000,000)")
    parser.add_argument("--quick", action="store_true", help="200,000 tasks, to try it out")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (data, log)")
    parser.add_argument("--no-output-dir", action="store_true",
                        help="serve without output_dir (no sink files)")  # fmt: skip
    parser.add_argument("--load", choices=["wrk", "python"],
                        default="wrk" if wrk_available() else "python",
                        help="completion load generator (wrk when installed)")  # fmt: skip
    args = parser.parse_args(argv)
    n_tasks = 200_000 if args.quick else args.tasks
    if n_tasks < 10_000:
        parser.error("--tasks: at least 10,000")
    workdir = Path(tempfile.mkdtemp(prefix="lsplug-bench-"))
    started = time.perf_counter()
    try:
        res = asyncio.run(run(n_tasks, workdir, not args.no_output_dir, args.load))
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            subprocess.run(["rm", "-rf", str(workdir)], check=False)
    total = time.perf_counter() - started
    print()
    print(f"lsplug core benchmark, {n_tasks:,} tasks, {total:.0f} s; " +
          ", ".join(f"{k} {v}" for k, v in res.env.items()))  # fmt: skip
    print()
    print(res.table())
    if args.json:
        doc = {"env": res.env, "total_seconds": total,
               "rows": [{**asdict(r), "verdict": r.verdict} for r in res.rows]}  # fmt: skip
        args.json.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return 0 if all(r.verdict != "FAIL" for r in res.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
