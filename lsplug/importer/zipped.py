"""A `.zip` of task files (.json, .jsonl, .csv, .tsv, .txt), read safely: member names
with ``..`` or an absolute path are refused, and so are members whose compression ratio is
a zip bomb's; the sizes the members declare are taken from the request's budget before any
is expanded, and members are then read one at a time as streams; nothing is written to
disk."""

from __future__ import annotations

import io
import zipfile
import zlib
from functools import partial
from pathlib import PurePosixPath
from typing import IO

from lsplug.importer.budget import Budget
from lsplug.importer.formats import SUPPORTED_EXTENSIONS, FormatError, TaskFile

MAX_RATIO = 100  # uncompressed / compressed size of one member
MAX_MEMBERS = 10_000
# What reading a damaged or unusual member raises: bad CRC or data, an unsupported
# compression method, an encrypted member, a truncated stream.
MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def is_zip(name: str) -> bool:
    """Whether a file name is an archive's (``.zip``, any case)."""
    return name.lower().endswith(".zip")


def zip_members(name: str, content: bytes, budget: Budget) -> list[TaskFile]:
    """The task files of the archive, in member order, their sizes taken from ``budget``."""
    archive = _open_archive(name, content)
    infos = archive.infolist()
    _check(name, infos)
    members = [m for m in infos if not m.is_dir() and _wanted(m.filename)]
    if not members:
        raise FormatError(f"{name}: the archive holds no task files ({_kinds()})")
    for member in members:
        budget.take(member.file_size, f"{name}/{member.filename}")
    return [TaskFile(f"{name}/{m.filename}", partial(_open_member, archive, m)) for m in members]


def _open_archive(name: str, content: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise FormatError(f"{name}: not a zip archive") from None


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """A member as a stream; it yields no more than the size it declares."""
    try:
        return archive.open(info)
    except MEMBER_ERRORS as exc:
        raise FormatError(f"{info.filename}: cannot be read from the archive: {exc}") from None


def _wanted(member: str) -> bool:
    path = PurePosixPath(member)
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in path.parts)
    return not hidden and path.suffix.lower() in SUPPORTED_EXTENSIONS


def _check(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse path tricks, too many members, and ratios of a zip bomb."""
    if len(infos) > MAX_MEMBERS:
        raise FormatError(f"{name}: more than {MAX_MEMBERS} files in the archive")
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in info.filename:
            raise FormatError(f"{name}: unsafe path in the archive: {info.filename!r}")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise FormatError(f"{name}: {info.filename} expands too much (a zip bomb?)")


def _kinds() -> str:
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))
