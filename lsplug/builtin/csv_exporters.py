"""The built-in ``CSV`` and ``TSV`` export formats: the JSON_MIN records as a table.

Hooks implemented: :func:`lsplug_exporters`.

The columns are known before the first row, so the table streams: the data keys the label
config reads, ``id``, one column per control, and ``other_data`` holding (as JSON) any data
keys the config does not read, so nothing of a task is lost. A control's value is written
as JSON_MIN writes it: a single choice or text as itself, anything else as JSON. As in
JSON_MIN, skipped completions are left out unless asked for (a task only skipped gives no
row) and malformed results are left out and reported in the export's summary.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import orjson

from lsplug.builtin.json_exporters import min_record
from lsplug.export.common import DATA_ERRORS, batch_work, unwritable
from lsplug.hooks import ExportContext, Exporter, hookimpl
from lsplug.hooks.types import TaskBatches
from lsplug.labelconfig import LabelConfig

OTHER = "other_data"


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``CSV`` and ``TSV``, offered by every config with a control."""
    return [CSV_EXPORTER, TSV_EXPORTER]


def columns(config: LabelConfig) -> list[str]:
    """The table's columns: data keys read by the config, ``id``, controls, ``other_data``."""
    names = [k for k in config.data_types if k != "id"]
    names += ["id", *(c for c in config.controls if c not in names and c != "id")]
    return [*names, OTHER]


def _cell(value: Any) -> str:
    """A value as a cell: text and numbers as themselves, lists and dicts as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return orjson.dumps(value).decode()
    return orjson.dumps(value).decode()


def row(record: Mapping[str, Any], cols: list[str], data_keys: set[str]) -> list[str]:
    """One task's cells."""
    cells = [_cell(record.get(c)) for c in cols[:-1]]
    known = set(cols)
    other = {k: v for k, v in record.items() if k not in known and k in data_keys}
    cells.append(orjson.dumps(other).decode() if other else "")
    return cells


def _cells(task: Mapping[str, Any], cols: list[str], ctx: ExportContext) -> list[str] | None:
    """A task's row, or None when it gives none (or its data cannot be written: reported)."""
    record = min_record(task, ctx)
    if record is None:
        return None
    data = task.get("data")
    keys = set(data) if isinstance(data, Mapping) else {"data"}
    try:
        return row(record, cols, keys)
    except DATA_ERRORS as exc:
        unwritable(ctx.summary, task, exc)
        return None


def _rows(
    batch: Sequence[Mapping[str, Any]], cols: list[str], ctx: ExportContext,
    table: Callable[[Iterable[list[str] | None]], bytes],
) -> bytes:  # fmt: skip
    """A batch's rows as the table's bytes."""
    return table(_cells(task, cols, ctx) for task in batch)


def _export_table(delimiter: str) -> Any:
    def export(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
        cols = columns(ctx.label_config)

        def table(rows: Iterable[list[str] | None]) -> bytes:
            out = io.StringIO()
            writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
            writer.writerows(row for row in rows if row is not None)
            return out.getvalue().encode()

        async def stream() -> AsyncIterator[bytes]:
            yield table([cols])
            rows_of = partial(_rows, cols=cols, ctx=ctx, table=table)
            async for chunk in batch_work(batches, rows_of):
                yield chunk

        return stream()

    return export


def has_controls(config: LabelConfig) -> bool:
    """The tables need at least one control to write answers of."""
    return bool(config.controls)


CSV_EXPORTER = Exporter(
    name="CSV",
    title="CSV",
    description="One row per task: its data, id and the newest completion's answer per "
    "control, comma-separated.",
    extension="csv",
    media_type="text/csv; charset=utf-8",
    fits=has_controls,
    export=_export_table(","),
    include_cancelled=False,
)

TSV_EXPORTER = Exporter(
    name="TSV",
    title="TSV",
    description="One row per task: its data, id and the newest completion's answer per "
    "control, tab-separated.",
    extension="tsv",
    media_type="text/tab-separated-values; charset=utf-8",
    fits=has_controls,
    export=_export_table("\t"),
    include_cancelled=False,
)
