"""The editor's own output of every template passes the server's result checks.

Each template's task comes with a prediction of one region per control (shaped as in
``tests/editor_results.py``); the labeling page starts a completion from it, so the editor
(Label Studio Frontend 1.4) reads the regions and, on Submit, writes them back with its own
``serializeAnnotation``: what the server then stores is exactly what the editor sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from procs import Server

from e2e.e2e_helpers import wait_for_completion, wait_ready
from lsplug.labelconfig import example_data, parse
from lsplug.labelconfig.templates import list_templates
from tests.editor_results import editor_results

StartServer = Callable[..., Server]
TEMPLATES = list_templates()


def status_after_submit(page: Any, seconds: float = 10.0) -> str:
    """What the page says once the submit is answered (saved, or why not)."""
    deadline = time.monotonic() + seconds
    said = ""
    while time.monotonic() < deadline:
        said = page.locator("#lsp-status").text_content() or ""
        if said.startswith(("Saved", "Not")):
            return said
        time.sleep(0.05)
    return f"no answer after {seconds} s: {said!r}"


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_the_editor_s_output_of_every_template_is_stored(
    page: Any, start_server: StartServer, template: Any
) -> None:
    config = parse(template.xml)
    data = example_data(config)
    sent = editor_results(config, data)
    task = {"data": data, "predictions": [{"result": sent, "score": 0.5}]}
    server = start_server(template.xml, tasks=[task])
    page.goto(server.base + "/")
    wait_ready(page, 0)
    page.get_by_role("button", name="submit").click()
    said = status_after_submit(page)
    assert said.startswith("Saved"), said
    stored = wait_for_completion(server, 0)["result"]
    assert {r["type"] for r in stored} == {r["type"] for r in sent}, stored
