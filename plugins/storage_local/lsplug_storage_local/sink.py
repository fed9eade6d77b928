"""A folder of ``<task_id>.json`` files as a completion sink.

Implements the objects behind ``lsplug_sink_types`` (registered in
:mod:`lsplug_storage_local`): :class:`LocalSink`, a :class:`lsplug.hooks.CompletionSink`.
Writes that arrive together (the outbox writes several tasks at once) go to disk as one
group in one thread: one trip off the event loop and one sync for the group
(:mod:`lsplug_storage_local.files`). A write returns once its file is durable.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsplug.hooks import StorageContext, StorageError
from lsplug_storage_local.files import temp_name, write_group
from lsplug_storage_local.paths import confined_path, describe_os_error, resolve_path

Pending = tuple[Path, bytes | None, asyncio.Future[None]]


class LocalSink:
    """Completions written as one JSON document per task, each replaced atomically."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.path = resolve_path(settings, ctx)
        self.ctx = ctx
        self._pending: list[Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def check(self) -> None:
        """Raise :class:`StorageError` unless the path is allowed; create the folder if
        needed and check that it can be written. From here on the sink writes to the path
        as resolved then."""
        self.path = await self.ctx.run_in_thread(confined_path, self.path, self.ctx)
        await self.ctx.run_in_thread(require_writable, self.path)

    async def write_task(self, task_id: int, document: bytes) -> None:
        """Write ``<task_id>.json`` so that readers see the old or the new one, never half."""
        await self._submit(self.task_file(task_id), document)

    async def delete_task(self, task_id: int) -> None:
        """Remove ``<task_id>.json`` if it is there."""
        await self._submit(self.task_file(task_id), None)

    async def close(self) -> None:
        """Wait for the writes under way."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    def task_file(self, task_id: int) -> Path:
        """The document of one task (``int`` keeps a stray string out of the path)."""
        return self.path / f"{int(task_id)}.json"

    async def _submit(self, path: Path, data: bytes | None) -> None:
        """Join the next group of writes; return once it is on disk (or raise its error)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((path, data, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_groups())
        await done

    async def _write_groups(self) -> None:
        """Write what is pending, group after group, until nothing is."""
        try:
            while self._pending:
                group, self._pending = self._pending, []
                await self._write_group(group)
        finally:
            self._writer = None

    async def _write_group(self, group: list[Pending]) -> None:
        items = [(path, data) for path, data, _ in group]
        try:
            errors = await self.ctx.run_in_thread(write_group, self.path, items)
        except Exception as exc:  # the folder or the sync failed: every write of the group
            errors = [exc] * len(group)
        for (_, _, done), error in zip(group, errors, strict=True):
            if done.done():
                continue
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)


def require_writable(folder: Path) -> None:
    """Create ``folder`` and a scratch file in it, or raise :class:`StorageError`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        scratch = temp_name(folder / "check")
        os.close(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        scratch.unlink()
    except OSError as exc:
        raise StorageError({"path": [f"Cannot write {describe_os_error(folder, exc)}"]}) from None
