"""A file or a folder of task files as a task source.

Implements the objects behind ``lsplug_source_types`` (registered in
:mod:`lsplug_storage_local`): :class:`LocalSource`, a :class:`lsplug.hooks.TaskSource`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from lsplug.hooks import (
    SUPPORTED_EXTENSIONS,
    SourceItem,
    SourceObject,
    StorageContext,
    StorageError,
    read_tasks,
)
from lsplug_storage_local.paths import confined_path, describe_os_error, resolve_path


class LocalSource:
    """Tasks read from one file, or from every task file of a folder in name order."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.path = resolve_path(settings, ctx)
        self.ctx = ctx

    async def check(self) -> None:
        """Raise :class:`StorageError` unless the path is allowed and is a readable file
        or folder; from here on the source reads the path as resolved then."""
        self.path = await self.ctx.run_in_thread(confined_path, self.path, self.ctx)
        await self.ctx.run_in_thread(require_readable, self.path)

    async def list_objects(self) -> AsyncIterator[SourceObject]:
        """Yield the file, or the folder's task files sorted by relative path."""
        objects: list[SourceObject] = await self.ctx.run_in_thread(list_files, self.path)
        for obj in objects:
            yield obj

    async def read_object(self, obj: SourceObject) -> AsyncIterator[SourceItem]:
        """Yield the tasks of one listed file, keyed by position and content."""
        items: list[SourceItem] = await self.ctx.run_in_thread(
            read_items, self.path, obj.key, self.ctx.data_key
        )
        for item in items:
            yield item

    async def sign_url(self, url: str) -> str | None:
        """Local files hold no URLs that need signing."""
        return None

    async def close(self) -> None:
        """Nothing to release."""


def require_readable(path: Path) -> None:
    """Raise :class:`StorageError` unless ``path`` is a file or folder that can be read."""
    try:
        if path.is_dir():
            with os.scandir(path):
                return
        with path.open("rb"):
            return
    except FileNotFoundError:
        raise StorageError({"path": [f"No file or folder at {path}"]}) from None
    except OSError as exc:
        raise StorageError({"path": [f"Cannot read {describe_os_error(path, exc)}"]}) from None


def list_files(root: Path) -> list[SourceObject]:
    """Every object of the source at ``root``, in key order (blocking: run in a thread)."""
    require_readable(root)
    if not root.is_dir():
        return [x for x in [stat_object(root, root.name)] if x is not None]
    keys = sorted(walk_task_files(root))
    return [x for x in (stat_object(root / key, key) for key in keys) if x is not None]


def walk_task_files(root: Path) -> list[str]:
    """The posix paths, relative to ``root``, of its task files (hidden ones left out)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        base = PurePosixPath(Path(folder).relative_to(root).as_posix())
        found += [str(base / f) for f in files if is_task_file(f)]
    return found


def is_task_file(name: str) -> bool:
    """Whether a file in a source folder holds tasks: a visible file of a known type."""
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in SUPPORTED_EXTENSIONS


def stat_object(path: Path, key: str) -> SourceObject | None:
    """The listing entry of one file, or None when it vanished since it was seen."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return SourceObject(key=key, version=f"{st.st_mtime_ns}-{st.st_size}", size=st.st_size)


def read_items(root: Path, key: str, data_key: str | None) -> list[SourceItem]:
    """Read and parse one listed file into keyed items (blocking: run in a thread)."""
    content = object_path(root, key).read_bytes()
    tasks = read_tasks(key, content, data_key)
    return [
        SourceItem(key=f"{index}:{digest(task)}", task=task) for index, task in enumerate(tasks)
    ]


def object_path(root: Path, key: str) -> Path:
    """The file behind a listed key; a key that climbs out of the source is refused."""
    if root.is_file():
        return root
    relative = PurePosixPath(key)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"{key}: not a file of the source {root}")
    return root.joinpath(*relative.parts)


def digest(task: Any) -> str:
    """A short hash of a task's content, the same whatever the order of its keys."""
    return hashlib.sha1(
        orjson.dumps(task, option=orjson.OPT_SORT_KEYS), usedforsecurity=False
    ).hexdigest()[:16]
