"""Bulk work on many small objects: the collector paused, memory given back afterwards.

Why: parsing and converting 100,000 tasks creates hundreds of thousands of dicts that all
stay alive; the cyclic collector, triggered by the allocations, would walk them again and
again for nothing (it was most of an import's time). And glibc keeps the freed memory of
each thread's arena unless asked to return it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (re-entrant, across threads)."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            gc.disable()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.enable()


def _libc_trim() -> None:
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


def give_back_memory() -> None:
    """Return freed heap memory to the system after a large import (glibc only)."""
    _libc_trim()
