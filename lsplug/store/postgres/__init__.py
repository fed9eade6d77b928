"""The PostgreSQL store (asyncpg): one database that any number of server processes share.

:class:`PostgresStore` (:mod:`.store`) is the :class:`~lsplug.store.roles.Store` interface;
its parts: :mod:`.base` (the pool, transactions, process locks), :mod:`.ops` (the work
inside a transaction), :mod:`.leasing` (how ``/next`` leases a task across processes),
:mod:`.predictions`, :mod:`.outbox` (sources and the sink outbox, claimed by one process at
a time), :mod:`.people`, :mod:`.jobs`; the schema is ``schema.sql``, its later steps
:mod:`.migrations`.
"""

from __future__ import annotations

from lsplug.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
