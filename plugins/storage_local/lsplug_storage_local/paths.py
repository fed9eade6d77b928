"""Where a local storage lives: the ``path`` setting, resolved against the config folder.

Implements no hook; shared by :mod:`lsplug_storage_local.source` and
:mod:`lsplug_storage_local.sink`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsplug.hooks import StorageContext, StorageError


def resolve_path(settings: Mapping[str, Any], ctx: StorageContext) -> Path:
    """The absolute path a storage's settings name (not yet confined: see
    :func:`confined_path`); a missing path is refused when the storage is created."""
    raw = settings.get("path")
    if not isinstance(raw, str | Path) or not str(raw).strip():
        raise StorageError({"path": ["This field is required."]})
    if "\x00" in str(raw):
        raise StorageError({"path": ["a path cannot hold a NUL character"]})
    return ctx.config_dir / Path(raw).expanduser()


def confined_path(path: Path, ctx: StorageContext) -> Path:
    """``path`` confined to the roots the context allows (set through the API: inside
    ``local_files_roots``, links followed); blocking, run it in a thread."""
    return ctx.confined(path)


def describe_os_error(path: Path, exc: OSError) -> str:
    """A one-line message for an ``OSError`` met at ``path``, for a :class:`StorageError`."""
    return f"{path}: {exc.strerror or exc}"
