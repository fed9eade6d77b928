"""``lsplug export``: the same exporters as the API, run on the project's store offline."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from lsplug.config import Config
from lsplug.export.resources import resource_reader
from lsplug.hooks.types import ExportContext, ExportOptions, ExportSummary
from lsplug.plugins import load_plugins
from lsplug.service.startup import open_project


async def _counted(
    batches: AsyncIterator[Sequence[Any]], bar: tqdm[Any]
) -> AsyncIterator[Sequence[Any]]:
    """The batches, advancing the progress bar by each one's size."""
    async for batch in batches:
        bar.update(len(batch))
        yield batch


async def export_to_file(
    config: Config, name: str, out: Path, options: ExportOptions, progress: bool = True
) -> tuple[int, ExportSummary]:
    """Write the export in format ``name`` to ``out`` (atomically); its size and summary.

    ``options.include_cancelled`` unset (None) takes the format's default, as the API does.
    """
    from lsplug.store import store_for

    plugins = load_plugins(config.disabled_plugins())
    store = store_for(config)
    await store.open()
    try:
        project = await open_project(config, store, plugins)
        exporter = project.exporter(name)
        options = exporter.options_for(options)
        ctx = ExportContext(
            project.label_config, options, str(project.setting("title")), resource_reader(config)
        )
        total = project.row.labeled_count if options.only_labeled else project.row.task_count
        partial = out.with_name(f".{out.name}.partial")
        written = 0
        with tqdm(total=total, unit="task", disable=not progress) as bar, partial.open("wb") as f:
            batches = _counted(project.export_tasks(options), bar)
            async for chunk in exporter.stream(batches, ctx):
                f.write(chunk)
                written += len(chunk)
        os.replace(partial, out)
        return written, ctx.summary
    finally:
        await store.close()


def summary_lines(summary: ExportSummary, limit: int = 5) -> list[str]:
    """What ``lsplug export`` prints of a summary: the count per reason, a few examples."""
    if not summary.counts:
        return []
    total = sum(summary.counts.values())
    lines = [f"left out {total}: " + "; ".join(f"{r} ({n})" for r, n in summary.counts.items())]
    for problem in summary.problems[:limit]:
        lines.append("  " + ", ".join(f"{k}={v}" for k, v in problem.items() if v is not None))
    return lines
