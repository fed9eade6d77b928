"""The built-in ``CONLL2003`` export format: tokens of texts tagged B-/I-/O.

Hooks implemented: :func:`lsplug_exporters`.

A ``-DOCSTART- -X- O`` line, then per task one ``token -X- _ TAG`` line per token and a
blank line. Tokens are runs of word characters, each other non-space character (punctuation)
is a token of its own. A token is tagged by the span its first character falls in, from the
task's newest kept completion; a token in two overlapping spans takes the earlier span.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

from lsplug.export.common import is_exported, newest_completion, task_data
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


def spans_of(completion: Mapping[str, Any] | None, control: str) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` of the completion's spans of ``control``, by start."""
    spans = []
    for item in (completion or {}).get("result") or []:
        value = item.get("value") if isinstance(item, Mapping) else None
        if item.get("from_name") != control or not isinstance(value, Mapping):
            continue
        labels, start, end = value.get("labels"), value.get("start"), value.get("end")
        if isinstance(start, int) and isinstance(end, int) and labels:
            spans.append((start, end, str(labels[0])))
    return sorted(spans, key=lambda s: s[0])


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


def export_conll(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream the CoNLL 2003 file."""
    controls = text_controls(ctx.label_config)
    control, key = next(iter(controls.items()))

    async def stream() -> AsyncIterator[bytes]:
        parts = ["-DOCSTART- -X- O\n"]
        async for batch in batches:
            for task in batch:
                completion = newest_completion(task, ctx.options)
                if not is_exported(task, [completion] if completion else [], ctx.options):
                    continue
                text = task_data(task).get(key)
                parts.append(
                    tagged(text if isinstance(text, str) else "", spans_of(completion, control))
                )
            yield "".join(parts).encode()
            parts = []
        if parts:
            yield "".join(parts).encode()

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
)
