"""Moving whole projects between stores with their ids and their people.

Any store to any store: SQLite or PostgreSQL to SQLite or PostgreSQL (``lsplug migrate``),
and a Label Studio 0.8 folder into a store (``lsplug import-ls08``). What travels is a
:class:`~lsplug.store.dump.ProjectDump` per project and the store's
:class:`~lsplug.store.dump.PeopleDump`, read in batches (never a whole table in memory) and
loaded in one transaction into a store that does not hold the projects yet.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import orjson

from lsplug.store import postgres_ops as ops
from lsplug.store.dump import (
    Loaded,
    PeopleDump,
    Progress,
    ProjectDump,
    TransferError,
    in_memory,
)
from lsplug.store.transfer_postgres import PostgresSource, into_postgres, write_postgres
from lsplug.store.transfer_sqlite import SQLiteSource, into_sqlite, write_sqlite

__all__ = [
    "Loaded",
    "PeopleDump",
    "ProjectDump",
    "Source",
    "TransferError",
    "load_into",
    "open_source",
    "read_ls08",
    "write_postgres",
    "write_sqlite",
]
POSTGRES = ("postgresql://", "postgres://")


class Source(Protocol):
    """A store being read: its projects and its people."""

    async def dumps(self, uuids: list[str] | None = None) -> list[ProjectDump]:
        """The projects ``uuids`` (default: every project, oldest first)."""

    def people(self) -> PeopleDump:
        """Every user and their API tokens."""

    async def close(self) -> None:
        """Stop reading."""


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:PATH`` URL, None for another URL."""
    if not url.startswith("sqlite:"):
        return None
    return Path(url.removeprefix("sqlite:").removeprefix("//"))


def check_url(url: str) -> None:
    """Refuse a URL that names no store."""
    if sqlite_path(url) is None and not url.startswith(POSTGRES):
        raise TransferError(f"{url!r} is not a store: use sqlite:PATH or postgresql://...")


@asynccontextmanager
async def open_source(url: str) -> AsyncIterator[Source]:
    """The store at ``url`` (``sqlite:PATH`` or ``postgresql://...``), read in one snapshot."""
    check_url(url)
    path = sqlite_path(url)
    source: Source
    if path is None:
        source = await PostgresSource.open(url)
    else:
        _check_file(path, existing=True)
        await _newest_schema(path)
        source = SQLiteSource(path)
    try:
        yield source
    finally:
        await source.close()


async def load_into(
    url: str, people: PeopleDump, dumps: Iterable[ProjectDump], progress: Progress
) -> Loaded:
    """Load people and projects into the store at ``url`` in one transaction (a new SQLite
    file is made, and removed again when the load fails)."""
    check_url(url)
    path = sqlite_path(url)
    if path is None:
        return await into_postgres(url, people, dumps, progress)
    existed = _check_file(path, existing=False)
    try:
        await _newest_schema(path)
        return await into_sqlite(path, people, dumps, progress)
    except BaseException:
        if not existed:
            _remove(path)
        raise


def _check_file(path: Path, existing: bool) -> bool:
    """Whether a SQLite store's file exists; refused when it must and does not, or when
    its folder is missing."""
    if existing and not path.is_file():
        raise TransferError(f"{path} does not exist")
    if not path.parent.is_dir():
        raise TransferError(f"the folder {path.parent} does not exist")
    return path.exists()


def _remove(path: Path) -> None:
    """Remove a SQLite file this command made, with its WAL files."""
    for made in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        made.unlink(missing_ok=True)


async def _newest_schema(path: Path) -> None:
    """Make or migrate a SQLite store's schema, as the store does when it opens."""
    from lsplug.store.sqlite import SQLiteStore

    store = SQLiteStore(path)
    try:
        await store.open()
    except sqlite3.DatabaseError as exc:
        raise TransferError(f"{path}: {exc}") from None
    finally:
        await store.close()


def read_ls08(folder: Path, uuid: str, title: str) -> ProjectDump:
    """A Label Studio 0.8 project folder: config.json, config.xml, tasks.json, completions/."""
    settings = _ls08_json(folder / "config.json") if (folder / "config.json").exists() else {}
    xml_path = folder / str(settings.get("label_config") or "config.xml")
    if not xml_path.exists():
        raise TransferError(f"{xml_path} is missing: a Label Studio 0.8 folder has config.xml")
    tasks_path = folder / "tasks.json"
    raw = _ls08_json(tasks_path) if tasks_path.exists() else {}
    tasks = (
        raw.items() if isinstance(raw, dict) else ((t.get("id", n), t) for n, t in enumerate(raw))
    )
    by_id = {int(k): t for k, t in tasks}
    for path in sorted((folder / "completions").glob("*.json")):
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
    data = ops.dumps(task.get("data", {}))
    rows["tasks"].append((task_id, data, None, newest, bool(completions), None, now))
    for n, c in enumerate(completions):
        body = ops.dumps({**ops.without_id(c), "created_at": created[n]})
        cid = int(c.get("id", task_id * 1000 + n + 1))
        rows["completions"].append((cid, task_id, body, created[n], bool(c.get("was_cancelled"))))
    for n, p in enumerate(task.get("predictions") or []):
        pid = int(p.get("id", task_id * 1000 + n + 1))
        body = ops.dumps(ops.without_id(p))
        version, author = p.get("model_version"), p.get("created_by")
        rows["predictions"].append((pid, task_id, body, ops.score_of(p), version, author))


def _ls08_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise TransferError(f"{path}: {exc}") from None
