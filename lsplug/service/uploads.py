"""Files uploaded for import: task files parsed into items, media files stored under random
names in ``<data_dir>/upload``, one task each.

The client's file name chooses only the extension (from a fixed list of media types), so a
name can neither climb out of the folder nor pick the type the file is served with; a name
holding a control character or a slash is refused. :func:`uploaded_items` is CPU and disk
work: callers run it in a thread.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from lsplug.errors import BadInput, DiskFull
from lsplug.importer.files import open_files, read_files, read_sources
from lsplug.importer.formats import FormatError

MEDIA_EXTENSIONS = {
    "image": (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"),
    "audio": (".mp3", ".wav", ".ogg", ".flac", ".m4a", ".aac"),
    "video": (".mp4", ".webm", ".mov", ".mkv"),
}
URL_PREFIX = "/data/upload/"
MAX_NAME = 255


@dataclass(frozen=True)
class Upload:
    """One uploaded file of an import: the name the client gave and its bytes."""

    name: str
    content: bytes


def check_file_name(name: str) -> None:
    """Refuse a file name holding a control character (NUL...), a slash, or too long."""
    bad = next((c for c in name if ord(c) < 32 or ord(c) == 127 or c in "/\\"), None)
    if bad is not None:
        shown = name.encode("unicode_escape").decode()[:100]
        raise BadInput(
            f"the uploaded file name {shown!r} holds {_char_name(bad)}; a file name may "
            "not hold control characters or slashes"
        )
    if len(name) > MAX_NAME:
        raise BadInput(f"an uploaded file name is longer than {MAX_NAME} characters")


def _char_name(char: str) -> str:
    if char in "/\\":
        return f"a slash ({char!r})"
    return "a NUL byte (\\x00)" if char == "\0" else f"a control character (\\x{ord(char):02x})"


def media_kind(name: str) -> str | None:
    """``image``, ``audio`` or ``video`` for a media file name, else None."""
    suffix = PurePath(name.replace("\\", "/")).suffix.lower()
    return next((kind for kind, exts in MEDIA_EXTENSIONS.items() if suffix in exts), None)


def uploaded_items(
    uploads: Sequence[Upload], data_types: dict[str, str], folder: Path, limit: int,
    stored: list[Path],
) -> list[Any]:  # fmt: skip
    """Every task of every upload, in upload order: task files parsed (zips opened; all
    within ``limit`` expanded bytes, checked first), media files stored (each path added to
    ``stored`` once written, so the caller can remove them if the import fails)."""
    for upload in uploads:
        check_file_name(upload.name)
    key = next(iter(data_types), None)
    task_uploads = [u for u in uploads if media_kind(u.name) is None]
    try:
        opened = iter(open_files([(u.name, u.content) for u in task_uploads], limit))
        items: list[Any] = []
        for upload in uploads:
            kind = media_kind(upload.name)
            if kind is None:
                items.extend(read_sources(next(opened), key))
            else:
                items.append(_media_item(upload, data_types, kind, folder, stored))
    except FormatError as exc:
        raise BadInput(str(exc)) from None
    return items


def file_items(name: str, content: bytes, data_types: dict[str, str], limit: int) -> list[Any]:
    """The tasks of one fetched file (a zip's members within ``limit``); runs in a thread."""
    try:
        return read_files([(name, content)], next(iter(data_types), None), limit)
    except FormatError as exc:
        raise BadInput(str(exc)) from None


def _media_item(
    upload: Upload, data_types: dict[str, str], kind: str, folder: Path, stored: list[Path]
) -> dict[str, str]:
    """Store an uploaded media file under a random name; its task points at it."""
    key = media_key(data_types, kind)
    if key is None:
        raise BadInput(f"{upload.name}: the label config has no data key for a {kind} file")
    path = store_upload(folder, upload.name, upload.content)
    stored.append(path)
    return {key: URL_PREFIX + path.name}


def store_upload(folder: Path, name: str, content: bytes) -> Path:
    """Write ``content`` under a fresh random name with the file's media extension;
    DiskFull (507) when the disk is full, nothing left behind."""
    suffix = PurePath(name.replace("\\", "/")).suffix.lower()
    path = folder / f"{secrets.token_hex(16)}{suffix}"
    tmp = path.with_name(path.name + ".part")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_new(tmp, content)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(f"disk full: the uploaded file {name!r} could not be stored") from None
        raise
    return path


def _write_new(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(content)


def media_key(data_types: dict[str, str], kind: str) -> str | None:
    """The data key whose tag shows this kind of media (``Image`` for images...), else the
    first data key."""
    for key, tag in data_types.items():
        if tag.lower().startswith(kind):
            return key
    return next(iter(data_types), None)
