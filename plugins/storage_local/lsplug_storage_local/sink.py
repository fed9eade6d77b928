"""A folder of ``<task_id>.json`` files as a completion sink.

Implements the objects behind ``lsplug_sink_types`` (registered in
:mod:`lsplug_storage_local`): :class:`LocalSink`, a :class:`lsplug.hooks.CompletionSink`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsplug.hooks import StorageContext, StorageError
from lsplug_storage_local.paths import confined_path, describe_os_error, resolve_path


class LocalSink:
    """Completions written as one JSON document per task, each replaced atomically."""

    def __init__(self, settings: Mapping[str, Any], ctx: StorageContext) -> None:
        self.path = resolve_path(settings, ctx)
        self.ctx = ctx

    async def check(self) -> None:
        """Raise :class:`StorageError` unless the path is allowed; create the folder if
        needed and check that it can be written. From here on the sink writes to the path
        as resolved then."""
        self.path = await self.ctx.run_in_thread(confined_path, self.path, self.ctx)
        await self.ctx.run_in_thread(require_writable, self.path)

    async def write_task(self, task_id: int, document: bytes) -> None:
        """Write ``<task_id>.json`` so that readers see the old or the new one, never half."""
        await self.ctx.run_in_thread(write_atomically, self.task_file(task_id), document)

    async def delete_task(self, task_id: int) -> None:
        """Remove ``<task_id>.json`` if it is there."""
        await self.ctx.run_in_thread(remove_file, self.task_file(task_id))

    async def close(self) -> None:
        """Nothing to release."""

    def task_file(self, task_id: int) -> Path:
        """The document of one task (``int`` keeps a stray string out of the path)."""
        return self.path / f"{int(task_id)}.json"


def require_writable(folder: Path) -> None:
    """Create ``folder`` and a scratch file in it, or raise :class:`StorageError`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        scratch = temp_name(folder / "check")
        os.close(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        scratch.unlink()
    except OSError as exc:
        raise StorageError({"path": [f"Cannot write {describe_os_error(folder, exc)}"]}) from None


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a hidden file beside ``target``, sync it, then rename it over."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_name(target)
    # 0o666 lets the umask decide, as for any file the user writes (mkstemp would force 0o600).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_file(path: Path) -> None:
    """Remove ``path``; a file already gone is no error (a delete may be retried)."""
    path.unlink(missing_ok=True)


def temp_name(target: Path) -> Path:
    """A unique hidden name beside ``target``: sources skip it, and it never clashes."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
