"""Moving a whole project between stores with its ids: SQLite to PostgreSQL, Label Studio 0.8.

A project travels as a :class:`ProjectDump`: its row, and each table's rows in batches
(never the whole table in memory). Readers make dumps (a SQLite file, a Label Studio 0.8
folder), writers load them with every id kept (task ids, completion and prediction ids,
the next task id), in one transaction, into a store that does not hold the project yet.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from lsplug.store import postgres_ops as ops
from lsplug.store.migrations_postgres import migrate as migrate_postgres

BATCH = 10_000
COLUMNS = {
    "tasks": ("id", "data", "meta", "completed_at", "is_labeled", "score", "created_at"),
    "completions": ("id", "task_id", "body", "created_at", "was_cancelled"),
    "predictions": ("id", "task_id", "body", "score", "model_version", "created_by"),
    "source_objects": ("source", "key", "version"),
    "source_items": ("source", "key", "task_id"),
    "outbox": ("task_id", "queued_at", "attempts", "next_try", "last_error"),
}
PROJECT = ("uuid", "title", "label_config", "settings", "next_task_id", "created_at")
BOOLEANS = {"is_labeled", "was_cancelled"}


class TransferError(RuntimeError):
    """The project cannot be moved (already in the target, a missing file...)."""


@dataclass
class ProjectDump:
    """One project: its row, its counters, and a batch reader per table."""

    project: dict[str, Any]
    counts: dict[str, int]
    tables: dict[str, Callable[[], Iterator[list[tuple[Any, ...]]]]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)  # highest id ever given, per table


# --- readers ----------------------------------------------------------------------------------


def sqlite_projects(path: Path) -> list[str]:
    """The uuids of the projects of a SQLite store."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT uuid FROM projects ORDER BY id")]
    finally:
        conn.close()


def read_sqlite(path: Path, uuid: str) -> ProjectDump:
    """A project of a SQLite store (at the newest schema: open it with lsplug once first)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    names = ", ".join(PROJECT + ops.COUNTERS + ("id",))
    row = conn.execute(f"SELECT {names} FROM projects WHERE uuid=?", (uuid,)).fetchone()
    if row is None:
        raise TransferError(f"{path} has no project {uuid}")
    project = dict(zip(PROJECT, row, strict=False))
    counts = dict(zip(ops.COUNTERS, row[len(PROJECT) :], strict=False))
    dump = ProjectDump(project, counts)
    dump.sequences = dict(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    for table, columns in COLUMNS.items():
        key = "id" if table in ("tasks", "completions", "predictions") else "rowid"
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE project_id=? ORDER BY {key}"
        dump.tables[table] = partial(_batches, conn, sql, row[-1])
    return dump


def _batches(
    conn: sqlite3.Connection, sql: str, project_id: int
) -> Iterator[list[tuple[Any, ...]]]:
    cursor = conn.execute(sql, (project_id,))
    while rows := cursor.fetchmany(BATCH):
        yield rows


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
        dump.tables[table] = partial(iter, [table_rows] if table_rows else [])
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


# --- writers ----------------------------------------------------------------------------------


async def write_postgres(url: str, dump: ProjectDump) -> int:
    """Load the dump into PostgreSQL in one transaction; the new project's id."""
    conn = await asyncpg.connect(url)
    try:
        await migrate_postgres(conn, url.rpartition("@")[2])
        async with conn.transaction():
            return await _load_postgres(conn, dump)
    finally:
        await conn.close()


async def _load_postgres(conn: asyncpg.Connection, dump: ProjectDump) -> int:
    p = dump.project
    if await conn.fetchval("SELECT 1 FROM projects WHERE uuid=$1", p["uuid"]):
        raise TransferError(f"the target already holds project {p['uuid']}")
    pid: int = await conn.fetchval(
        f"INSERT INTO projects ({', '.join(PROJECT)}) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        *(p[k] for k in PROJECT),
    )
    await conn.execute(
        "INSERT INTO project_counts VALUES ($1, 0, $2, $3, $4, $5)",
        pid, *(dump.counts[k] for k in ops.COUNTERS),
    )  # fmt: skip
    for table, read in dump.tables.items():
        columns = COLUMNS[table]
        for batch in read():
            if table in ("completions", "predictions") and await conn.fetchval(
                f"SELECT 1 FROM {table} WHERE id=ANY($1::bigint[]) LIMIT 1", [r[0] for r in batch]
            ):
                raise TransferError(f"the target's {table} already use some of these ids")
            await conn.copy_records_to_table(
                table,
                columns=["project_id", *columns],
                records=[(pid, *_pg_values(columns, r)) for r in batch],
            )
    for table in ("completions", "predictions"):  # ids deleted at the source stay used
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"greatest((SELECT max(id) FROM {table}), $1, "
            f"(SELECT last_value FROM {table}_id_seq)))",
            dump.sequences.get(table, 0),
        )
    return pid


def _pg_values(columns: tuple[str, ...], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite's values as PostgreSQL's columns take them (booleans, text for bytes)."""
    return tuple(
        bool(v) if c in BOOLEANS else v.decode() if isinstance(v, bytes) else v
        for c, v in zip(columns, row, strict=True)
    )


def write_sqlite(path: Path, dump: ProjectDump) -> int:
    """Load the dump into a SQLite store's file (schema made by the store) in one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        p = dump.project
        if conn.execute("SELECT 1 FROM projects WHERE uuid=?", (p["uuid"],)).fetchone():
            raise TransferError(f"the target already holds project {p['uuid']}")
        names = PROJECT + ops.COUNTERS
        cur = conn.execute(
            f"INSERT INTO projects ({', '.join(names)}) VALUES ({','.join('?' * len(names))})",
            (*(p[k] for k in PROJECT), *(dump.counts[k] for k in ops.COUNTERS)),
        )
        pid = int(cur.lastrowid or 0)
        for table, read in dump.tables.items():
            columns = ("project_id", *COLUMNS[table])
            marks = ",".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            for batch in read():
                conn.executemany(sql, [(pid, *r) for r in batch])
        conn.execute("COMMIT")
        return pid
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
