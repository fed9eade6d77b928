"""The labeling page in a real browser: label, submit, skip, update, boxes on an image."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from procs import Server

from e2e.e2e_helpers import BOXES, png, select_text, tasks_of, wait_for_completion, wait_ready

TEXTS = [{"text": "Ada Lovelace was born in London."}, {"text": "Alan Turing met Grace Hopper."}]
StartServer = Callable[..., Server]


def test_label_a_span_and_submit(page: Any, start_server: StartServer) -> None:
    server = start_server(tasks=TEXTS)
    page.goto(server.base + "/")
    wait_ready(page, 0)
    page.locator(".lsf-label", has_text="PER").click()
    select_text(page, 0, 12)
    page.get_by_role("button", name="submit").click()
    wait_ready(page, 1)  # the next task loads after the submit
    completion = wait_for_completion(server, 0)
    [item] = completion["result"]
    assert item["type"] == "labels"
    assert item["value"]["labels"] == ["PER"]
    assert (item["value"]["start"], item["value"]["end"]) == (0, 12)
    assert item["value"]["text"] == "Ada Lovelace"


def test_draw_a_box_on_an_image(page: Any, start_server: StartServer, tmp_path: Path) -> None:
    (tmp_path / "data" / "upload").mkdir(parents=True)
    (tmp_path / "data" / "upload" / "street.png").write_bytes(png(400, 300))
    server = start_server(BOXES, tasks=[{"image": "/data/upload/street.png"}])
    page.goto(server.base + "/")
    wait_ready(page, 0)
    page.locator(".lsf-label", has_text="Car").click()
    stage = page.locator(".konvajs-content").bounding_box()
    x, y, w, h = stage["x"], stage["y"], stage["width"], stage["height"]
    page.mouse.move(x + 0.2 * w, y + 0.2 * h)
    page.mouse.down()
    page.mouse.move(x + 0.6 * w, y + 0.7 * h, steps=8)
    page.mouse.up()
    page.get_by_role("button", name="submit").click()
    [item] = wait_for_completion(server, 0)["result"]
    assert item["type"] == "rectanglelabels"
    assert item["value"]["rectanglelabels"] == ["Car"]
    assert (item["original_width"], item["original_height"]) == (400, 300)
    assert 35 < item["value"]["width"] < 45 and 45 < item["value"]["height"] < 55


def test_skip_records_a_cancelled_completion(page: Any, start_server: StartServer) -> None:
    server = start_server(tasks=TEXTS)
    page.goto(server.base + "/")
    wait_ready(page, 0)
    page.get_by_role("button", name="skip-task").click()
    wait_ready(page, 1)
    assert wait_for_completion(server, 0)["was_cancelled"] is True


def test_update_an_existing_completion(page: Any, start_server: StartServer) -> None:
    value = {"start": 0, "end": 12, "text": "Ada Lovelace", "labels": ["PER"]}
    first = {"from_name": "label", "to_name": "text", "type": "labels", "value": value}
    server = start_server(tasks=[{"data": TEXTS[0], "completions": [{"result": [first]}]}])
    page.goto(server.base + "/?task_id=0")
    wait_ready(page, 0)
    page.locator(".lsf-label", has_text="ORG").click()
    select_text(page, 25, 31)
    page.locator(".lsf-controls button", has_text="Update").click()
    page.wait_for_selector("#lsp-status.lsp-ok")
    [completion] = tasks_of(server)[0]["completions"]
    labels = sorted((r["value"]["text"], r["value"]["labels"][0]) for r in completion["result"])
    assert labels == [("Ada Lovelace", "PER"), ("London", "ORG")]


def test_the_last_task_done_says_so(page: Any, start_server: StartServer) -> None:
    server = start_server(tasks=TEXTS[:1])
    page.goto(server.base + "/")
    wait_ready(page, 0)
    page.get_by_role("button", name="skip-task").click()
    page.wait_for_selector("body[data-lsp-task=none]")
    assert page.locator("#lsp-done").is_visible()


def test_the_editors_hotkeys_choose_a_label_and_submit(
    page: Any, start_server: StartServer
) -> None:
    server = start_server(tasks=TEXTS)
    page.goto(server.base + "/")
    wait_ready(page, 0)
    page.keyboard.press("2")  # the second label of the config: ORG
    select_text(page, 0, 12)
    page.keyboard.press("Control+Enter")  # the editor's submit hotkey
    wait_ready(page, 1)
    [item] = wait_for_completion(server, 0)["result"]
    assert item["value"]["labels"] == ["ORG"]
