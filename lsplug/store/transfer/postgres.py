"""Moving projects and people out of and into a PostgreSQL store, ids kept.

:class:`PostgresSource` reads a database in one snapshot (a read-only repeatable-read
transaction, tables read through cursors); :func:`into_postgres` loads people and projects
in one transaction (see :mod:`lsplug.store.transfer.dump` for what travels).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from functools import partial
from typing import Any

import asyncpg

from lsplug.store.postgres.migrations import migrate
from lsplug.store.postgres.store import _redacted as redacted
from lsplug.store.rows import COUNTERS
from lsplug.store.transfer.dump import (
    BATCH,
    COLUMNS,
    COUNTED,
    MEMBER,
    PROJECT,
    TOKEN,
    USER,
    Loaded,
    PeopleDump,
    Progress,
    ProjectDump,
    Rows,
    TransferError,
)

CONNECT_SECONDS = 10.0
SHOWN = 20  # merged names listed in the report
BOOLEANS = {"is_labeled", "was_cancelled"}
ORDER = {"source_objects": "source, key", "source_items": "source, key", "outbox": "task_id"}
PROJECT_SQL = (
    f"SELECT {', '.join('p.' + k for k in PROJECT)}, "
    + ", ".join(f"coalesce(sum(c.{k}), 0)::bigint" for k in COUNTERS)
    + ", p.id FROM projects p LEFT JOIN project_counts c ON c.project_id = p.id "
    "WHERE p.uuid = $1 GROUP BY p.id"
)
STAGE_USERS = (
    "CREATE TEMP TABLE moved_users (src_id BIGINT PRIMARY KEY, name TEXT NOT NULL, "
    "password_hash TEXT NOT NULL, created_at BIGINT NOT NULL, "
    "merged BOOLEAN NOT NULL DEFAULT FALSE) ON COMMIT DROP"
)
# A person of the source is the target's person of the same name (a merged one keeps the
# target's password, and the source's tokens of that name do not sign in as them).
ADD_TOKENS = (
    "WITH added AS (INSERT INTO credentials SELECT t.digest, t.kind, u.id, t.expires_at "
    "FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) "
    "AS t(digest, kind, src_id, expires_at) "
    "JOIN moved_users m ON m.src_id = t.src_id AND NOT m.merged "
    "JOIN users u ON u.name = m.name ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT count(*) FROM added"
)
ADD_MEMBERS = (
    "INSERT INTO members SELECT $1, u.id, t.role "
    "FROM unnest($2::bigint[], $3::text[]) AS t(src_id, role) "
    "JOIN moved_users m ON m.src_id = t.src_id JOIN users u ON u.name = m.name "
    "ON CONFLICT DO NOTHING"
)


async def connect(url: str) -> asyncpg.Connection:
    """A connection at the newest schema; one clear error when the database is unreachable."""
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_SECONDS)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        raise TransferError(f"cannot reach {redacted(url)}: {exc}") from None
    try:
        await migrate(conn, redacted(url))
    except BaseException:
        await conn.close()
        raise
    return conn


class PostgresSource:
    """A PostgreSQL store read in one snapshot, without writing to it."""

    def __init__(self, conn: asyncpg.Connection, where: str) -> None:
        self.conn, self.where = conn, where
        self._snapshot = conn.transaction(isolation="repeatable_read", readonly=True)

    @classmethod
    async def open(cls, url: str) -> PostgresSource:
        """Connect (the schema brought to the newest version) and take the snapshot."""
        source = cls(await connect(url), redacted(url))
        await source._snapshot.start()
        return source

    async def dumps(self, uuids: list[str] | None = None) -> list[ProjectDump]:
        """The projects ``uuids`` (default: every project, oldest first)."""
        if uuids is None:
            uuids = [r[0] for r in await self.conn.fetch("SELECT uuid FROM projects ORDER BY id")]
        return [await self._dump(uuid) for uuid in uuids]

    async def _dump(self, uuid: str) -> ProjectDump:
        row = await self.conn.fetchrow(PROJECT_SQL, uuid)
        if row is None:
            raise TransferError(f"{self.where} has no project {uuid}")
        project = dict(zip(PROJECT, row, strict=False))
        counts = dict(zip(COUNTERS, row[len(PROJECT) :], strict=False))
        dump = ProjectDump(project, counts)
        for table in ("completions", "predictions"):
            dump.sequences[table] = await self.conn.fetchval(
                "SELECT coalesce(pg_sequence_last_value("
                "pg_get_serial_sequence($1, 'id')::regclass), 0)",
                table,
            )
        for table, columns in COLUMNS.items():
            sql = (
                f"SELECT {', '.join(columns)} FROM {table} WHERE project_id=$1 "
                f"ORDER BY {ORDER.get(table, 'id')}"
            )
            dump.tables[table] = partial(self._batches, sql, row[-1])
        members = f"SELECT {', '.join(MEMBER)} FROM members WHERE project_id=$1 ORDER BY user_id"
        dump.members = partial(self._batches, members, row[-1])
        return dump

    def people(self) -> PeopleDump:
        """Every user and their API tokens."""
        users = f"SELECT {', '.join(USER)} FROM users ORDER BY id"
        tokens = f"SELECT {', '.join(TOKEN)} FROM credentials WHERE kind='token' ORDER BY digest"
        return PeopleDump(partial(self._batches, users), partial(self._batches, tokens))

    async def _batches(self, sql: str, *args: Any) -> AsyncIterator[Rows]:
        cursor = await self.conn.cursor(sql, *args)
        while rows := await cursor.fetch(BATCH):
            yield [tuple(r) for r in rows]

    async def close(self) -> None:
        """End the snapshot and the connection."""
        try:
            await self._snapshot.rollback()
        finally:
            await self.conn.close()


async def into_postgres(
    url: str, people: PeopleDump, dumps: Iterable[ProjectDump], progress: Progress
) -> Loaded:
    """Load people, then projects, in one transaction; nothing is written when any of it
    fails."""
    conn = await connect(url)
    try:
        async with conn.transaction():
            loaded = Loaded()
            await _load_people(conn, people, loaded)
            for dump in dumps:
                loaded.project_ids.append(await _load_project(conn, dump, progress))
            return loaded
    finally:
        await conn.close()


async def write_postgres(url: str, dump: ProjectDump) -> int:
    """Load one project without people (a Label Studio 0.8 folder); its new id."""
    loaded = await into_postgres(url, PeopleDump(), [dump], lambda n: None)
    return loaded.project_ids[0]


def _columns(batch: Rows) -> list[list[Any]]:
    """Rows as one list per column, for ``unnest``."""
    return [list(c) for c in zip(*batch, strict=True)]


async def _load_people(conn: asyncpg.Connection, people: PeopleDump, loaded: Loaded) -> None:
    """Stage the source's users, add those whose name is new, then their tokens."""
    await conn.execute(STAGE_USERS)
    async for batch in people.users():
        await conn.execute(
            "INSERT INTO moved_users (src_id, name, password_hash, created_at) "
            "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])",
            *_columns(batch),
        )
    await conn.execute(
        "UPDATE moved_users m SET merged = EXISTS (SELECT 1 FROM users u WHERE u.name = m.name)"
    )
    merged = "SELECT name FROM moved_users WHERE merged ORDER BY src_id LIMIT $1"
    loaded.merged = [r[0] for r in await conn.fetch(merged, SHOWN)]
    loaded.merged_count = await conn.fetchval("SELECT count(*) FROM moved_users WHERE merged")
    status = await conn.execute(
        "INSERT INTO users (name, password_hash, created_at) "
        "SELECT name, password_hash, created_at FROM moved_users WHERE NOT merged ORDER BY src_id"
    )
    loaded.users_added = int(status.rpartition(" ")[2])
    async for batch in people.tokens():
        loaded.tokens += await conn.fetchval(ADD_TOKENS, *_columns(batch))


async def _load_project(conn: asyncpg.Connection, dump: ProjectDump, progress: Progress) -> int:
    """One project with every id kept; its id in the target."""
    p = dump.project
    if await conn.fetchval("SELECT 1 FROM projects WHERE uuid=$1", p["uuid"]):
        raise TransferError(f"the target already holds project {p['uuid']} ({p['title']!r})")
    pid: int = await conn.fetchval(
        f"INSERT INTO projects ({', '.join(PROJECT)}) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        *(p[k] for k in PROJECT),
    )
    await conn.execute(
        "INSERT INTO project_counts VALUES ($1, 0, $2, $3, $4, $5)",
        pid, *(dump.counts[k] for k in COUNTERS),
    )  # fmt: skip
    for table, read in dump.tables.items():
        async for batch in read():
            await _copy(conn, pid, table, batch)
            if table in COUNTED:
                progress(len(batch))
    async for batch in dump.members():
        await conn.execute(ADD_MEMBERS, pid, *_columns(batch))
    for table in ("completions", "predictions"):  # ids deleted at the source stay used
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"greatest((SELECT max(id) FROM {table}), $1, "
            f"(SELECT last_value FROM {table}_id_seq)))",
            dump.sequences.get(table, 0),
        )
    return pid


async def _copy(conn: asyncpg.Connection, pid: int, table: str, batch: Rows) -> None:
    """One batch of a table, by COPY; completion and prediction ids must be free."""
    columns = COLUMNS[table]
    if table in ("completions", "predictions") and await conn.fetchval(
        f"SELECT 1 FROM {table} WHERE id=ANY($1::bigint[]) LIMIT 1", [r[0] for r in batch]
    ):
        raise TransferError(f"the target's {table} already use some of these ids")
    await conn.copy_records_to_table(
        table,
        columns=["project_id", *columns],
        records=[(pid, *_pg_values(columns, r)) for r in batch],
    )


def _pg_values(columns: tuple[str, ...], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite's values as PostgreSQL's columns take them (booleans, text for bytes)."""
    return tuple(
        bool(v) if c in BOOLEANS else v.decode() if isinstance(v, bytes) else v
        for c, v in zip(columns, row, strict=True)
    )
