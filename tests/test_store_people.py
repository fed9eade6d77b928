"""The store's people, credentials, members and project look-ups, the same on both
back-ends (SQLite, and PostgreSQL when its store has them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lsplug.store import Store
from lsplug.store.sqlite import SQLiteStore


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh, open store."""
    s: Store
    if request.param == "sqlite":
        s = SQLiteStore(tmp_path / "store.sqlite3")
    else:
        from lsplug.store.postgres import PostgresStore

        s = PostgresStore(request.getfixturevalue("pg_server").new_database())
    await s.open()
    yield s
    await s.close()


async def test_projects_are_found_by_uuid_and_listed_oldest_first(store: Store) -> None:
    first = await store.ensure_project("u-1", "one", None)
    await store.ensure_project("u-2", "two", None)
    found = await store.find_project("u-1")
    assert found is not None and found.id == first.id
    assert await store.find_project("nope") is None
    assert [r.uuid for r in await store.list_projects()] == ["u-1", "u-2"]


async def test_adding_a_user_twice_changes_the_password(store: Store) -> None:
    assert await store.count_users() == 0
    first = await store.add_user("alice", "hash-1")
    again = await store.add_user("alice", "hash-2")
    assert again.id == first.id and again.password_hash == "hash-2"
    assert await store.count_users() == 1
    assert await store.find_user("alice") == again
    assert await store.find_user("bob") is None


async def test_credentials_expire_and_can_be_deleted(store: Store) -> None:
    user = await store.add_user("alice", "h")
    await store.add_credential("d-session", "session", user.id, 1000)
    await store.add_credential("d-token", "token", user.id, None)
    assert await store.credential_user("d-session", "session", 999) == user
    assert await store.credential_user("d-session", "session", 1000) is None
    assert await store.credential_user("d-session", "token", 999) is None
    assert await store.credential_user("d-token", "token", 10**12) == user
    await store.delete_credential("d-token")
    assert await store.credential_user("d-token", "token", 0) is None


async def test_members_have_one_role_per_project(store: Store) -> None:
    project = await store.ensure_project("u-1", "one", None)
    other = await store.ensure_project("u-2", "two", None)
    user = await store.add_user("alice", "h")
    assert await store.member_role(project.id, user.id) is None
    await store.set_member(project.id, user.id, "annotator")
    await store.set_member(project.id, user.id, "owner")
    assert await store.member_role(project.id, user.id) == "owner"
    assert await store.member_role(other.id, user.id) is None
