"""All the task files of one request (uploads, a fetched URL), read together in one thread
call: zips opened, every file within the request's budget of expanded bytes.

Callers run :func:`read_files` off the event loop: parsing an 85 MB CSV takes seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsplug.importer.budget import Budget
from lsplug.importer.formats import FormatError, TaskFile, read_task_file, reader_of
from lsplug.importer.zipped import MEMBER_ERRORS, is_zip, zip_members


def read_files(files: Sequence[tuple[str, bytes]], data_key: str | None, limit: int) -> list[Any]:
    """Every task of every file, in order; FormatError (400) or TooLarge (413)."""
    items: list[Any] = []
    for sources in open_files(files, limit):
        items.extend(read_sources(sources, data_key))
    return items


def open_files(files: Sequence[tuple[str, bytes]], limit: int) -> list[list[TaskFile]]:
    """The task files of each file (a zip's members), all within one budget of ``limit``
    expanded bytes: every type and size, and every zip's declared member sizes, are checked
    before anything is parsed or expanded."""
    budget = Budget(limit)
    return [task_files(name, content, budget) for name, content in files]


def read_sources(sources: Sequence[TaskFile], data_key: str | None) -> list[Any]:
    """Every task of these task files, in order."""
    items: list[Any] = []
    for source in sources:
        items.extend(_read(source, data_key))
    return items


def task_files(name: str, content: bytes, budget: Budget) -> list[TaskFile]:
    """The task files one uploaded file holds: itself, or a zip's members."""
    if is_zip(name):
        return zip_members(name, content, budget)
    reader_of(name)  # an unsupported type is refused before anything is parsed
    budget.take(len(content), name)
    return [TaskFile.of_bytes(name, content)]


def _read(source: TaskFile, data_key: str | None) -> list[Any]:
    try:
        return read_task_file(source, data_key)
    except MEMBER_ERRORS as exc:
        raise FormatError(f"{source.name}: cannot be read from the archive: {exc}") from None
