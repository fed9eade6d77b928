"""The store: the project's data behind one interface, and the choice of its back-end.

What the core asks of a store is declared role by role in :mod:`lsplug.store.roles`
(:class:`Store` is every role at once) and the rows it takes and returns are in
:mod:`lsplug.store.rows`. The back-ends are packages: :mod:`lsplug.store.sqlite` (one file,
a writer thread and reader threads) and :mod:`lsplug.store.postgres` (asyncpg; several
server processes may share it). :mod:`lsplug.store.transfer` moves projects between stores
and reads Label Studio 0.8 folders. :func:`store_for` is the one place a config's
``store.url`` is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from lsplug.config import Config
from lsplug.store.errors import SchemaTooNew
from lsplug.store.roles import (
    CompletionStore,
    ExportStore,
    JobStore,
    LabelingStore,
    LockStore,
    OutboxStore,
    PeopleStore,
    PredictionStore,
    ProjectStore,
    SourceStore,
    Store,
    StoreLifecycle,
    TaskStore,
)
from lsplug.store.rows import (
    TASK_ORDERS,
    ImportResult,
    JobRow,
    NewTask,
    OutboxEntry,
    OutboxStats,
    ProjectRow,
    TaskOrder,
    UserRow,
)

__all__ = [
    "TASK_ORDERS",
    "CompletionStore",
    "ExportStore",
    "ImportResult",
    "JobRow",
    "JobStore",
    "LabelingStore",
    "LockStore",
    "NewTask",
    "OutboxEntry",
    "OutboxStats",
    "OutboxStore",
    "PeopleStore",
    "PredictionStore",
    "ProjectRow",
    "ProjectStore",
    "SchemaTooNew",
    "SourceStore",
    "Store",
    "StoreLifecycle",
    "TaskOrder",
    "TaskStore",
    "UserRow",
    "open_store",
    "store_for",
    "store_url",
]
POSTGRES_SCHEMES = ("postgresql:", "postgres:")
SQLITE_FILE = "lsplug.sqlite3"
"""The SQLite store's file under ``data_dir`` when the config names no store."""


def _sqlite_file(config: Config) -> Path | None:
    """The SQLite file the config's store is, or None when it is a PostgreSQL database."""
    url = config.store.url
    if url is None:
        return config.data_path / SQLITE_FILE
    if url.startswith("sqlite:"):
        return config.path(url.removeprefix("sqlite:").removeprefix("//"))
    if url.startswith(POSTGRES_SCHEMES):
        return None
    raise ValueError(f"store.url: {url!r} is not a supported store (sqlite:PATH, postgresql://...)")


def store_url(config: Config) -> str:
    """The config's store as the URL the transfer commands take: ``sqlite:PATH`` (the path
    resolved against the config file) or the ``postgresql://...`` URL itself."""
    path = _sqlite_file(config)
    return str(config.store.url) if path is None else f"sqlite:{path}"


def store_for(config: Config) -> Store:
    """The store the config names, not opened yet (SQLite under ``data_dir`` by default).

    A back-end's package is imported only when it is asked for (asyncpg only for PostgreSQL).
    """
    path = _sqlite_file(config)
    if path is None:
        from lsplug.store.postgres import PostgresStore

        return PostgresStore(str(config.store.url))
    from lsplug.store.sqlite import SQLiteStore

    return SQLiteStore(path, config.store.synchronous)


@asynccontextmanager
async def open_store(config: Config) -> AsyncIterator[Store]:
    """The config's store, open for the block (its schema made or migrated), closed after:
    for the command line's short jobs (users, exports, imports)."""
    store = store_for(config)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
