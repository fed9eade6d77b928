"""The SQLite engine's threads: group commit, the checkpoint thread, and the event loop the
server runs on."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import uvloop

from lsplug.cli.start import new_event_loop
from lsplug.store.sqlite import engine as sqlite_engine
from lsplug.store.sqlite.engine import Writer, connect

PAGE = 4096


def _make_table(path: Path) -> None:
    conn = connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    conn.close()


def _insert(i: int) -> Callable[[sqlite3.Connection], int]:
    def op(conn: sqlite3.Connection) -> int:
        cur = conn.execute("INSERT INTO t (body) VALUES (?)", (f"row {i} " + "x" * 3000,))
        assert cur.lastrowid is not None
        return cur.lastrowid

    return op


async def test_steady_writes_keep_the_wal_small(tmp_path: Path) -> None:
    """4,000 commits back to back (a page or more each): the WAL still starts over."""
    path = tmp_path / "db.sqlite3"
    _make_table(path)
    writer = Writer(path, "full")
    writer.start()
    try:
        for i in range(4000):
            await writer.submit(_insert(i))
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size < 1500 * PAGE, "the WAL never started over"
    finally:
        writer.stop()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (4000,)
    conn.close()


async def test_the_checkpoint_thread_copies_the_wal_soon_after_commits(tmp_path: Path) -> None:
    """A few commits (far fewer than the writer's own 1,000-page checkpoint) are copied into
    the database file by the checkpoint thread within a few of its periods."""
    path = tmp_path / "db.sqlite3"
    _make_table(path)
    writer = Writer(path, "full")
    writer.start()
    try:
        for i in range(30):
            await writer.submit(_insert(i))
        await asyncio.sleep(sqlite_engine.CHECKPOINT_SECONDS * 4)
        alone = tmp_path / "file-alone.sqlite3"  # the database file without its WAL
        shutil.copyfile(path, alone)
    finally:
        writer.stop()
    conn = sqlite3.connect(alone)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (30,)
    conn.close()


async def test_writes_of_one_batch_each_get_their_own_outcome(tmp_path: Path) -> None:
    """Outcomes are handed back a batch at a time; each caller still gets its own result,
    and a failing write rolls back only itself."""
    path = tmp_path / "db.sqlite3"
    _make_table(path)
    writer = Writer(path, "full")
    writer.start()

    def fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (body) VALUES ('undone')")
        raise ValueError("bad write")

    try:
        results = await asyncio.gather(
            *(writer.submit(_insert(i)) for i in range(50)),
            writer.submit(fail),
            return_exceptions=True,
        )
    finally:
        writer.stop()
    assert sorted(r for r in results[:50] if isinstance(r, int)) == list(range(1, 51))
    assert isinstance(results[50], ValueError)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM t WHERE body='undone'").fetchone() == (0,)
    conn.close()


def test_the_server_runs_on_uvloop() -> None:
    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


@pytest.mark.parametrize("synchronous", ["full", "normal"])
async def test_a_closed_writer_leaves_everything_in_the_file(
    tmp_path: Path, synchronous: str
) -> None:
    path = tmp_path / "db.sqlite3"
    _make_table(path)
    writer = Writer(path, synchronous)
    writer.start()
    for i in range(20):
        await writer.submit(_insert(i))
    writer.stop()
    assert not path.with_name(path.name + "-wal").exists()  # checkpointed and removed
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (20,)
    conn.close()
