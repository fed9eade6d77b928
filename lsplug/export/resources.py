"""Which files an export may put into its zip: the project's own, never the network.

A task's URL is read when it names a file inside one of the project's folders:

- ``/data/upload/<name>`` (or ``upload/<name>``): ``<data_dir>/upload/<name>``;
- ``/data/local-files/?d=<path>``, a ``file://`` URL or a plain path: a file inside the
  ``input_path`` folder (the folder of ``input_path`` when it names a file), relative
  paths taken from that folder.

Anything else (``http(s)://``, ``s3://``, a path outside those folders, ``..`` tricks) is
not read: the exporter lists it in its summary instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from lsplug.config import Config

MAX_RESOURCE_BYTES = 512 * 1024 * 1024


def allowed_roots(config: Config) -> tuple[Path | None, Path | None]:
    """The uploads folder and the input folder of a project (None when it has none)."""
    upload = (config.path(config.data_dir) / "upload").resolve()
    inputs = None
    if config.input_path:
        path = config.path(config.input_path).resolve()
        inputs = path if path.is_dir() else path.parent
    return upload, inputs


def _inside(root: Path | None, relative: str) -> Path | None:
    """``root/relative`` if it stays inside ``root`` and is a file."""
    if root is None or not relative:
        return None
    given = Path(relative)
    path = (given if given.is_absolute() else root / given).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def locate(url: str, config: Config) -> Path | None:
    """The project file a task's URL names, or None when it may not be read."""
    upload, inputs = allowed_roots(config)
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.scheme not in ("", "file"):
        return None
    if path.startswith(("/data/upload/", "upload/")):
        return _inside(upload, path.split("upload/", 1)[1])
    if path.rstrip("/") == "/data/local-files":
        return _inside(inputs, (parse_qs(parts.query).get("d") or [""])[0])
    return _inside(inputs, path)


def _read(path: Path) -> bytes | None:
    if path.stat().st_size > MAX_RESOURCE_BYTES:
        return None
    return path.read_bytes()


def resource_reader(config: Config) -> Callable[[str], Awaitable[bytes | None]]:
    """``open_resource`` for :class:`ExportContext`: a project file's bytes, else None."""

    async def open_resource(url: str) -> bytes | None:
        path = locate(url, config)
        if path is None:
            return None
        try:
            return await asyncio.to_thread(_read, path)
        except OSError:
            return None

    return open_resource
