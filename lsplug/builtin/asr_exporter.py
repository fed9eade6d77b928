"""The built-in ``ASR_MANIFEST`` export format: a NeMo-style manifest of transcripts.

Hooks implemented: :func:`lsplug_exporters`.

One JSON object a line, ``{"audio_filepath": <the task's audio URL>, "text": <transcript>}``,
from the newest kept completion's ``TextArea`` on the ``Audio``; several text items are
joined with a space. The audio's ``duration`` is not written: lsplug does not open audio
files (training tools compute it from the file).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import orjson

from lsplug.export.common import (
    DATA_ERRORS,
    batch_work,
    is_exported,
    newest_completion,
    sound_results,
    task_data,
    unwritable,
)
from lsplug.hooks import ExportContext, Exporter, hookimpl
from lsplug.hooks.types import TaskBatches
from lsplug.labelconfig import LabelConfig

AUDIO_TAGS = ("Audio", "AudioPlus")


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``ASR_MANIFEST`` for configs with a ``TextArea`` on an ``Audio``."""
    return [ASR_MANIFEST_EXPORTER]


def transcribers(config: LabelConfig) -> dict[str, str]:
    """``{TextArea control: data key of the audio it transcribes}``."""
    audio = {o.name: o.value_key for o in config.objects_of(*AUDIO_TAGS)}
    out = {}
    for control in config.controls_of("TextArea"):
        keys = [audio[n] for n in control.to_names if audio.get(n)]
        if keys:
            out[control.name] = str(keys[0])
    return out


def transcript(
    task: Mapping[str, Any], completion: Mapping[str, Any] | None, control: str,
    ctx: ExportContext,
) -> str:  # fmt: skip
    """The text a completion's ``control`` holds, its items joined with a space."""
    texts: list[str] = []
    config = ctx.label_config
    for item in sound_results(task, completion, ctx.summary, config) if completion else []:
        if item.get("from_name") == control:
            text = item["value"].get("text", [])
            texts += [str(t) for t in (text if isinstance(text, list) else [text])]
    return " ".join(texts)


def _line(task: Mapping[str, Any], control: str, key: str, ctx: ExportContext) -> bytes | None:
    """A task's manifest line, or None when not exported (or not writable: reported)."""
    try:
        completion = newest_completion(task, ctx.options)
        if not is_exported(task, [completion] if completion else [], ctx.options):
            return None
        line = {"audio_filepath": task_data(task).get(key),
                "text": transcript(task, completion, control, ctx)}  # fmt: skip
        return orjson.dumps(line) + b"\n"
    except DATA_ERRORS as exc:
        unwritable(ctx.summary, task, exc)
        return None


def export_asr(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream the manifest, one line per exported task."""
    control, key = next(iter(transcribers(ctx.label_config).items()))

    def lines(batch: Sequence[Mapping[str, Any]]) -> bytes:
        found = (_line(task, control, key, ctx) for task in batch)
        return b"".join(line for line in found if line is not None)

    async def stream() -> AsyncIterator[bytes]:
        async for chunk in batch_work(batches, lines):
            yield chunk

    return stream()


def fits_asr(config: LabelConfig) -> bool:
    """ASR_MANIFEST fits a ``TextArea`` on an ``Audio``."""
    return bool(transcribers(config))


ASR_MANIFEST_EXPORTER = Exporter(
    name="ASR_MANIFEST",
    title="ASR manifest",
    description="One JSON line per audio: audio_filepath and the transcript (NeMo manifest).",
    extension="json",
    media_type="application/x-ndjson",
    fits=fits_asr,
    export=export_asr,
    include_cancelled=False,
)
