"""The SQLite store's people and projects lookups: users, credentials, members."""

from __future__ import annotations

import sqlite3
import time

from lsplug.store.rows import (
    ProjectRow,
    UserRow,
)
from lsplug.store.sqlite.base import PROJECT_COLUMNS, SQLiteBase, _project


class PeopleMixin(SQLiteBase):
    """Projects by uuid, users, sessions and tokens, and project members."""

    async def find_project(self, uuid: str) -> ProjectRow | None:
        """The project with ``uuid``, or None."""

        def op(conn: sqlite3.Connection) -> ProjectRow | None:
            row = conn.execute(
                f"SELECT {PROJECT_COLUMNS} FROM projects WHERE uuid=?", (uuid,)
            ).fetchone()
            return _project(row) if row else None

        result: ProjectRow | None = await self._read(op)
        return result

    async def list_projects(self) -> list[ProjectRow]:
        """Every project, oldest first."""

        def op(conn: sqlite3.Connection) -> list[ProjectRow]:
            rows = conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects ORDER BY id")
            return [_project(r) for r in rows]

        result: list[ProjectRow] = await self._read(op)
        return result

    # --- people ----------------------------------------------------------------------------

    async def add_user(self, name: str, password_hash: str) -> UserRow:
        """Add a person, or set the password of the one called ``name``."""

        def op(conn: sqlite3.Connection) -> UserRow:
            conn.execute(
                "INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET password_hash=excluded.password_hash",
                (name, password_hash, int(time.time())),
            )
            row = conn.execute(
                "SELECT id, name, password_hash FROM users WHERE name=?", (name,)
            ).fetchone()
            return UserRow(*row)

        result: UserRow = await self._write(op)
        return result

    async def find_user(self, name: str) -> UserRow | None:
        """The person called ``name``, or None."""

        def op(conn: sqlite3.Connection) -> UserRow | None:
            row = conn.execute(
                "SELECT id, name, password_hash FROM users WHERE name=?", (name,)
            ).fetchone()
            return UserRow(*row) if row else None

        result: UserRow | None = await self._read(op)
        return result

    async def count_users(self) -> int:
        """How many people can sign in."""
        result: int = await self._read(
            lambda conn: conn.execute("SELECT count(*) FROM users").fetchone()[0]
        )
        return result

    async def add_credential(
        self, digest: str, kind: str, user_id: int, expires_at: int | None
    ) -> None:
        """Keep a session or token digest."""
        await self._write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO credentials VALUES (?, ?, ?, ?)",
                (digest, kind, user_id, expires_at),
            )
        )

    async def credential_user(self, digest: str, kind: str, now: int) -> UserRow | None:
        """The person a live credential belongs to."""

        def op(conn: sqlite3.Connection) -> UserRow | None:
            row = conn.execute(
                "SELECT u.id, u.name, u.password_hash FROM credentials c "
                "JOIN users u ON u.id = c.user_id WHERE c.digest=? AND c.kind=? "
                "AND (c.expires_at IS NULL OR c.expires_at > ?)",
                (digest, kind, now),
            ).fetchone()
            return UserRow(*row) if row else None

        result: UserRow | None = await self._read(op)
        return result

    async def delete_credential(self, digest: str) -> None:
        """Forget a credential."""
        await self._write(
            lambda conn: conn.execute("DELETE FROM credentials WHERE digest=?", (digest,))
        )

    async def set_member(self, project_id: int, user_id: int, role: str) -> None:
        """Make a person a member of a project."""
        await self._write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?)", (project_id, user_id, role)
            )
        )

    async def member_role(self, project_id: int, user_id: int) -> str | None:
        """A person's role in a project, or None."""

        def op(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT role FROM members WHERE project_id=? AND user_id=?",
                (project_id, user_id),
            ).fetchone()
            return row[0] if row else None

        result: str | None = await self._read(op)
        return result

    async def has_owner(self, project_id: int) -> bool:
        """Whether a project has a member with the role ``owner``."""
        result: bool = await self._read(
            lambda conn: (
                conn.execute(
                    "SELECT 1 FROM members WHERE project_id=? AND role='owner' LIMIT 1",
                    (project_id,),
                ).fetchone()
                is not None
            )
        )
        return result

    async def first_user_id(self) -> int | None:
        """The id of the first person created (the lowest), or None."""
        result: int | None = await self._read(
            lambda conn: conn.execute("SELECT min(id) FROM users").fetchone()[0]
        )
        return result
