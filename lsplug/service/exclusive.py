"""Background work that one process at a time may do, when several share a store.

Every store offers ``exclusive(name, wait)``, a lock that ends with the process holding it
(:class:`~lsplug.store.roles.LockStore`). A job wrapped here waits for the lock, so on a
store several server processes share (PostgreSQL) a second process runs the same job after
the first finished or died (a sync then finds the objects already synced and skips them).
A store of one process (SQLite) holds no lock: the job just runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from lsplug.store import LockStore

J = TypeVar("J")


def one_process_at_a_time(
    store: LockStore, name: str, work: Callable[[J], Awaitable[None]]
) -> Callable[[J], Awaitable[None]]:
    """``work`` run under the store's process lock ``name``."""

    async def alone(job: J) -> None:
        async with store.exclusive(name, wait=True):
            await work(job)

    return alone
