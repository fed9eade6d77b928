"""Benchmark of the labeling page in headless Chromium: time to interactive, next task.

Run: ``.venv/bin/python bench/pages.py`` (needs /usr/bin/chromium). Prints, over N rounds,
the time from navigation to the editor being ready with the editor files cached, and the
server time of a submit plus the next task (``POST completions`` + ``GET /api/project/next``,
from the browser's Resource Timing: request start to response end).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from e2e.e2e_helpers import NER, select_text, wait_ready
from playwright.sync_api import sync_playwright
from procs import Server

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROUNDS = 15

SERVER_TIME = """(names) => performance.getEntriesByType('resource')
    .filter((e) => names.some((n) => e.name.includes(n)))
    .map((e) => ({name: e.name, ms: e.responseEnd - e.requestStart}))"""


def main() -> None:
    """Start a project of 100 tasks and measure."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(json.dumps({"label_config": NER, "data_dir": "data"}))
        server = Server(config).start()
        tasks = [{"text": f"Ada Lovelace met Charles Babbage, task {i}."} for i in range(100)]
        assert server.call("POST", "/api/project/import", tasks)[0] == 201
        try:
            measure(server, Path(tmp) / "profile")
        finally:
            server.stop()


def measure(server: Server, profile: Path) -> None:
    """Print time to interactive (cached) and submit + next server times."""
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path="/usr/bin/chromium", args=FLAGS, headless=True,
            viewport={"width": 1366, "height": 800},
        )  # fmt: skip
        page = ctx.new_page()
        page.goto(server.base + "/")  # warm the cache
        wait_ready(page)
        ready: list[float] = []
        for _ in range(ROUNDS):
            page.goto(server.base + "/")
            wait_ready(page)
            ready.append(page.evaluate("window.lspReadyAt"))
        submit: list[float] = []
        nexts: list[float] = []
        swap: list[float] = []
        for _ in range(ROUNDS):
            task = page.evaluate("document.body.dataset.lspTask")
            page.evaluate("performance.clearResourceTimings()")
            page.locator(".lsf-label", has_text="PER").click()
            select_text(page, 0, 12)
            started = page.evaluate("performance.now()")
            page.get_by_role("button", name="submit").click()
            page.wait_for_function(
                "(t) => !['loading', t].includes(document.body.dataset.lspTask)", arg=task
            )
            page.wait_for_selector(".lsf-controls button")
            swap.append(page.evaluate("window.lspReadyAt") - started)
            for entry in page.evaluate(SERVER_TIME, ["/completions", "/api/project/next"]):
                (submit if "/completions" in entry["name"] else nexts).append(entry["ms"])
        ctx.close()
    report("page interactive, editor cached (navigation to editor ready)", ready)
    report("POST completion (request to response end)", submit)
    report("GET /api/project/next (request to response end)", nexts)
    report("submit click to next task's editor ready (browser)", swap)


def report(what: str, values: list[float]) -> None:
    """One line: median, p90 and max in milliseconds."""
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    print(f"{what}: median {statistics.median(ordered):.0f} ms, p90 {p90:.0f} ms, "
          f"max {ordered[-1]:.0f} ms (n={len(ordered)})")  # fmt: skip


if __name__ == "__main__":
    main()
