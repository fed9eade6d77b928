"""The SQLite store's foundation: the file, its schema, the threads that run queries.

Every part of :class:`~lsplug.store.sqlite.store.SQLiteStore` builds on :class:`SQLiteBase`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson

from lsplug.store.errors import SchemaTooNew
from lsplug.store.rows import (
    ProjectRow,
)
from lsplug.store.sqlite.engine import Readers, Writer, connect
from lsplug.store.sqlite.migrations import LATEST, migrate

SCHEMA_VERSION = LATEST
ORDER_SQL = {
    "id": "id",
    "-id": "id DESC",
    "completed_at": "completed_at, id",
    "-completed_at": "completed_at DESC, id DESC",
}
PROJECT_COLUMNS = (
    "id, uuid, title, label_config, settings, task_count, completion_count, "
    "prediction_count, labeled_count, created_at"
)


def _project(row: tuple[Any, ...]) -> ProjectRow:
    values = list(row)
    values[4] = orjson.loads(values[4])
    return ProjectRow(*values)


class SQLiteBase:
    """A SQLite file in WAL mode, its migrations, one writer thread and reader threads."""

    def __init__(self, path: Path, synchronous: str = "full") -> None:
        self.path = path
        self._synchronous = synchronous
        self._writer: Writer | None = None
        self._readers: Readers | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Create or check the schema, then start the writer and reader threads."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()
        self._writer = Writer(self.path, self._synchronous)
        self._writer.start()
        self._readers = Readers(self.path)

    def _migrate(self) -> None:
        conn = connect(self.path)
        try:
            conn.executescript(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            )
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"{self.path} has schema version {version}, newer than this lsplug "
                    f"({SCHEMA_VERSION}): upgrade lsplug"
                )
            migrate(conn, version)
        finally:
            conn.close()

    async def close(self) -> None:
        """Finish queued writes, stop the threads, close the connections."""
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._readers is not None:
            self._readers.close()
            self._readers = None

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str, wait: bool = False) -> AsyncIterator[bool]:
        """The lock ``name``, always this process's (True): a SQLite store serves one server
        process (PostgreSQL is the store several share), so the block just runs."""
        yield True

    async def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        assert self._readers is not None, "the store is not open"
        return await self._readers.run(fn)

    async def _write(self, fn: Callable[[sqlite3.Connection], Any], durable: bool = True) -> Any:
        assert self._writer is not None, "the store is not open"
        return await self._writer.submit(fn, durable)
