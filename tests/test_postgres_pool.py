"""The PostgreSQL store's connection pool: released connections are cheap and clean."""

from __future__ import annotations

import asyncpg
from pgserver import PgServer

from lsplug.store.postgres import PostgresStore


async def test_a_connection_released_inside_a_transaction_is_rolled_back(
    pg_server: PgServer,
) -> None:
    """The pool skips asyncpg's reset round trip; a transaction a failure left open is still
    rolled back before the connection serves anyone else."""
    store = PostgresStore(pg_server.new_database(), pool_size=1)
    await store.open()
    try:
        pool = store._p()
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE scratch (n INT)")
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO scratch VALUES (1)")
        async with pool.acquire() as conn:  # the same connection: the pool holds one
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM scratch") == 0
    finally:
        await store.close()


async def test_the_pool_sends_no_reset_query(pg_server: PgServer) -> None:
    """Releasing a connection costs no round trip: the server sees no statement for it."""
    store = PostgresStore(pg_server.new_database(), pool_size=1)
    await store.open()
    try:
        pool = store._p()
        async with pool.acquire() as conn:
            backend = await conn.fetchval("SELECT pg_backend_pid()")
        watcher = await asyncpg.connect(pg_server.url())
        try:
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
            query = await watcher.fetchval(
                "SELECT query FROM pg_stat_activity WHERE pid=$1", backend
            )
        finally:
            await watcher.close()
        assert query == "SELECT 1"  # the last statement it ran, not asyncpg's reset
    finally:
        await store.close()
