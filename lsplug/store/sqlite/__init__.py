"""The SQLite store: one WAL file, a writer thread with group commit, reader threads.

:class:`SQLiteStore` (:mod:`.store`) is the :class:`~lsplug.store.roles.Store` interface; its
parts: :mod:`.base` (the file, its migrations, the threads), :mod:`.engine` (the writer,
checkpoint and reader threads), :mod:`.ops` (the work inside a transaction),
:mod:`.leasing` (how ``/next`` chooses and leases a task), :mod:`.export` (export reads),
:mod:`.people`, :mod:`.side` (predictions, sources, outbox), :mod:`.jobs`; the schema is
``schema.sql``, its later steps :mod:`.migrations`.
"""

from __future__ import annotations

from lsplug.store.errors import SchemaTooNew
from lsplug.store.sqlite.base import SCHEMA_VERSION, SQLiteBase
from lsplug.store.sqlite.store import SQLiteStore

__all__ = ["SCHEMA_VERSION", "SQLiteBase", "SQLiteStore", "SchemaTooNew"]
