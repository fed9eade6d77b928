"""The export page's skip option in a real browser: each format's default, and the summary."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from procs import Server

StartServer = Callable[..., Server]
SPAN = {"from_name": "label", "to_name": "text", "type": "labels",
        "value": {"start": 0, "end": 3, "text": "Ada", "labels": ["PER"]}}  # fmt: skip
TASKS = [
    {"data": {"text": "Ada wrote"}, "completions": [{"result": [SPAN]}]},
    {"data": {"text": "Ada skipped"}, "completions": [{"result": [SPAN], "was_cancelled": True}]},
]


def download(page: Any) -> list[list[str]]:
    with page.expect_download() as done:
        page.click("#lsp-download")
    return list(csv.reader(io.StringIO(Path(done.value.path()).read_text())))


def test_the_page_shows_each_format_s_default_and_the_choice_decides(
    page: Any, start_server: StartServer
) -> None:
    server = start_server(tasks=TASKS)
    page.goto(server.base + "/export")
    page.check("input[name=format][value=JSON]")
    assert page.locator("#lsp-skip-default").text_content() == "kept"
    page.check("input[name=format][value=CSV]")
    assert page.locator("#lsp-skip-default").text_content() == "left out"
    assert [r[0] for r in download(page)] == ["text", "Ada wrote"]
    page.check("input[name=include_cancelled][value='1']")
    assert [r[0] for r in download(page)] == ["text", "Ada wrote", "Ada skipped"]


def test_the_page_shows_what_the_export_leaves_out(page: Any, start_server: StartServer) -> None:
    server = start_server(tasks=TASKS)
    page.goto(server.base + "/export")
    page.check("input[name=format][value=CONLL2003]")
    page.click("#lsp-summary")
    page.wait_for_selector("#lsp-summary-text:not([hidden])")
    page.wait_for_selector("#lsp-summary-text.lsp-ok")
    assert page.locator("#lsp-summary-text").text_content() == "Nothing is left out."
