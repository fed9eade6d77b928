"""Completions side by side: Label Studio 0.8.2 and lsplug, one run, output_dir on in both.

Both serve the same tasks (``--tasks``, ids 0..N-1) with the same label config, each with
its completions written to an output folder: Label Studio 0.8.2 with the ``completions/``
folder ``label-studio init`` gives it (its default target), lsplug with ``output_dir``.
Each round drives one server, then the other, for ``--seconds`` with the same load (8
clients, ``bench/load.py``: ``wrk`` when installed, each client one request in flight,
``POST /api/tasks/{id}/completions`` to the next task id, each round from its own part of
the tasks, so that every completion is a task's first), so both see the same machine;
the table gives each round, the median, and the ratio of the medians.

lsplug acknowledges a completion when its transaction is fsynced and writes the task's file
afterwards from the outbox: its rate is also given with the time its sink took to empty
after the load ("sustained"). Label Studio 0.8.2 writes the file (no fsync) before it
answers.

Label Studio 0.8.2 is installed from PyPI into ``.cache/ls082-venv`` (Python 3.8, pinned:
``label-studio==0.8.2`` needs ``label-studio-converter`` older than 0.0.25, whose
``Converter`` takes the project folder) on the first run; nothing of it is committed.

    .venv/bin/python bench/vs_ls08.py                 # 3 rounds of 10 s, 60,000 tasks
    .venv/bin/python bench/vs_ls08.py --rounds 5 --load python
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson
from core import LABEL_CONFIG, Server, proc_cpu_seconds, text
from load import run_load, wrk_available

from lsplug.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".cache" / "ls082-venv"
PYTHON38 = "/root/.pyenv/versions/3.8.18/bin/python"
PINS = ["label-studio==0.8.2", "label-studio-converter==0.0.22.post2"]
CLIENTS = 8


def ensure_label_studio(python: str) -> Path:
    """The ``label-studio`` 0.8.2 command, installed into its own venv when missing."""
    command = VENV / "bin" / "label-studio"
    if command.exists():
        return command
    print(f"installing {' '.join(PINS)} into {VENV} (a few minutes, once)", flush=True)
    subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "pip"), "install", "-q"]
    subprocess.run([*pip, "pip<24", "setuptools<60", "wheel"], check=True)
    subprocess.run([*pip, *PINS], check=True)
    return command


class LabelStudio:
    """A Label Studio 0.8.2 project folder (``label-studio init``) and its server process."""

    def __init__(self, command: Path, workdir: Path, n_tasks: int) -> None:
        self.command, self.dir = command, workdir / "ls08"
        tasks, config = workdir / "ls08-tasks.json", workdir / "ls08-config.xml"
        tasks.write_bytes(orjson.dumps([{"text": text(i)} for i in range(n_tasks)]))
        config.write_text(LABEL_CONFIG)
        init = [str(command), "init", str(self.dir), "--input-path", str(tasks)]
        subprocess.run([*init, "--label-config", str(config)], check=True, capture_output=True)
        self.output = self.dir / "completions"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        cmd = [str(self.command), "start", str(self.dir), "--port", str(self.port)]
        cmd += ["--host", "127.0.0.1", "--no-browser", "--log-level", "ERROR"]
        # Its usage analytics post to the Internet from a thread per request: off, as a
        # machine without that access would otherwise wait on each DNS look-up.
        env = {**os.environ, "collect_analytics": "0"}
        log_path = self.dir.parent / "ls08.log"
        with log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:  # it asks PyPI for its newest version first, without a timeout
            wait_until_up(f"{self.url}/api/project", 300)
        except RuntimeError:
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def wait_until_up(url: str, seconds: float) -> None:
    """Poll ``url`` until it answers 200; each answer may take seconds on a busy machine."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def start_lsplug(workdir: Path, n_tasks: int) -> Server:
    """lsplug with output_dir, the same tasks imported (ids 0..N-1), files all written."""
    (workdir / "lsplug").mkdir()
    server = Server(workdir / "lsplug", output_dir=True)
    server.start()
    body = orjson.dumps([{"text": text(i)} for i in range(n_tasks)])
    cmd = ["curl", "-sf", "-o", "/dev/null", "-H", "Content-Type: application/json"]
    subprocess.run([*cmd, "--data-binary", "@-", f"{server.url}/api/project/import"],
                   input=body, check=True)  # fmt: skip
    return server


def one_round(name: str, url: str, pid: int, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Drive one server for ``--seconds``; its rate and CPU. Round ``n`` starts at its own
    part of the tasks, so every round labels tasks without a completion yet (as long as
    the server does not reach the end of the tasks: then it wraps round)."""
    first = n * args.tasks // args.rounds
    cpu0, t0 = proc_cpu_seconds(pid), time.perf_counter()
    result = run_load(args.load, url, first, args.tasks - 1, args.seconds, CLIENTS)
    cpu1, t1 = proc_cpu_seconds(pid), time.perf_counter()
    rate = result["acked"] / result["wall"]
    server_cpu, load_cpu = (cpu1 - cpu0) / (t1 - t0) * 100, result["cpu"] / (t1 - t0) * 100
    errors = f", errors {result['errors']}" if result["errors"] else ""
    print(f"  {name}: {rate:,.0f} completions/s ({result['acked']:,} in {result['wall']:.1f} s, "
          f"median {result['median_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, server CPU "
          f"{server_cpu:.0f}%, load CPU {load_cpu:.0f}%{errors})", flush=True)  # fmt: skip
    return {**result, "rate": rate}


def lsplug_round(server: Server, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """One lsplug round, then the wait until its sink wrote every file."""
    result = one_round("lsplug", server.url, server.pid, n, args)
    lag = asyncio.run(server.drained())
    sustained = result["acked"] / (result["wall"] + lag)
    print(f"  lsplug: sink empty {lag:.2f} s after the load; sustained {sustained:,.0f}/s",
          flush=True)  # fmt: skip
    return {**result, "lag": lag, "sustained": sustained}


def median_range(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def report(ls: list[dict[str, Any]], mine: list[dict[str, Any]], args: argparse.Namespace) -> None:
    ls_rates = [r["rate"] for r in ls]
    my_rates = [r["rate"] for r in mine]
    sustained = [r["sustained"] for r in mine]
    print(f"\n{len(ls)} rounds of {args.seconds:.0f} s, {CLIENTS} clients ({args.load}), "
          f"{args.tasks:,} tasks, output_dir on in both; load average "
          f"{os.getloadavg()[0]:.2f}\n")  # fmt: skip
    print("| server | completions/s, median (range) | ratio to Label Studio 0.8.2 |")
    print("| --- | --- | --- |")
    base = statistics.median(ls_rates)
    print(f"| Label Studio 0.8.2 | {median_range(ls_rates)} | 1.0 |")
    print(f"| lsplug | {median_range(my_rates)} | {statistics.median(my_rates) / base:.1f}x |")
    print(f"| lsplug, until its sink is empty | {median_range(sustained)} | "
          f"{statistics.median(sustained) / base:.1f}x |")  # fmt: skip
    per_round = [m["rate"] / r["rate"] for m, r in zip(mine, ls, strict=True)]
    print(f"\nratio per round: {', '.join(f'{x:.1f}x' for x in per_round)}")
    if args.json:
        doc = {"label_studio": ls, "lsplug": mine, "args": vars(args) | {"json": str(args.json)}}
        args.json.write_text(json.dumps(doc, indent=2, default=str))


def check_files(ls: LabelStudio, server: Server) -> None:
    """Both wrote a file per labeled task."""
    assert server.output is not None
    ls_files = sum(1 for _ in ls.output.glob("*.json"))
    my_files = sum(1 for _ in server.output.glob("*.json"))
    print(f"\nfiles written: Label Studio 0.8.2 {ls_files:,}, lsplug {my_files:,}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--load", choices=["wrk", "python"],
                        default="wrk" if wrk_available() else "python")  # fmt: skip
    parser.add_argument("--python38", default=PYTHON38, help="a Python 3.8 for Label Studio")
    parser.add_argument("--json", type=Path, help="also write the rounds to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    command = ensure_label_studio(args.python38)
    workdir = Path(tempfile.mkdtemp(prefix="lsplug-vs-ls08-"))
    ls, server = LabelStudio(command, workdir, args.tasks), None
    try:
        ls.start()
        server = start_lsplug(workdir, args.tasks)
        ls_rounds, my_rounds = [], []
        for n in range(args.rounds):
            print(f"round {n + 1}", flush=True)
            ls_rounds.append(one_round("Label Studio 0.8.2", ls.url, ls.pid, n, args))
            my_rounds.append(lsplug_round(server, n, args))
        check_files(ls, server)
        report(ls_rounds, my_rounds, args)
    finally:
        ls.stop()
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
