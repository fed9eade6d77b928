"""What every part of the PostgreSQL store shares: the pool, transactions, a process lock,
and the mapping of a full disk to `DiskFull`."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from lsplug.errors import DiskFull
from lsplug.store.postgres.ops import Tx

T = TypeVar("T")
C = TypeVar("C", bound=type)


def disk_full_mapped(cls: C) -> C:
    """Make every public coroutine method of a store class raise `DiskFull` (507) where
    PostgreSQL reports a full disk (SQLSTATE 53100, asyncpg's ``DiskFullError``); the
    statement or transaction that met it was rolled back, so nothing of it is kept."""
    for name in dir(cls):
        method = getattr(cls, name)
        if not name.startswith("_") and inspect.iscoroutinefunction(method):
            setattr(cls, name, _mapping_disk_full(method))
    return cls


def _mapping_disk_full(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(method)
    async def mapped(*args: Any, **kwargs: Any) -> T:
        try:
            return await method(*args, **kwargs)
        except asyncpg.exceptions.DiskFullError:
            raise DiskFull(
                "disk full: the database could not grow, so nothing of this change was "
                "stored; free some space and send it again"
            ) from None

    return mapped


def count_of(status: str) -> int:
    """The row count of a command status such as ``DELETE 3``."""
    return int(status.split()[-1])


class PgBase:
    """The connection pool and the ways to run work on it."""

    _pool: asyncpg.Pool | None = None

    def _p(self) -> Any:
        """The open pool."""
        assert self._pool is not None, "the store is not open"
        return self._pool

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str, wait: bool = False) -> AsyncIterator[bool]:
        """Whether this process holds the lock ``name`` for the block (``wait``: until it can).

        A session advisory lock on a connection of its own: when the process dies, its
        connection ends and the lock is free for another process (jobs taken over).
        """
        key = "(SELECT hashtextextended($1, 0))"
        async with self._p().acquire() as conn:
            if wait:
                await conn.fetchval(f"SELECT pg_advisory_lock({key})", name)
                got = True
            else:
                got = await conn.fetchval(f"SELECT pg_try_advisory_lock({key})", name)
            try:
                yield got
            finally:
                if got:
                    await conn.fetchval(f"SELECT pg_advisory_unlock({key})", name)

    async def _write(self, fn: Callable[[Tx], Awaitable[T]], durable: bool = True) -> T:
        """Run ``fn`` in one transaction; its counter changes are written last.

        ``durable=False`` (leases, claims): the commit does not wait for the disk; a crash of
        the database, never of a server process, may forget it.
        """
        assert self._pool is not None, "the store is not open"
        async with self._pool.acquire() as conn, conn.transaction():
            if not durable:
                await conn.execute("SET LOCAL synchronous_commit = off")
            tx = Tx(conn)
            result = await fn(tx)
            await tx.flush()
            return result

    async def _read(self, fn: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run ``fn`` in one read-only snapshot."""
        assert self._pool is not None, "the store is not open"
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            return await fn(conn)

    async def _column(self, sql: str, *args: Any) -> list[Any]:
        assert self._pool is not None, "the store is not open"
        return [r[0] for r in await self._pool.fetch(sql, *args)]
