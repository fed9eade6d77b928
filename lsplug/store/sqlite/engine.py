"""SQLite off the event loop: one writer thread with group commit, a pool of readers.

Why one writer: SQLite takes one write transaction at a time anyway; a single thread that
runs every queued write inside one transaction (each in its own savepoint, so one failure
rolls back only itself) pays one fsync for a whole burst of completions. A write's future
resolves only after its transaction committed, so an acknowledged write is durable.

Why a checkpoint thread: the commit that fills the WAL past 1,000 pages copies them into
the database file, and every write queued behind it waits (that commit took 5 to 40 ms
where others take 0.5). A thread of its own checkpoints in PASSIVE mode soon after commits,
beside the writer and never blocking it, so that commit finds the pages already copied. The
writer keeps its own checkpoint all the same: only a checkpoint between two of its commits
catches up with the whole WAL, which lets the next write start the WAL over (under steady
writes the thread's alone would let the file grow without end).

A full disk (SQLITE_FULL: the WAL or the database cannot grow) fails the writes of that
transaction with `DiskFull` (507) and nothing of them is kept; SQLite may have rolled the
whole transaction back itself, and then every write of the batch fails, never half of them.
The thread goes on, and writes succeed again once there is room.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lsplug.errors import DiskFull

T = TypeVar("T")
log = logging.getLogger(__name__)
MAX_BATCH = 512
CHECKPOINT_SECONDS = 0.05
"""The checkpoint thread runs at most this often, and only after a commit."""


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with WAL on."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-16000")
    if read_only:
        conn.execute("PRAGMA query_only=1")
    return conn


@dataclass
class _Op:
    fn: Callable[[sqlite3.Connection], Any]
    durable: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _settle_all(outcomes: list[tuple[_Op, Any, BaseException | None]]) -> None:
    """Hand a batch's outcomes to their loops: one wake-up per loop, not one per write."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Op, Any, BaseException | None]]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, settled in by_loop.items():
        loop.call_soon_threadsafe(_settle_each, settled)


def _settle_each(outcomes: list[tuple[_Op, Any, BaseException | None]]) -> None:
    for op, result, error in outcomes:
        _settle(op.future, result, error)


class Writer(threading.Thread):
    """The one thread that writes; see the module docstring."""

    def __init__(self, path: Path, synchronous: str) -> None:
        super().__init__(name="lsplug-sqlite-writer", daemon=True)
        self._path = path
        self._durable_mode = synchronous.upper()
        self._queue: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._mode = ""
        self._checkpointer = Checkpointer(path)

    async def submit(self, fn: Callable[[sqlite3.Connection], T], durable: bool = True) -> T:
        """Run ``fn(conn)`` in the next write transaction; returns once it committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Op(fn, durable, loop, future))
        return await future

    def stop(self) -> None:
        """Finish the queued writes, then end the thread (and the checkpoint thread)."""
        self._queue.put(None)
        self.join()

    def run(self) -> None:
        conn = connect(self._path)
        self._checkpointer.start()
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    break
                self._run_batch(conn, batch)
                self._checkpointer.wanted.set()
                del batch  # an import's tasks must not outlive it while the thread waits
        finally:
            self._checkpointer.stop()
            conn.close()

    def _next_batch(self) -> list[_Op] | None:
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                op = self._queue.get_nowait()
            except queue.Empty:
                break
            if op is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(op)
        return batch

    def _set_mode(self, conn: sqlite3.Connection, durable: bool) -> None:
        """FULL sync for batches holding a durable write; leases and such need none."""
        mode = self._durable_mode if durable else "NORMAL"
        if mode != self._mode:
            conn.execute(f"PRAGMA synchronous={mode}")
            self._mode = mode

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Op]) -> None:
        self._set_mode(conn, any(op.durable for op in batch))
        outcomes: list[tuple[_Op, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op in batch:
                outcomes.append((op, *_run_op(conn, op.fn, alone=len(batch) == 1)))
            conn.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nothing was written
            _roll_back(conn)
            outcomes = [(op, None, exc) for op in batch]
        _settle_all([(op, result, _mapped(error)) for op, result, error in outcomes])


class Checkpointer(threading.Thread):
    """Copies the WAL into the database file beside the writer; see the module docstring."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="lsplug-sqlite-checkpoint", daemon=True)
        self._path = path
        self.wanted = threading.Event()
        self._stopping = False

    def stop(self) -> None:
        """Checkpoint what is left, then end the thread."""
        self._stopping = True
        self.wanted.set()
        self.join()

    def run(self) -> None:
        conn = connect(self._path)
        try:
            while not self._stopping:
                self.wanted.wait()
                self.wanted.clear()
                _checkpoint(conn)
                if not self._stopping:
                    time.sleep(CHECKPOINT_SECONDS)
            _checkpoint(conn)
        finally:
            conn.close()


def _checkpoint(conn: sqlite3.Connection) -> None:
    """One PASSIVE checkpoint; a failure is logged and the next commit tries again."""
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error as exc:
        log.warning("the WAL checkpoint failed (retried after the next commit): %s", exc)


def _run_op(
    conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any], alone: bool
) -> tuple[Any, BaseException | None]:
    """Run one write; a failure undoes only its own changes (its savepoint, or all if alone).

    When SQLite ended the whole transaction itself (it may, on SQLITE_FULL), the error is
    raised: the batch's other writes are gone too and must fail with it.
    """
    if alone:
        try:
            return fn(conn), None
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("BEGIN IMMEDIATE")  # the COMMIT that follows commits nothing
            return None, exc
    conn.execute("SAVEPOINT op")
    try:
        result = fn(conn)
    except Exception as exc:
        if not conn.in_transaction:
            raise
        conn.execute("ROLLBACK TO op")
        conn.execute("RELEASE op")
        return None, exc
    conn.execute("RELEASE op")
    return result, None


def _roll_back(conn: sqlite3.Connection) -> None:
    """End a failed batch's transaction; a failure here (a full disk) must not end the thread."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        log.warning("rolling back a failed write batch failed: %s", exc)


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether SQLite failed for lack of room (SQLITE_FULL, any extended code)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF == sqlite3.SQLITE_FULL
    )


def _mapped(exc: BaseException | None) -> BaseException | None:
    """A write's error as the caller should see it: a full disk is `DiskFull` (507)."""
    if is_disk_full(exc):
        return DiskFull(
            "disk full: the database could not grow, so nothing of this change was stored; "
            "free some space and send it again"
        )
    return exc


class Readers:
    """A small pool of threads, each with its own read-only connection."""

    def __init__(self, path: Path, size: int = 4) -> None:
        self._path = path
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="lsplug-sqlite-read")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self._path, read_only=True)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on a reader thread, in one read transaction."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._read, fn)

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Stop the threads and close their connections."""
        self._pool.shutdown(wait=True)
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
