"""Helpers of the exporter tests: run an exporter on hand-made tasks, read its zip."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson

from lsplug.hooks.types import ExportContext, Exporter, ExportOptions
from lsplug.labelconfig import parse


async def _batches(tasks: Sequence[dict[str, Any]]) -> AsyncIterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(tasks), 2):
        yield tasks[i : i + 2]


async def run(
    exporter: Exporter,
    xml: str,
    tasks: Sequence[dict[str, Any]],
    files: dict[str, bytes] | None = None,
    **options: Any,
) -> bytes:
    """The bytes ``exporter`` writes for ``tasks`` (in batches of two)."""

    async def open_resource(url: str) -> bytes | None:
        return (files or {}).get(url)

    ctx = ExportContext(parse(xml), ExportOptions(**options), "test", open_resource)
    assert exporter.fits(ctx.label_config)
    return b"".join([chunk async for chunk in exporter.stream(_batches(tasks), ctx)])


def unzip(data: bytes) -> dict[str, bytes]:
    """Every entry of a zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {name: zf.read(name) for name in zf.namelist()}


def summary(files: dict[str, bytes]) -> dict[str, Any]:
    """The export's summary file."""
    result: dict[str, Any] = orjson.loads(files["export_summary.json"])
    return result


def task(
    task_id: int, data: dict[str, Any], *results: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """A task with one completion per ``results`` list (ids 100+, created in order)."""
    completions = [
        {"id": 100 * task_id + n, "created_at": 1000 + n, "result": r, **extra}
        for n, r in enumerate(results)
    ]
    return {"id": task_id, "data": data, "completions": completions, "predictions": []}
