"""The built-in ``CONLL2003`` export format: tokens of texts tagged B-/I-/O.

Hooks implemented: :func:`lsplug_exporters`.

A ``-DOCSTART- -X- O`` line, then per task one ``token -X- _ TAG`` line per token and a
blank line. Tokens are runs of word characters, each other non-space character (punctuation)
is a token of its own. A token is tagged by the span its first character falls in, from the
task's newest kept completion; a token in two overlapping spans takes the earlier span.
Skipped completions are left out unless asked for, so a task only skipped is no block of
``O`` tags; a span that cannot be tagged (no whole-number offsets, no label) is reported in
the export's summary.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeGuard

from lsplug.export.common import (
    DATA_ERRORS,
    batch_work,
    is_exported,
    newest_completion,
    result_where,
    sound_results,
    task_data,
    unwritable,
)
from lsplug.hooks import ExportContext, Exporter, hookimpl
from lsplug.hooks.types import TaskBatches
from lsplug.labelconfig import LabelConfig

TOKEN = re.compile(r"\w+|[^\w\s]")
CHUNK_SIZE = 256 * 1024


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``CONLL2003`` for configs with ``Labels`` on a ``Text``."""
    return [CONLL2003_EXPORTER]


def text_controls(config: LabelConfig) -> dict[str, str]:
    """``{Labels control: data key of the Text it labels}``."""
    texts = {o.name: o.value_key for o in config.objects_of("Text")}
    out = {}
    for control in config.controls_of("Labels"):
        keys = [texts[n] for n in control.to_names if texts.get(n)]
        if keys:
            out[control.name] = str(keys[0])
    return out


def spans_of(
    task: Mapping[str, Any], completion: Mapping[str, Any] | None, control: str,
    ctx: ExportContext,
) -> list[tuple[int, int, str]]:  # fmt: skip
    """``(start, end, label)`` of the completion's spans of ``control``, by start.

    A span without whole-number offsets or without a label cannot be tagged: it is
    reported in the summary, as is a malformed result.
    """
    spans, summary = [], ctx.summary
    results = sound_results(task, completion, summary, ctx.label_config) if completion else []
    for item in results:
        if item.get("from_name") != control:
            continue
        span, why = _span(item["value"])
        if span is None:
            summary.skip(why, task, **result_where(completion or {}, item))
        else:
            spans.append(span)
    return sorted(spans, key=lambda s: s[0])


def _span(value: Mapping[str, Any]) -> tuple[tuple[int, int, str] | None, str]:
    """A span's offsets and first label, or why CoNLL cannot tag it."""
    start, end, labels = value.get("start"), value.get("end"), value.get("labels")
    if not (_offset(start) and _offset(end)):
        return None, "span without whole-number start and end"
    if not labels:
        return None, "span without a label"
    return (int(start), int(end), str(labels[0])), ""


def _offset(x: Any) -> TypeGuard[int | float]:
    number = isinstance(x, int | float) and not isinstance(x, bool)
    return number and float(x).is_integer() and x >= 0


def tagged(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The CoNLL lines of one text, ending with a blank line."""
    lines, current = [], None
    for match in TOKEN.finditer(text):
        at = match.start()
        span = next((s for s in spans if s[0] <= at < s[1]), None)
        tag = "O" if span is None else ("I-" if span is current else "B-") + span[2]
        current = span
        lines.append(f"{match.group()} -X- _ {tag}\n")
    return "".join(lines) + "\n"


def _block(task: Mapping[str, Any], control: str, key: str, ctx: ExportContext) -> str | None:
    """A task's lines, or None when it is not exported (or cannot be written: reported)."""
    try:
        completion = newest_completion(task, ctx.options)
        if not is_exported(task, [completion] if completion else [], ctx.options):
            return None
        text = task_data(task).get(key)
        spans = spans_of(task, completion, control, ctx)
        return tagged(text if isinstance(text, str) else "", spans)
    except DATA_ERRORS as exc:
        unwritable(ctx.summary, task, exc)
        return None


def export_conll(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream the CoNLL 2003 file."""
    controls = text_controls(ctx.label_config)
    control, key = next(iter(controls.items()))

    def blocks(batch: Sequence[Mapping[str, Any]]) -> bytes:
        found = (_block(task, control, key, ctx) for task in batch)
        return "".join(block for block in found if block is not None).encode()

    async def stream() -> AsyncIterator[bytes]:
        yield b"-DOCSTART- -X- O\n"
        async for chunk in batch_work(batches, blocks):
            yield chunk

    return stream()


def fits_conll(config: LabelConfig) -> bool:
    """CONLL2003 fits ``Labels`` on a ``Text``."""
    return bool(text_controls(config))


CONLL2003_EXPORTER = Exporter(
    name="CONLL2003",
    title="CoNLL 2003",
    description="Tokens of each text with their B-/I-/O tags, from the newest completion.",
    extension="conll",
    media_type="text/plain; charset=utf-8",
    fits=fits_conll,
    export=export_conll,
    include_cancelled=False,
)
