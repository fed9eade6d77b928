"""A Label Studio 0.8 project folder, read as a project to load into a store.

A 0.8 folder is ``config.json`` (its settings), ``config.xml`` (or what ``label_config``
names), ``tasks.json`` (an object or a list of tasks) and ``completions/<task id>.json`` (a
task with its completions, as 0.8 wrote them). :func:`read_ls08` reads it into a
:class:`~lsplug.store.transfer.dump.ProjectDump` that keeps the task and completion ids; it
never writes to the folder.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from lsplug.store.bodies import dumps, score_of, without_id
from lsplug.store.transfer.dump import ProjectDump, TransferError, in_memory

CONFIG_FILE = "config.json"
TASKS_FILE = "tasks.json"
COMPLETIONS_DIR = "completions"


def is_ls08_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a Label Studio 0.8 project (config.json and tasks.json)."""
    return (folder / CONFIG_FILE).is_file() and (folder / TASKS_FILE).is_file()


def read_ls08(folder: Path, uuid: str, title: str) -> ProjectDump:
    """A Label Studio 0.8 project folder: config.json, config.xml, tasks.json, completions/."""
    config = folder / CONFIG_FILE
    settings = _ls08_json(config) if config.exists() else {}
    xml_path = folder / str(settings.get("label_config") or "config.xml")
    if not xml_path.exists():
        raise TransferError(f"{xml_path} is missing: a Label Studio 0.8 folder has config.xml")
    tasks_path = folder / TASKS_FILE
    raw = _ls08_json(tasks_path) if tasks_path.exists() else {}
    tasks = (
        raw.items() if isinstance(raw, dict) else ((t.get("id", n), t) for n, t in enumerate(raw))
    )
    by_id = {int(k): t for k, t in tasks}
    for path in sorted((folder / COMPLETIONS_DIR).glob("*.json")):
        done = _ls08_json(path)
        by_id.setdefault(int(done.get("id", path.stem)), {}).update(done)
    now = int(time.time())
    rows: dict[str, list[tuple[Any, ...]]] = {"tasks": [], "completions": [], "predictions": []}
    for task_id in sorted(by_id):
        _ls08_rows(task_id, by_id[task_id], now, rows)
    project = {
        "uuid": uuid,
        "title": title,
        "label_config": xml_path.read_text(),
        "settings": "{}",
        "next_task_id": max(by_id, default=-1) + 1,
        "created_at": now,
    }
    counts = {
        "task_count": len(rows["tasks"]),
        "completion_count": len(rows["completions"]),
        "prediction_count": len(rows["predictions"]),
        "labeled_count": sum(1 for r in rows["tasks"] if r[4]),
    }
    dump = ProjectDump(project, counts)
    for table, table_rows in rows.items():
        dump.tables[table] = partial(in_memory, table_rows)
    return dump


def _ls08_rows(task_id: int, task: dict[str, Any], now: int, rows: dict[str, list[Any]]) -> None:
    """The rows of one Label Studio 0.8 task (its completions keep their ids)."""
    completions = task.get("completions") or []
    created = [int(c.get("created_at") or now) for c in completions]
    newest = max(created) if created else None
    data = dumps(task.get("data", {}))
    rows["tasks"].append((task_id, data, None, newest, bool(completions), None, now))
    for n, c in enumerate(completions):
        body = dumps({**without_id(c), "created_at": created[n]})
        cid = int(c.get("id", task_id * 1000 + n + 1))
        rows["completions"].append((cid, task_id, body, created[n], bool(c.get("was_cancelled"))))
    for n, p in enumerate(task.get("predictions") or []):
        pid = int(p.get("id", task_id * 1000 + n + 1))
        body = dumps(without_id(p))
        version, author = p.get("model_version"), p.get("created_by")
        rows["predictions"].append((pid, task_id, body, score_of(p), version, author))


def _ls08_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise TransferError(f"{path}: {exc}") from None
