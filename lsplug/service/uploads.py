"""Media files uploaded for import: stored under random names in ``<data_dir>/upload``.

The client's file name chooses only the extension (from a fixed list of media types), so a
name can neither climb out of the folder nor pick the type the file is served with.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path, PurePath

MEDIA_EXTENSIONS = {
    "image": (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"),
    "audio": (".mp3", ".wav", ".ogg", ".flac", ".m4a", ".aac"),
    "video": (".mp4", ".webm", ".mov", ".mkv"),
}
URL_PREFIX = "/data/upload/"


def media_kind(name: str) -> str | None:
    """``image``, ``audio`` or ``video`` for a media file name, else None."""
    suffix = PurePath(name.replace("\\", "/")).suffix.lower()
    return next((kind for kind, exts in MEDIA_EXTENSIONS.items() if suffix in exts), None)


def store_upload(folder: Path, name: str, content: bytes) -> Path:
    """Write ``content`` under a fresh random name with the file's media extension."""
    suffix = PurePath(name.replace("\\", "/")).suffix.lower()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}{suffix}"
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    os.replace(tmp, path)
    return path


def media_key(data_types: dict[str, str], kind: str) -> str | None:
    """The data key whose tag shows this kind of media (``Image`` for images...), else the
    first data key."""
    for key, tag in data_types.items():
        if tag.lower().startswith(kind):
            return key
    return next(iter(data_types), None)
