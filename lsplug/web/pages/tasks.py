"""Page `/tasks`: the task list, paged and sorted, with each task's status."""

from __future__ import annotations

from typing import Any, cast

import orjson
from aiohttp import web

from lsplug.errors import BadInput
from lsplug.store import TASK_ORDERS, TaskOrder
from lsplug.web.access import project_of
from lsplug.web.pages.layout import render_page
from lsplug.web.requests import int_param

routes = web.RouteTableDef()
PAGE_SIZES = (10, 30, 100)


def task_row(task: dict[str, Any]) -> dict[str, Any]:
    """One line of the list: id, a preview of the data, status and counts."""
    completions = task.get("completions") or []
    done = [c for c in completions if not c.get("was_cancelled")]
    status = "labeled" if done else "skipped" if completions else "unlabeled"
    preview = " · ".join(str(v) for v in (task.get("data") or {}).values())
    return {
        "id": task["id"],
        "preview": preview[:120] + ("…" if len(preview) > 120 else ""),
        "status": status,
        "completions": len(done),
        "skips": len(completions) - len(done),
        "predictions": len(task.get("predictions") or []),
        "completed_at": task.get("completed_at") or "",
    }


@routes.get("/tasks")
async def tasks_page(request: web.Request) -> web.Response:
    """A page of tasks; ``page``, ``page_size`` and ``order`` as in `/api/tasks`."""
    project = project_of(request)
    page = int_param(request, "page", 1)
    page_size = int_param(request, "page_size", 30)
    order = request.query.get("order", "id")
    if order not in TASK_ORDERS:
        raise BadInput(f"order: {order!r} is not one of {', '.join(TASK_ORDERS)}")
    raw = b"".join([c async for c in project.task_page(page, page_size, cast(TaskOrder, order))])
    total = (await project.info())["task_count"]
    return render_page(request, "tasks.html", {
        "title": "Tasks",
        "rows": [task_row(t) for t in orjson.loads(raw)],
        "page": page,
        "page_size": page_size,
        "page_sizes": PAGE_SIZES,
        "pages": max(1, -(-total // page_size)),
        "order": order,
        "total": total,
    })  # fmt: skip
