"""An example export format from outside lsplug: ``COUNTS``, completions per task.

Hooks implemented: :func:`lsplug_exporters`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from lsplug.hooks import ExportContext, Exporter, TaskBatches, hookimpl


async def export(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """One line per task: its id and how many completions the options keep."""
    async for tasks in batches:  # tasks in id order, in batches
        lines = []
        for task in tasks:  # mappings shaped like the tasks API
            completions = task["completions"]
            if not ctx.options.include_cancelled:
                completions = [c for c in completions if not c.get("was_cancelled")]
            lines.append(f"{task['id']}\t{len(completions)}\n")
        yield "".join(lines).encode()


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``COUNTS``, which fits every label config."""
    return [
        Exporter(
            name="COUNTS",
            title="Completion counts",
            description="One line per task: its id and its number of completions.",
            extension="tsv",
            media_type="text/tab-separated-values",
            fits=lambda label_config: True,
            export=export,
        )
    ]
