"""The project pages in a real browser: setup, import, export, the task list."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from procs import Server

from e2e.e2e_helpers import NER, tasks_of

StartServer = Callable[..., Server]
BROKEN = '<View><Labels name="label" toName="nowhere"><Label value="A"/></Labels></View>'
WITH_LOC = NER.replace('<Label value="ORG"/>', '<Label value="ORG"/><Label value="LOC"/>')


def test_setup_refuses_a_broken_config_and_saves_a_good_one(
    page: Any, start_server: StartServer
) -> None:
    server = start_server()
    page.goto(server.base + "/setup")
    page.wait_for_selector("#lsp-config-status[data-state=valid]")
    page.fill("#lsp-config", BROKEN)
    page.wait_for_selector("#lsp-config-status[data-state=invalid]")
    assert "nowhere" in page.inner_text("#lsp-config-status")
    page.click("#lsp-save")
    page.wait_for_selector("#lsp-config-status >> text=Not saved")
    assert server.call("GET", "/api/project")[1]["label_config"] == NER
    page.fill("#lsp-config", WITH_LOC)
    page.wait_for_selector("#lsp-config-status[data-state=valid]")
    preview = page.frame_locator("#lsp-preview")
    preview.locator(".lsf-label", has_text="LOC").wait_for()
    page.click("#lsp-save")
    page.wait_for_selector("#lsp-config-status[data-state=saved]")
    assert server.call("GET", "/api/project")[1]["label_config"] == WITH_LOC


def test_import_checks_pasted_json_then_imports_it(page: Any, start_server: StartServer) -> None:
    server = start_server()
    page.goto(server.base + "/")
    assert page.url.endswith("/welcome")
    page.goto(server.base + "/import")
    page.fill("#lsp-json", json.dumps([{"text": "Ada"}, {"txt": "no text key"}]))
    page.click("#lsp-check")
    page.wait_for_selector("#lsp-import-errors li")
    assert "item 1" in page.inner_text("#lsp-import-errors")
    page.fill("#lsp-json", json.dumps([{"text": "Ada"}, {"text": "Alan"}]))
    page.click("#lsp-check")
    page.wait_for_selector("#lsp-import-status >> text=Ready to import 2 tasks")
    assert tasks_of(server) == []
    page.click("#lsp-import")
    page.wait_for_selector("#lsp-import-status[data-state=imported]")
    assert [t["data"]["text"] for t in tasks_of(server)] == ["Ada", "Alan"]


def test_import_an_uploaded_file(page: Any, start_server: StartServer, tmp_path: Path) -> None:
    server = start_server()
    upload = tmp_path / "people.csv"
    upload.write_text("text\nAda Lovelace\nAlan Turing\nGrace Hopper\n")
    page.goto(server.base + "/import")
    page.set_input_files("#lsp-files", str(upload))
    page.click("#lsp-import")
    page.wait_for_selector("#lsp-import-status[data-state=imported]")
    assert len(tasks_of(server)) == 3


def test_export_downloads_the_completions(page: Any, start_server: StartServer) -> None:
    result = [{"from_name": "label", "to_name": "text", "type": "labels",
               "value": {"start": 0, "end": 3, "text": "Ada", "labels": ["PER"]}}]  # fmt: skip
    server = start_server(tasks=[{"data": {"text": "Ada"}, "completions": [{"result": result}]}])
    page.goto(server.base + "/export")
    page.check("input[name=format][value=JSON]")
    with page.expect_download() as download:
        page.click("#lsp-download")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported[0]["completions"][0]["result"][0]["value"]["labels"] == ["PER"]
    assert download.value.suggested_filename.endswith(".json")


def test_task_list_deletes_a_task(page: Any, start_server: StartServer) -> None:
    server = start_server(tasks=[{"text": "Ada"}, {"text": "Alan"}])
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(server.base + "/tasks")
    assert page.locator("tr[data-task-id]").count() == 2
    page.click("button.lsp-delete[data-task-id='0']")
    page.wait_for_function("() => document.querySelectorAll('tr[data-task-id]').length === 1")
    assert [t["id"] for t in tasks_of(server)] == [1]
