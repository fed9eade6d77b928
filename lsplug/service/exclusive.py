"""Background work that one process at a time may do, when several share a store.

A store that several server processes can share (PostgreSQL) offers ``exclusive(name,
wait)``, a lock that ends with the process holding it. A job wrapped here waits for the
lock, so a second process runs the same job after the first finished or died (a sync then
finds the objects already synced and skips them). A store of one process has no such lock:
the job just runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lsplug.store.base import Store

J = TypeVar("J")


def one_process_at_a_time(
    store: Store, name: str, work: Callable[[J], Awaitable[None]]
) -> Callable[[J], Awaitable[None]]:
    """``work`` run under the store's process lock ``name``, if the store has one."""
    exclusive: Any = getattr(store, "exclusive", None)
    if exclusive is None:
        return work

    async def alone(job: J) -> None:
        async with exclusive(name, wait=True):
            await work(job)

    return alone
