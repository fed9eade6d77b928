"""What the built-in exporters share: choosing completions, leaving out (and reporting)
results they cannot express, batch work in threads, the summary, zip streaming."""

from __future__ import annotations

import asyncio
import posixpath
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

import orjson

from lsplug.export.nameset import NameSet
from lsplug.export.zipstream import ZipStream
from lsplug.hooks.types import ExportContext, ExportOptions, ExportSummary, TaskBatches
from lsplug.labelconfig import LabelConfig
from lsplug.labelconfig.shapes import shape_problem

CHUNK_SIZE = 256 * 1024
"""Zip bytes are sent once this many are pending."""
SUMMARY_NAME = "export_summary.json"

Task = Mapping[str, Any]
Item = Mapping[str, Any]
R = TypeVar("R")


def _age(completion: Mapping[str, Any]) -> tuple[float, float]:
    """Sort key of completions: the newest is the largest ``created_at``, then ``id``."""
    key = []
    for name in ("created_at", "id"):
        value = completion.get(name)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        key.append(float(value) if number and value is not None else 0.0)
    return key[0], key[1]


def kept_completions(task: Task, options: ExportOptions) -> list[Mapping[str, Any]]:
    """The task's completions the options keep: cancelled ones or not, newest or all."""
    completions = [c for c in task.get("completions") or [] if isinstance(c, Mapping)]
    if not options.include_cancelled:
        completions = [c for c in completions if not c.get("was_cancelled")]
    if options.completions == "newest" and len(completions) > 1:
        completions = [max(completions, key=_age)]
    return completions


def newest_completion(task: Task, options: ExportOptions) -> Mapping[str, Any] | None:
    """The newest completion kept (one-file formats of one answer per task use it)."""
    completions = kept_completions(task, options)
    return max(completions, key=_age) if completions else None


def is_exported(task: Task, completions: Sequence[Any], options: ExportOptions) -> bool:
    """Whether a task goes into the export: labeled-only exports skip tasks left empty."""
    return bool(completions) or not options.only_labeled


async def batch_work(batches: TaskBatches, work: Callable[[Sequence[Task]], R]) -> AsyncIterator[R]:
    """``work`` of each batch, done in a thread: checking and writing a batch's results is
    CPU work that would otherwise hold the event loop for tens of milliseconds."""
    async for batch in batches:
        yield await asyncio.to_thread(work, batch)


def task_data(task: Task) -> Mapping[str, Any]:
    """The task's data as a mapping (a task of one bare value is ``{}``)."""
    data = task.get("data")
    return data if isinstance(data, Mapping) else {}


Summary = ExportSummary
"""What an export could not write, by reason (the hook type; the name the exporters use)."""


def summary_bytes(summary: ExportSummary) -> bytes:
    """The summary as the zips' ``export_summary.json``."""
    return orjson.dumps(summary.as_json(), option=orjson.OPT_INDENT_2)


def result_where(completion: Mapping[str, Any], item: Any) -> dict[str, Any]:
    """Where a result item is, for the summary (an item that is no object: its completion)."""
    if not isinstance(item, Mapping):
        return {"completion": completion.get("id")}
    return {
        "completion": completion.get("id"),
        "result": item.get("id"),
        "from_name": item.get("from_name"),
        "type": item.get("type"),
    }


def sound_results(
    task: Task, completion: Mapping[str, Any], summary: Summary, config: LabelConfig | None = None
) -> list[Item]:
    """The completion's result items shaped as their type says; each other one is reported.

    Results stored before the API checked them (or written by a plugin) may be anything: a
    format leaves those out, notes why in the summary, and goes on. With ``config``, what
    the object a result points at implies is checked too (a text span's offsets are numbers).
    """
    result = completion.get("result")
    if result is None:
        return []
    if not isinstance(result, list):
        where = {"completion": completion.get("id")}
        summary.skip("malformed completion", task, problem="result is not a list", **where)
        return []
    sound = []
    for index, item in enumerate(result):
        problem = shape_problem(item, _object_tag(item, config))
        if problem is None:
            sound.append(item)
            continue
        where = {**result_where(completion, item), "index": index, "problem": problem}
        summary.skip("malformed result", task, **where)
    return sound


def _object_tag(item: Any, config: LabelConfig | None) -> str | None:
    """The tag of the object ``item`` points at (None without a config, or for a non-item)."""
    if config is None or not isinstance(item, Mapping):
        return None
    target = config.objects.get(item.get("to_name") or "")
    return target.tag if target is not None else None


DATA_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError)
"""What data a format did not foresee raises; a task that does is reported, not fatal."""


def unwritable(summary: Summary, task: Task, exc: Exception) -> None:
    """Report a task a format could not write at all (the stream goes on without it)."""
    summary.skip("task could not be written", task, problem=f"{type(exc).__name__}: {exc}")


# --- file names ------------------------------------------------------------------------------


def base_name(url: str) -> str:
    """The file name a task's URL ends with (``/data/upload/a.jpg?x=1`` gives ``a.jpg``)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.query.startswith("d="):
        path = unquote(parts.query[2:])
    name = posixpath.basename(path.rstrip("/")) or "file"
    return re.sub(r"[^\w.\-]+", "_", name)


class Names:
    """Unique file names in a zip, without regard to case: a repeated name gets the task id.

    The names used are a :class:`~lsplug.export.nameset.NameSet`: memory stays flat however
    many images there are. :meth:`close` deletes its temporary file.
    """

    def __init__(self, used: NameSet | None = None) -> None:
        self.used = used if used is not None else NameSet()

    def unique(self, name: str, task_id: Any) -> str:
        """``name`` if free, else ``stem_<task id>.ext`` (then a counter)."""
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 0
        while not self.used.add(candidate.lower()):
            n += 1
            tail = f"_{task_id}" if n == 1 else f"_{task_id}_{n}"
            candidate = f"{stem}{tail}{dot}{ext}"
        return candidate

    def close(self) -> None:
        """Forget the names (and delete their temporary file)."""
        self.used.close()


def stem(name: str) -> str:
    """A file name without its extension."""
    return name.rpartition(".")[0] or name


# --- zips ------------------------------------------------------------------------------------


class ZipWriter(Protocol):
    """One zip format: called per exported task, then once at the end.

    A writer may also have a ``close()`` method, called once the zip is done or given up,
    to free what it holds (temporary files).
    """

    summary: Summary

    async def task(self, task: Task, zs: ZipStream) -> None:
        """Write what one task gives."""

    def finish(self, zs: ZipStream) -> Awaitable[None] | AsyncIterator[None]:
        """Write the files made of every task (class lists, the COCO document...).

        A coroutine; or, for a writer whose last file is large, an async generator that yields
        now and then while it writes, so that the zip's bytes are sent rather than kept.
        """


async def stream_zip(batches: TaskBatches, writer: ZipWriter) -> AsyncIterator[bytes]:
    """The zip of every task, yielded as it is written, then the summary, then the end."""
    zs = ZipStream()
    try:
        async for batch in batches:
            for task in batch:
                try:
                    await writer.task(task, zs)
                except DATA_ERRORS as exc:
                    unwritable(writer.summary, task, exc)
                if zs.pending >= CHUNK_SIZE:
                    yield zs.take()
        ending = writer.finish(zs)
        if isinstance(ending, AsyncIterator):
            async for _ in ending:
                if zs.pending >= CHUNK_SIZE:
                    yield zs.take()
        else:
            await ending
        zs.add(SUMMARY_NAME, summary_bytes(writer.summary))
        for chunk in zs.finish():
            yield chunk
    finally:
        zs.discard()
        close: Callable[[], object] | None = getattr(writer, "close", None)
        if close is not None:
            close()


async def add_resource(
    ctx: ExportContext,
    zs: ZipStream,
    url: str,
    folder: str,
    name: str,
    summary: Summary,
    task: Task,
) -> bool:
    """Put a task's file into the zip when the export asks for resources; whether it did."""
    if not ctx.options.download_resources:
        return False
    data = await ctx.open_resource(url)
    if data is None:
        summary.skip("resource not readable (only uploads and local files are)", task, url=url)
        return False
    zs.add(f"{folder}/{name}", data)
    summary.count(folder)
    return True


def split_items(items: Sequence[Item]) -> Iterator[Item]:
    """Result items that are dicts (a broken item is not ours to crash on)."""
    return (item for item in items if isinstance(item, Mapping))
