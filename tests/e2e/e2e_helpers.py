"""Helpers of the browser tests: label configs, a PNG, waiting for the editor, selecting text."""

from __future__ import annotations

import struct
import time
import zlib
from typing import Any

from procs import Server

NER = (
    '<View><Labels name="label" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>'
    '<Text name="text" value="$text"/></View>'
)
BOXES = (
    '<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image">'
    '<Label value="Car"/><Label value="Person"/></RectangleLabels></View>'
)


def png(width: int, height: int) -> bytes:
    """A grey PNG of ``width`` x ``height`` pixels (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x90\xa0\xb0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def wait_ready(page: Any, task_id: int | None = None) -> None:
    """Wait until the editor shows a task (``task_id`` if given)."""
    if task_id is None:
        page.wait_for_selector("body[data-lsp-task]:not([data-lsp-task=loading])")
    else:
        page.wait_for_selector(f"body[data-lsp-task='{task_id}']")
    page.wait_for_selector(".lsf-controls button")


def select_text(page: Any, start: int, end: int) -> None:
    """Drag the mouse over characters ``start`` to ``end`` of the task's text."""
    box = page.evaluate(
        """([start, end]) => {
            const root = document.querySelector('.lsf-richtext__container');
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            let seen = 0;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const size = node.textContent.length;
                if (start >= seen && start < seen + size) range.setStart(node, start - seen);
                if (end > seen && end <= seen + size) range.setEnd(node, end - seen);
                seen += size;
            }
            const rect = range.getBoundingClientRect();
            return {x0: rect.left + 1, x1: rect.right - 1, y: rect.top + rect.height / 2};
        }""",
        [start, end],
    )
    page.mouse.move(box["x0"], box["y"])
    page.mouse.down()
    page.mouse.move(box["x1"], box["y"], steps=5)
    page.mouse.up()


def tasks_of(server: Server) -> list[dict[str, Any]]:
    """Every task of the server's project, with completions."""
    status, body = server.call("GET", "/api/tasks?page_size=100")
    assert status == 200
    tasks: list[dict[str, Any]] = body
    return tasks


def wait_for_completion(server: Server, task_id: int, count: int = 1) -> dict[str, Any]:
    """The newest completion of a task, once it has ``count`` of them."""
    deadline = time.monotonic() + 5
    while True:
        status, completions = server.call("GET", f"/api/tasks/{task_id}/completions")
        if status == 200 and len(completions) >= count:
            newest: dict[str, Any] = completions[-1]
            return newest
        assert time.monotonic() < deadline, f"task {task_id} has {completions}"
        time.sleep(0.05)
