"""Two browser profiles on one machine are two annotators: each is shown its own task, and
keeps it across reloads (the signed client cookie, not the address and browser name)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from procs import Server

from e2e.conftest import CHROMIUM, FLAGS
from e2e.e2e_helpers import wait_ready

TEXTS = [{"text": f"Ada Lovelace met Alan Turing, {n}."} for n in range(4)]


@pytest.fixture
def two_profiles() -> Iterator[list[Any]]:
    """One Chromium, two contexts with their own cookies (two browser profiles)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        contexts = [browser.new_context(viewport={"width": 1366, "height": 800}) for _ in "ab"]
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.set_default_timeout(10_000)
        yield pages
        browser.close()


def _shown_task(page: Any, base: str) -> str:
    page.goto(base + "/")
    wait_ready(page)
    task: str = page.locator("body").get_attribute("data-lsp-task")
    return task


def test_two_browser_profiles_are_shown_different_tasks(
    two_profiles: list[Any], start_server: Callable[..., Server]
) -> None:
    server = start_server(tasks=TEXTS)
    first, second = two_profiles
    shown = [_shown_task(first, server.base), _shown_task(second, server.base)]
    assert shown[0] != shown[1]
    assert _shown_task(first, server.base) == shown[0]  # a reload keeps the lease
    cookies = first.context.cookies()
    [client] = [c for c in cookies if c["name"] == "lsplug_client"]
    assert client["httpOnly"] is True and client["sameSite"] == "Lax"
