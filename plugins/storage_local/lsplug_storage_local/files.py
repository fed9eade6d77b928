"""Writing a group of task files at once: each replaced atomically, all made durable together.

Implements no hook; used by :class:`lsplug_storage_local.sink.LocalSink`. Why a group: on
Linux one ``syncfs`` after a group of renames makes every file of the group durable (the
data and the new names) for the price of about one ``fsync``, where an ``fsync`` per file
cost the disk a journal commit each. Elsewhere each file and the folder are fsynced.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

Item = tuple[Path, bytes | None]
"""A file and its new content; ``None`` removes the file."""

_TAG = uuid.uuid4().hex[:12]  # this process's temp names never clash with another's
_count = itertools.count()


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        syncfs: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return syncfs


_syncfs = _load_syncfs()


def temp_name(target: Path) -> Path:
    """A unique hidden name beside ``target``: sources skip it, and it never clashes."""
    return target.with_name(f".{target.name}.{_TAG}{next(_count)}.tmp")


def write_group(folder: Path, items: Sequence[Item]) -> list[BaseException | None]:
    """Write (or remove) each file, then make the whole group durable; the error of each.

    A file's error leaves the others alone; a folder that cannot be made or synced fails
    them all (raised), so the caller tries them again.
    """
    folder.mkdir(parents=True, exist_ok=True)
    errors: list[BaseException | None] = []
    written: list[Path] = []
    for path, data in items:
        try:
            _apply(path, data)
        except OSError as exc:
            errors.append(exc)
        else:
            errors.append(None)
            written.append(path)
    make_durable(folder, written)
    return errors


def _apply(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
    else:
        replace_file(path, data)


def replace_file(target: Path, data: bytes) -> None:
    """Write ``data`` to a hidden file beside ``target`` and rename it over: readers see
    the old file or the new one, never half of one. Not synced: see :func:`make_durable`."""
    temp = temp_name(target)
    # 0o666 lets the umask decide, as for any file the user writes (mkstemp would force 0o600).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def make_durable(folder: Path, written: Sequence[Path]) -> None:
    """Make the files written (and removed) in ``folder`` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        if _syncfs is not None:
            if _syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err), str(folder))
            return
        for path in written:
            _fsync_path(path)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_path(path: Path) -> None:
    if not path.exists():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
