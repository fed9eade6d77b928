"""The store fixtures of the tests that run on both back-ends: ``opener``, ``store`` and
``pid``. conftest.py imports them, so every test module has them; a test that asks for one
runs on SQLite and on PostgreSQL (a server the tests start in a temporary folder, a fresh
database per test)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from lsplug.store import Store
from lsplug.store.postgres import PostgresStore
from lsplug.store.sqlite import SQLiteStore

Opener = Callable[[], Store]


@pytest.fixture(params=["sqlite", "postgres"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Makes a store object on one fresh database (each call: the same database)."""
    if request.param == "sqlite":
        return lambda: SQLiteStore(tmp_path / "store.sqlite3")
    url = request.getfixturevalue("pg_server").new_database()
    return lambda: PostgresStore(url)


@pytest.fixture
async def store(opener: Opener) -> AsyncIterator[Store]:
    """An open store on a fresh database, closed after the test."""
    s = opener()
    await s.open()
    yield s
    await s.close()


@pytest.fixture
async def pid(store: Store) -> int:
    """The id of a project made for the test."""
    return (await store.ensure_project("uuid-1", "test", None)).id
