"""The PostgreSQL store's projects list and people: users, credentials, members."""

from __future__ import annotations

import time

import asyncpg
import orjson

from lsplug.store.postgres.base import PgBase
from lsplug.store.rows import COUNTERS, ProjectRow, UserRow

PROJECT_SQL = (
    "SELECT p.id, p.uuid, p.title, p.label_config, p.settings, "
    + ", ".join(f"coalesce(sum(c.{k}), 0)::bigint" for k in COUNTERS)
    + ", p.created_at FROM projects p LEFT JOIN project_counts c ON c.project_id=p.id "
)
USER_COLUMNS = "id, name, password_hash"


def project_row(row: asyncpg.Record) -> ProjectRow:
    """A project row (settings decoded)."""
    values = list(row)
    values[4] = orjson.loads(values[4])
    return ProjectRow(*values)


class PeopleMixin(PgBase):
    """Projects by uuid and the sign-in tables, on the store's pool."""

    async def find_project(self, uuid: str) -> ProjectRow | None:
        """The project with ``uuid``, or None."""
        row = await self._p().fetchrow(PROJECT_SQL + "WHERE p.uuid=$1 GROUP BY p.id", uuid)
        return project_row(row) if row else None

    async def list_projects(self) -> list[ProjectRow]:
        """Every project, oldest first."""
        rows = await self._p().fetch(PROJECT_SQL + "GROUP BY p.id ORDER BY p.id")
        return [project_row(r) for r in rows]

    async def add_user(self, name: str, password_hash: str) -> UserRow:
        """Add a person, or set the password of the one called ``name``."""
        row = await self._p().fetchrow(
            "INSERT INTO users (name, password_hash, created_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET password_hash=excluded.password_hash "
            f"RETURNING {USER_COLUMNS}",
            name,
            password_hash,
            int(time.time()),
        )
        return UserRow(*row)

    async def find_user(self, name: str) -> UserRow | None:
        """The person called ``name``, or None."""
        row = await self._p().fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE name=$1", name)
        return UserRow(*row) if row else None

    async def count_users(self) -> int:
        """How many people can sign in."""
        count: int = await self._p().fetchval("SELECT count(*) FROM users")
        return count

    async def add_credential(
        self, digest: str, kind: str, user_id: int, expires_at: int | None
    ) -> None:
        """Keep a session or token digest."""
        await self._p().execute(
            "INSERT INTO credentials VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO UPDATE "
            "SET kind=excluded.kind, user_id=excluded.user_id, expires_at=excluded.expires_at",
            digest,
            kind,
            user_id,
            expires_at,
        )

    async def credential_user(self, digest: str, kind: str, now: int) -> UserRow | None:
        """The person a live credential belongs to."""
        row = await self._p().fetchrow(
            "SELECT u.id, u.name, u.password_hash FROM credentials c "
            "JOIN users u ON u.id = c.user_id WHERE c.digest=$1 AND c.kind=$2 "
            "AND (c.expires_at IS NULL OR c.expires_at > $3)",
            digest,
            kind,
            now,
        )
        return UserRow(*row) if row else None

    async def delete_credential(self, digest: str) -> None:
        """Forget a credential."""
        await self._p().execute("DELETE FROM credentials WHERE digest=$1", digest)

    async def set_member(self, project_id: int, user_id: int, role: str) -> None:
        """Make a person a member of a project."""
        await self._p().execute(
            "INSERT INTO members VALUES ($1, $2, $3) "
            "ON CONFLICT (project_id, user_id) DO UPDATE SET role=excluded.role",
            project_id,
            user_id,
            role,
        )

    async def member_role(self, project_id: int, user_id: int) -> str | None:
        """A person's role in a project, or None."""
        role: str | None = await self._p().fetchval(
            "SELECT role FROM members WHERE project_id=$1 AND user_id=$2", project_id, user_id
        )
        return role

    async def has_owner(self, project_id: int) -> bool:
        """Whether a project has a member with the role ``owner``."""
        found = await self._p().fetchval(
            "SELECT 1 FROM members WHERE project_id=$1 AND role='owner' LIMIT 1", project_id
        )
        return found is not None

    async def first_user_id(self) -> int | None:
        """The id of the first person created (the lowest), or None."""
        found: int | None = await self._p().fetchval("SELECT min(id) FROM users")
        return found
