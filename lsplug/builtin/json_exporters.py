"""The built-in ``JSON`` and ``JSON_MIN`` export formats.

Hooks implemented: :func:`lsplug_exporters`.

``JSON`` writes every task as the tasks API shows it; with the default options it splices
each task's stored JSON (``json_bytes()``) without decoding anything. ``JSON_MIN`` writes
one flat record per task, as Label Studio's converter does: the data keys, ``id`` and, per
control of the newest kept completion, ``<from_name>: value``. Both stream a JSON list in
chunks of about :data:`CHUNK_SIZE` bytes, so memory stays flat however large the project.

``JSON`` keeps skipped completions unless asked not to (the document of Label Studio 0.8,
skips marked ``was_cancelled``). ``JSON_MIN`` is one answer per task to train on: skips are
left out unless asked for (Label Studio's converter leaves them out too), so a task only
skipped is no record at all; malformed results are left out and reported in the summary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from lsplug.export.common import (
    DATA_ERRORS,
    batch_work,
    result_where,
    sound_results,
    unwritable,
)
from lsplug.hooks import ExportContext, Exporter, ExportOptions, hookimpl
from lsplug.hooks.types import TaskBatches
from lsplug.labelconfig import ControlTag, LabelConfig
from lsplug.records import TaskRecord

CHUNK_SIZE = 256 * 1024
"""A chunk is yielded once it holds this many bytes: big enough for fast writes, small
enough that memory stays flat (a chunk is this plus at most one task)."""

# Result types whose items are regions: JSON_MIN lists their value dicts.
REGION_TYPES = frozenset({"rectangle", "polygon", "keypoint", "ellipse", "brush", "videorectangle"})

Task = Mapping[str, Any]
Encoder = Callable[[Sequence[Task]], list[bytes]]


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``JSON`` and ``JSON_MIN``, offered by every project (JSON_MIN needs a control)."""
    return [JSON_EXPORTER, JSON_MIN_EXPORTER]


# --- streaming a JSON list -------------------------------------------------------------------


@dataclass
class _ListChunker:
    """Joins encoded items into the chunks of one JSON list: ``[`` first, ``,`` between."""

    parts: list[bytes] = field(default_factory=list)
    size: int = 0
    opened: bool = False

    def feed(self, items: Iterable[bytes]) -> Iterator[bytes]:
        """The chunks that filled up while taking ``items``."""
        for item in items:
            self.parts.append(item)
            self.size += len(item) + 1
            if self.size >= CHUNK_SIZE:
                yield self._flush()

    def close(self) -> bytes:
        """The last chunk, which ends the list."""
        return self._flush() + b"]"

    def _flush(self) -> bytes:
        """The parts taken so far as one chunk, opening the list if nothing was yielded yet."""
        if not self.parts:
            return b"" if self.opened else b"["
        chunk = (b"," if self.opened else b"[") + b",".join(self.parts)
        self.parts, self.size, self.opened = [], 0, True
        return chunk


async def _stream_list(batches: TaskBatches, encode: Encoder) -> AsyncIterator[bytes]:
    """Every batch's encoded tasks as one JSON list, yielded in chunks of about CHUNK_SIZE."""
    chunker = _ListChunker()
    async for encoded in batch_work(batches, encode):
        for chunk in chunker.feed(encoded):
            yield chunk
    yield chunker.close()


# --- choosing completions --------------------------------------------------------------------


def _number(value: Any) -> float:
    """A sortable number for ``created_at`` or ``id``; 0 when missing or not a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return 0


def _age(completion: Mapping[str, Any]) -> tuple[float, float]:
    """Sort key of completions: the newest is the largest ``created_at``, then ``id``."""
    return _number(completion.get("created_at")), _number(completion.get("id"))


def _kept(completions: Sequence[Mapping[str, Any]], include_cancelled: bool) -> list[int]:
    """Indexes of the completions kept when cancelled ones are or are not wanted."""
    if include_cancelled:
        return list(range(len(completions)))
    return [i for i, c in enumerate(completions) if not c.get("was_cancelled")]


def _newest(completions: Sequence[Mapping[str, Any]], indexes: list[int]) -> list[int]:
    """The index of the newest of ``indexes``, as a one-item list (empty if none)."""
    if len(indexes) <= 1:
        return indexes
    return [max(indexes, key=lambda i: _age(completions[i]))]


def _pick(completions: Sequence[Mapping[str, Any]], options: ExportOptions) -> list[int]:
    """Indexes of the completions the export options keep, in their stored order."""
    kept = _kept(completions, bool(options.include_cancelled))
    return _newest(completions, kept) if options.completions == "newest" else kept


# --- JSON ------------------------------------------------------------------------------------


def _as_stored(task: Task) -> bytes:
    """A task's JSON: its own bytes when it has them (no decode), else encoded afresh."""
    json_bytes = getattr(task, "json_bytes", None)
    if callable(json_bytes):
        encoded: bytes = json_bytes()
        return encoded
    return orjson.dumps(dict(task))


def _is_cancelled(fragment: bytes) -> bool:
    """Whether a stored completion is a skip; only fragments that mention it are decoded."""
    return b'"was_cancelled"' in fragment and bool(orjson.loads(fragment).get("was_cancelled"))


def _record_filtered(task: TaskRecord, options: ExportOptions) -> bytes:
    """A stored task's JSON with the kept completions, decoding as few of them as it can."""
    kept = list(task.completions)
    if not options.include_cancelled:
        kept = [fragment for fragment in kept if not _is_cancelled(fragment)]
    if options.completions == "newest" and len(kept) > 1:
        kept = [max(kept, key=lambda fragment: _age(orjson.loads(fragment)))]
    if len(kept) == len(task.completions):
        return task.json_bytes()
    return replace(task, completions=kept).json_bytes()


def _filtered(task: Task, options: ExportOptions) -> bytes:
    """A task's JSON with only the completions ``options`` keep."""
    if isinstance(task, TaskRecord):
        return _record_filtered(task, options)
    plain = dict(task)
    completions = list(plain.get("completions") or [])
    plain["completions"] = [completions[i] for i in _pick(completions, options)]
    return orjson.dumps(plain)


async def _stream_joined(batches: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """A JSON list of batches whose items are already joined by commas, a batch a chunk."""
    separator = b"["
    async for joined in batches:
        if joined:
            yield separator + joined
            separator = b","
    yield b"]" if separator == b"," else b"[]"


def export_json(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream ``JSON``: the tasks as the tasks API shows them, filtered only when asked."""
    options = ctx.options
    if options.completions == "all" and options.include_cancelled:
        json_batches = getattr(batches, "json_batches", None)
        if callable(json_batches):  # the server's TaskStream: the store writes the JSON
            return _stream_joined(json_batches())
        return _stream_list(batches, lambda batch: [_as_stored(t) for t in batch])
    return _stream_list(batches, lambda batch: [_filtered(t, options) for t in batch])


# --- JSON_MIN --------------------------------------------------------------------------------


def _values(items: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The ``value`` dict of each result item (empty when an item has none)."""
    return [item.get("value") or {} for item in items]


def _as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else a one-item list (a lone string stays whole)."""
    return value if isinstance(value, list) else [value]


def _one_choice(value: Mapping[str, Any]) -> Any:
    """A value holding one choice as that choice; any other value as a dict."""
    choices = _as_list(value.get("choices", []))
    return choices[0] if len(choices) == 1 else dict(value)


def _choices_value(items: list[Mapping[str, Any]]) -> Any:
    """A single choice as a plain string; several as ``{"choices": [...]}``."""
    values = [_one_choice(v) for v in _values(items)]
    return values[0] if len(values) == 1 else values


def _textarea_value(items: list[Mapping[str, Any]]) -> Any:
    """The text of a text area: one string, or a list when there are several."""
    texts = [t for v in _values(items) for t in _as_list(v.get("text", []))]
    return texts[0] if len(texts) == 1 else texts


def _region_value(item: Mapping[str, Any]) -> dict[str, Any]:
    """A region's value dict, with the image size the item carries (boxes, polygons...)."""
    value = dict(item.get("value") or {})
    for key in ("original_width", "original_height"):
        if key in item:
            value[key] = item[key]
    return value


def _scalar(value: Mapping[str, Any], kind: str) -> Any:
    """``{"rating": 4}`` as ``4``: the entry named by the type, or the only entry."""
    if kind in value:
        return value[kind]
    return next(iter(value.values())) if len(value) == 1 else dict(value)


def _scalar_value(items: list[Mapping[str, Any]], kind: str) -> Any:
    """A rating, number or date as the value itself; a list when there are several."""
    values = [_scalar(v, kind) for v in _values(items)]
    return values[0] if len(values) == 1 else values


def _control_value(items: list[Mapping[str, Any]], control: ControlTag) -> Any:
    """What JSON_MIN writes for one control: the shape depends on its result type."""
    kind = str(items[0].get("type") or control.result_type).lower()
    if kind == "choices":
        return _choices_value(items)
    if kind == "textarea":
        return _textarea_value(items)
    if kind.endswith("labels") or kind in REGION_TYPES:
        return [_region_value(item) for item in items]
    return _scalar_value(items, kind)


def _controls_of(task: Task, completion: Mapping[str, Any], ctx: ExportContext) -> dict[str, Any]:
    """``{from_name: value}`` for the sound result items of the config's controls.

    Malformed items and items of controls the config lacks are left out and reported;
    relations have no place in a flat record and are left out silently.
    """
    config = ctx.label_config
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for item in sound_results(task, completion, ctx.summary, config):
        name = item.get("from_name")
        if name in config.controls:
            grouped.setdefault(name, []).append(item)
        elif item.get("type") != "relation":
            where = result_where(completion, item)
            ctx.summary.skip("result of a control the label config does not have", task, **where)
    return {name: _control_value(items, config.controls[name]) for name, items in grouped.items()}


def _min_record(task: Task, ctx: ExportContext) -> dict[str, Any] | None:
    """One task's JSON_MIN record, or None for a task left without completion if only labeled."""
    completions = [c for c in task.get("completions") or [] if isinstance(c, Mapping)]
    chosen = _newest(completions, _kept(completions, bool(ctx.options.include_cancelled)))
    if not chosen and ctx.options.only_labeled:
        return None
    data = task["data"]
    record = dict(data) if isinstance(data, Mapping) else {"data": data}
    record["id"] = task["id"]
    if chosen:
        record.update(_controls_of(task, completions[chosen[0]], ctx))
    return record


def min_record(task: Task, ctx: ExportContext) -> dict[str, Any] | None:
    """:func:`_min_record`, or None (reported) for a task whose data the format cannot write."""
    try:
        return _min_record(task, ctx)
    except DATA_ERRORS as exc:
        unwritable(ctx.summary, task, exc)
        return None


def _encode(record: dict[str, Any], task: Task, ctx: ExportContext) -> bytes | None:
    try:
        return orjson.dumps(record)
    except orjson.JSONEncodeError as exc:
        unwritable(ctx.summary, task, exc)
        return None


def _encode_min(batch: Sequence[Task], ctx: ExportContext) -> list[bytes]:
    """The JSON_MIN records of a batch, encoded; tasks that give no record are left out."""
    out = []
    for task in batch:
        record = min_record(task, ctx)
        encoded = None if record is None else _encode(record, task, ctx)
        if encoded is not None:
            out.append(encoded)
    return out


def export_json_min(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream ``JSON_MIN``: one flat record per task with the newest kept completion."""
    return _stream_list(batches, lambda batch: _encode_min(batch, ctx))


def has_controls(config: LabelConfig) -> bool:
    """Whether JSON_MIN fits: it needs at least one control to write values of."""
    return bool(config.controls)


JSON_EXPORTER = Exporter(
    name="JSON",
    title="JSON",
    description="Every task with all its completions and predictions, as the tasks API "
    "shows them, in one JSON list.",
    extension="json",
    media_type="application/json",
    fits=lambda config: True,
    export=export_json,
    include_cancelled=True,  # everything, skips marked by was_cancelled (Label Studio 0.8)
)

JSON_MIN_EXPORTER = Exporter(
    name="JSON_MIN",
    title="JSON-MIN",
    description="One flat record per task: its data, its id and, from its newest completion, "
    "the answer of each control.",
    extension="json",
    media_type="application/json",
    fits=has_controls,
    export=export_json_min,
    include_cancelled=False,  # one answer per task for training, as Label Studio's converter
)
