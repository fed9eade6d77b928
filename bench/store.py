"""Store benchmark, SQLite or PostgreSQL: a big project, then 1, 2 and 4 server processes.

1. import rate: N flat tasks (``--tasks``, default 1,000,000) in chunks of 100,000 through
   ``import_flat`` (the path of a plain-task POST);
2. page latency: ``page_task_ids`` + ``get_tasks`` of 30 tasks at page 1, 3,000 and the middle;
3. next-task latency: ``next_task`` for a new owner each time (a new lease each);
4. export rate: ``iter_tasks`` over every task (what the JSON export streams);
5. peak memory of this process (the store side of 1-4);
6. completion throughput: K ``lsplug start`` processes (``--procs 1,2,4``) on the same store,
   annotators (``--clients``, spread over 2 load processes) doing ``GET /api/project/next`` and
   ``POST /api/tasks/{id}/completions`` for ``--seconds``; acknowledged completions/s.

    .venv/bin/python bench/store.py --store sqlite
    .venv/bin/python bench/store.py --store postgres            # a server in a temp folder
    .venv/bin/python bench/store.py --store postgresql://u@host/db --tasks 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pgserver import PgServer  # noqa: E402
from procs import Server  # noqa: E402

from lsplug.service.project import project_uuid  # noqa: E402
from lsplug.store import Store  # noqa: E402
from lsplug.store.postgres import PostgresStore  # noqa: E402
from lsplug.store.sqlite import SQLiteStore  # noqa: E402

XML = (
    '<View><Text name="text" value="$text"/>'
    '<Choices name="label" toName="text"><Choice value="A"/><Choice value="B"/></Choices></View>'
)
RESULT = [{"from_name": "label", "to_name": "text", "type": "choices",
           "value": {"choices": ["A"]}}]  # fmt: skip
CHUNK = 100_000
rows: list[tuple[str, str]] = []


def report(metric: str, value: str) -> None:
    rows.append((metric, value))
    print(f"{metric}: {value}", flush=True)


async def store_side(store: Store, n_tasks: int) -> None:
    """Import, page, next, export on the store itself."""
    await store.open()
    pid = (await store.ensure_project(project_uuid("default"), "bench", XML)).id
    started = time.perf_counter()
    for first in range(0, n_tasks, CHUNK):
        count = min(CHUNK, n_tasks - first)
        array = orjson.dumps([{"text": f"task {i} " + "lorem ipsum " * 8} for i in range(count)])
        await store.import_flat(pid, array, count)
    took = time.perf_counter() - started
    report("import", f"{n_tasks / took:,.0f} tasks/s ({took:.1f} s for {n_tasks:,})")
    pages = (("page 1", 0), ("page 3,000", 2999 * 30), ("page at the middle", n_tasks // 2))
    for name, offset in pages:
        times = []
        for _ in range(50):
            t0 = time.perf_counter()
            ids = await store.page_task_ids(pid, "id", offset, 30)
            await store.get_tasks(pid, ids)
            times.append(time.perf_counter() - t0)
        report(f"{name} (30 tasks)", f"median {statistics.median(times) * 1000:.2f} ms")
    times = []
    for n in range(300):
        t0 = time.perf_counter()
        await store.next_task(pid, f"bench-{n}", "sequential", 600)
        times.append(time.perf_counter() - t0)
    report("next task (new owner)", f"median {statistics.median(times) * 1000:.2f} ms")
    for n in range(300):
        await store.release_lease(pid, n, None)
    started, seen = time.perf_counter(), 0
    async for batch in store.iter_tasks(pid, False, 1000):
        seen += sum(len(r.json_bytes()) > 0 for r in batch)
    took = time.perf_counter() - started
    report("export (iter_tasks)", f"{seen / took:,.0f} tasks/s ({took:.1f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report("peak memory (this process)", f"{peak:,.0f} MB")
    await store.close()


def load_worker(bases: list[str], clients: int, seconds: float, tag: str, out: Connection) -> None:
    out.send(asyncio.run(_load(bases, clients, seconds, tag)))


async def _load(bases: list[str], clients: int, seconds: float, tag: str) -> int:
    done = 0
    until = time.monotonic() + seconds

    async def annotator(n: int, session: aiohttp.ClientSession) -> None:
        nonlocal done
        base, headers = bases[n % len(bases)], {"X-Lsplug-Client": f"{tag}-{n}"}
        while time.monotonic() < until:
            async with session.get(base + "/api/project/next", headers=headers) as resp:
                task = await resp.json(content_type=None)
                if resp.status != 200:
                    return
            async with session.post(
                f"{base}/api/tasks/{task['id']}/completions", json={"result": RESULT},
                headers=headers,
            ) as resp:  # fmt: skip
                await resp.read()
                done += resp.status == 201

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(annotator(n, session) for n in range(clients)))
    return done


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (none for one gone)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds these processes used since ``before`` (a process new since: all of it)."""
    return sum(now - before.get(pid, 0.0) for pid, now in cpu_by_pid(pids).items())


def machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - values[3] - values[4]) / tick, sum(values) / tick


def postgres_pids() -> list[int]:
    """The PostgreSQL server processes of this machine (the bench's own server runs as the
    postgres user); none when there is no such user."""
    found = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def throughput(workdir: Path, url: str, procs: int, clients: int, seconds: float) -> float:
    """Acknowledged completions per second with ``procs`` server processes; also reports
    where the CPU went: the machine's busy share, and CPU per completion of the servers,
    of PostgreSQL and of everything else (the load processes, the kernel)."""
    config = workdir / f"config-{procs}.yaml"
    config.write_text(json.dumps({"label_config": XML, "store": {"url": url}, "data_dir": "d"}))
    servers = [Server(config).start() for _ in range(procs)]
    try:
        ctx = multiprocessing.get_context("spawn")
        pipes, workers = [], []
        for w in range(2):
            recv, send = ctx.Pipe(duplex=False)
            args = ([s.base for s in servers], clients // 2, seconds, f"p{procs}w{w}", send)
            workers.append(ctx.Process(target=load_worker, args=args))
            pipes.append(recv)
        server_pids = [s.proc.pid for s in servers if s.proc is not None]
        on_pg = url.startswith("postgresql")
        # PostgreSQL starts a process per new connection: the pids are read again at the end.
        before = (cpu_by_pid(server_pids), cpu_by_pid(postgres_pids() if on_pg else []))
        busy_before = machine_busy()
        for worker in workers:
            worker.start()
        total = sum(p.recv() for p in pipes)
        busy_after = machine_busy()
        spent = [
            cpu_since(before[0], server_pids),
            cpu_since(before[1], postgres_pids() if on_pg else []),
            busy_after[0] - busy_before[0],
            busy_after[1] - busy_before[1],
        ]
        for worker in workers:
            worker.join()
        report_cpu(procs, total, spent)
        return total / seconds
    finally:
        for server in servers:
            server.kill()


def report_cpu(procs: int, completions: int, spent: list[float]) -> None:
    """The CPU figures of :func:`throughput` (``spent``: servers, PostgreSQL, busy, all)."""
    servers, postgres, busy, everything = spent
    per = 1e6 / max(completions, 1)
    report(
        f"CPU with {procs} process(es)",
        f"machine {busy / everything * 100:.0f}% busy; per completion: servers "
        f"{servers * per:.0f} µs, PostgreSQL {postgres * per:.0f} µs, the rest "
        f"{(busy - servers - postgres) * per:.0f} µs",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default="sqlite", help="sqlite, postgres or postgresql://...")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--procs", default="1,2,4")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lsplug-bench-"))
    pg: PgServer | None = None
    if args.store == "sqlite":
        url, store = f"sqlite:{workdir / 'bench.sqlite3'}", SQLiteStore(workdir / "bench.sqlite3")
    else:
        if args.store == "postgres":
            pg = PgServer(durable=True)
            url = pg.new_database()
        else:
            url = args.store
        store = PostgresStore(url)
    try:
        print(f"# {args.store}, {args.tasks:,} tasks, {workdir}", flush=True)
        asyncio.run(store_side(store, args.tasks))
        for procs in (int(p) for p in args.procs.split(",")):
            rate = throughput(workdir, url, procs, args.clients, args.seconds)
            report(f"completions, {procs} process(es)", f"{rate:,.0f} /s")
    finally:
        if pg is not None:
            pg.stop()
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    print("\n| metric | " + args.store.split("://")[0] + " |\n| --- | --- |")
    for metric, value in rows:
        print(f"| {metric} | {value} |")


if __name__ == "__main__":
    main()
