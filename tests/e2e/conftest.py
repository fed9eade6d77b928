"""Fixtures of the browser tests: a real server, Debian's Chromium driven by Playwright.

Each failing test leaves a screenshot in ``test-results/e2e/<test name>.png``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from procs import Server

from e2e.e2e_helpers import NER

CHROMIUM = os.environ.get("LSPLUG_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "e2e"

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (make test installs it)", allow_module_level=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures know whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium per test module (a fresh profile each time)."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1366, "height": 800},
            accept_downloads=True,
        )
        yield context
        context.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new tab; its screenshot is saved when the test fails."""
    browser.clear_cookies()
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(10_000)
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"{request.node.name}.png"), full_page=True)
        if errors:
            (SHOTS / f"{request.node.name}.errors.txt").write_text("\n".join(errors))
    tab.close()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``start_server(label_config, tasks)``: a project served by ``lsplug start``."""
    servers: list[Server] = []

    def start(label_config: str = NER, tasks: list[Any] | None = None, **extra: Any) -> Server:
        config = {"label_config": label_config, "data_dir": "data", **extra}
        path = tmp_path / "config.yaml"
        path.write_text(json.dumps(config))
        server = Server(path).start()
        servers.append(server)
        if tasks:
            status, body = server.call("POST", "/api/project/import", tasks)
            assert status == 201, body
        return server

    yield start
    for server in servers:
        server.stop()
