"""Moving whole projects between stores with their ids and their people.

Any store to any store: SQLite or PostgreSQL to SQLite or PostgreSQL (``lsplug migrate``),
and a Label Studio 0.8 folder into a store (``lsplug import-ls08``, ``lsplug start DIR``).
What travels is a :class:`~.dump.ProjectDump` per project and the store's
:class:`~.dump.PeopleDump` (:mod:`.dump`), read in batches (never a whole table in memory)
and loaded in one transaction into a store that does not hold the projects yet. The readers
and writers are :mod:`.sqlite` and :mod:`.postgres`; :mod:`.ls08` reads a 0.8 folder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

from lsplug.store.transfer.dump import (
    Loaded,
    PeopleDump,
    Progress,
    ProjectDump,
    TransferError,
)
from lsplug.store.transfer.ls08 import read_ls08
from lsplug.store.transfer.sqlite import SQLiteSource, into_sqlite, write_sqlite

__all__ = [
    "Loaded",
    "PeopleDump",
    "ProjectDump",
    "Source",
    "TransferError",
    "load_into",
    "open_source",
    "read_ls08",
    "write_project",
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
        from lsplug.store.transfer.postgres import PostgresSource  # asyncpg only when asked for

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
        from lsplug.store.transfer.postgres import into_postgres

        return await into_postgres(url, people, dumps, progress)
    existed = _check_file(path, existing=False)
    try:
        await _newest_schema(path)
        return await into_sqlite(path, people, dumps, progress)
    except BaseException:
        if not existed:
            _remove(path)
        raise


async def write_project(url: str, dump: ProjectDump) -> int:
    """Load one project without people (a Label Studio 0.8 folder) into the store at ``url``,
    whose schema is made already; its new id."""
    check_url(url)
    path = sqlite_path(url)
    if path is None:
        from lsplug.store.transfer.postgres import write_postgres

        return await write_postgres(url, dump)
    return await write_sqlite(path, dump)


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
