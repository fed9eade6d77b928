"""Moving projects and people out of and into a SQLite store's file, ids kept.

:class:`SQLiteSource` reads a store in one snapshot; :func:`into_sqlite` loads people and
projects in one transaction (see :mod:`lsplug.store.transfer.dump` for what travels).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from functools import partial
from pathlib import Path
from typing import Any

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

SHOWN = 20  # merged names listed in the report
STAGE_USERS = (
    "CREATE TEMP TABLE moved_users (src_id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, merged INTEGER NOT NULL DEFAULT 0)"
)
# A person of the source is the target's person of the same name (a merged one keeps the
# target's password, and the source's tokens of that name do not sign in as them).
ADD_TOKEN = (
    "INSERT OR IGNORE INTO credentials SELECT ?, ?, u.id, ? FROM moved_users m "
    "JOIN users u ON u.name = m.name WHERE m.src_id = ? AND NOT m.merged"
)
ADD_MEMBER = (
    "INSERT OR IGNORE INTO members SELECT ?, u.id, ? FROM moved_users m "
    "JOIN users u ON u.name = m.name WHERE m.src_id = ?"
)


class SQLiteSource:
    """A SQLite store (at the newest schema), read in one snapshot without writing to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        self.conn.execute("BEGIN")  # every table read from the same snapshot

    async def dumps(self, uuids: list[str] | None = None) -> list[ProjectDump]:
        """The projects ``uuids`` (default: every project, oldest first)."""
        if uuids is None:
            uuids = [r[0] for r in self.conn.execute("SELECT uuid FROM projects ORDER BY id")]
        return [self._dump(uuid) for uuid in uuids]

    def _dump(self, uuid: str) -> ProjectDump:
        names = ", ".join(PROJECT + COUNTERS + ("id",))
        row = self.conn.execute(f"SELECT {names} FROM projects WHERE uuid=?", (uuid,)).fetchone()
        if row is None:
            raise TransferError(f"{self.path} has no project {uuid}")
        project = dict(zip(PROJECT, row, strict=False))
        counts = dict(zip(COUNTERS, row[len(PROJECT) :], strict=False))
        dump = ProjectDump(project, counts)
        dump.sequences = dict(self.conn.execute("SELECT name, seq FROM sqlite_sequence"))
        for table, columns in COLUMNS.items():
            key = "id" if table in COUNTED else "rowid"
            sql = f"SELECT {', '.join(columns)} FROM {table} WHERE project_id=? ORDER BY {key}"
            dump.tables[table] = partial(self._batches, sql, (row[-1],))
        members = f"SELECT {', '.join(MEMBER)} FROM members WHERE project_id=? ORDER BY user_id"
        dump.members = partial(self._batches, members, (row[-1],))
        return dump

    def people(self) -> PeopleDump:
        """Every user and their API tokens."""
        users = f"SELECT {', '.join(USER)} FROM users ORDER BY id"
        tokens = f"SELECT {', '.join(TOKEN)} FROM credentials WHERE kind='token' ORDER BY digest"
        return PeopleDump(partial(self._batches, users, ()), partial(self._batches, tokens, ()))

    async def _batches(self, sql: str, args: tuple[Any, ...]) -> AsyncIterator[Rows]:
        cursor = self.conn.execute(sql, args)
        while rows := cursor.fetchmany(BATCH):
            yield rows

    async def close(self) -> None:
        """End the snapshot."""
        self.conn.close()


async def into_sqlite(
    path: Path, people: PeopleDump, dumps: Iterable[ProjectDump], progress: Progress
) -> Loaded:
    """Load people, then projects, into a store's file (schema made by the store) in one
    transaction; nothing is written when any of it fails."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        loaded = Loaded()
        await _load_people(conn, people, loaded)
        for dump in dumps:
            loaded.project_ids.append(await _load_project(conn, dump, progress))
        conn.execute("COMMIT")
        return loaded
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


async def write_sqlite(path: Path, dump: ProjectDump) -> int:
    """Load one project without people (a Label Studio 0.8 folder); its new id."""
    loaded = await into_sqlite(path, PeopleDump(), [dump], lambda n: None)
    return loaded.project_ids[0]


async def _load_people(conn: sqlite3.Connection, people: PeopleDump, loaded: Loaded) -> None:
    """Stage the source's users, add those whose name is new, then their tokens."""
    conn.execute(STAGE_USERS)
    async for batch in people.users():
        conn.executemany(
            "INSERT INTO moved_users (src_id, name, password_hash, created_at) VALUES (?,?,?,?)",
            batch,
        )
    conn.execute(
        "UPDATE moved_users SET merged = "
        "EXISTS (SELECT 1 FROM users u WHERE u.name = moved_users.name)"
    )
    merged = "SELECT name FROM moved_users WHERE merged ORDER BY src_id LIMIT ?"
    loaded.merged = [r[0] for r in conn.execute(merged, (SHOWN,))]
    count = conn.execute("SELECT count(*) FROM moved_users WHERE merged").fetchone()
    loaded.merged_count = count[0]
    loaded.users_added = conn.execute(
        "INSERT INTO users (name, password_hash, created_at) "
        "SELECT name, password_hash, created_at FROM moved_users WHERE NOT merged ORDER BY src_id"
    ).rowcount
    async for batch in people.tokens():
        rows = [(digest, kind, expires, user) for digest, kind, user, expires in batch]
        loaded.tokens += conn.executemany(ADD_TOKEN, rows).rowcount


async def _load_project(conn: sqlite3.Connection, dump: ProjectDump, progress: Progress) -> int:
    """One project with every id kept; its id in the target."""
    p = dump.project
    if conn.execute("SELECT 1 FROM projects WHERE uuid=?", (p["uuid"],)).fetchone():
        raise TransferError(f"the target already holds project {p['uuid']} ({p['title']!r})")
    names = PROJECT + COUNTERS
    cur = conn.execute(
        f"INSERT INTO projects ({', '.join(names)}) VALUES ({','.join('?' * len(names))})",
        (*(p[k] for k in PROJECT), *(dump.counts[k] for k in COUNTERS)),
    )
    pid = int(cur.lastrowid or 0)
    for table, read in dump.tables.items():
        columns = ("project_id", *COLUMNS[table])
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})"
        async for batch in read():
            try:
                conn.executemany(sql, [(pid, *r) for r in batch])
            except sqlite3.IntegrityError:
                raise TransferError(f"the target's {table} already use some of these ids") from None
            if table in COUNTED:
                progress(len(batch))
    async for batch in dump.members():
        conn.executemany(ADD_MEMBER, [(pid, role, user) for user, role in batch])
    for table in ("completions", "predictions"):
        _keep_sequence(conn, table, dump.sequences.get(table, 0))
    return pid


def _keep_sequence(conn: sqlite3.Connection, table: str, seq: int) -> None:
    """Ids deleted at the source stay used: AUTOINCREMENT goes on from the source's top."""
    conn.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT ?, 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
        (table, table),
    )
    conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, table))
