"""A `.zip` of task files (.json, .jsonl, .csv, .tsv, .txt), read safely: member names
with ``..`` or an absolute path are refused, and so are archives whose members expand
beyond a total size or a compression ratio (zip bombs); nothing is written to disk."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath
from typing import Any

from lsplug.importer.formats import SUPPORTED_EXTENSIONS, FormatError, read_tasks

MAX_RATIO = 100  # uncompressed / compressed size of one member
MAX_MEMBERS = 10_000


def read_zip(name: str, content: bytes, data_key: str | None, limit: int) -> list[Any]:
    """Every task of every task file in the archive, in member order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise FormatError(f"{name}: not a zip archive") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and _wanted(m.filename)]
        _check(name, archive.infolist(), limit)
        items: list[Any] = []
        for member in members:
            data = _read_member(archive, member, limit)
            items.extend(read_tasks(f"{name}/{member.filename}", data, data_key))
    if not members:
        raise FormatError(f"{name}: the archive holds no task files ({_kinds()})")
    return items


def _wanted(member: str) -> bool:
    path = PurePosixPath(member)
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in path.parts)
    return not hidden and path.suffix.lower() in SUPPORTED_EXTENSIONS


def _check(name: str, infos: list[zipfile.ZipInfo], limit: int) -> None:
    """Refuse path tricks, too many members, and sizes or ratios of a zip bomb."""
    if len(infos) > MAX_MEMBERS:
        raise FormatError(f"{name}: more than {MAX_MEMBERS} files in the archive")
    total = 0
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in info.filename:
            raise FormatError(f"{name}: unsafe path in the archive: {info.filename!r}")
        total += info.file_size
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise FormatError(f"{name}: {info.filename} expands too much (a zip bomb?)")
    if total > limit:
        raise FormatError(f"{name}: the archive expands beyond the limit of {limit} bytes")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, read with a cap (its declared size may lie)."""
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, RuntimeError) as exc:
        raise FormatError(f"{info.filename}: cannot be read from the archive: {exc}") from None
    if len(data) > limit:
        raise FormatError(f"{info.filename}: expands beyond the limit of {limit} bytes")
    return data


def _kinds() -> str:
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))
