"""Turn imported items (flat or wrapped) into tasks the store can take, checking each one.

All-or-nothing: every item is checked before anything is written, and every problem is
reported with the item's index, so a user fixes a file in one pass.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from lsplug.errors import BadInput
from lsplug.labelconfig import (
    LabelConfig,
    allowed_types,
    check_task_data,
    deep_check,
    result_problem,
)
from lsplug.service.bulk import gc_paused
from lsplug.store import NewTask

MAX_REPORTED_ERRORS = 100
SLICE = 20_000  # items per C call in bulk encoding and freeing (about 5 ms each)
MAX_EPOCH = 253402300800  # 10000-01-01: beyond it, no date format (or 64-bit store) holds it
WRAPPER_KEYS = frozenset({"data", "completions", "annotations", "predictions", "meta", "id"})


@dataclass(frozen=True)
class ImportSummary:
    """What an import added and how long it took."""

    task_count: int
    completion_count: int
    prediction_count: int
    duration: float
    new_task_ids: list[int]

    def as_json(self) -> dict[str, Any]:
        """The 201 body of `/api/project/import`."""
        return {
            "task_count": self.task_count,
            "completion_count": self.completion_count,
            "prediction_count": self.prediction_count,
            "duration": round(self.duration, 4),
            "new_task_ids": self.new_task_ids,
        }


def is_wrapped(item: dict[str, Any]) -> bool:
    """An item is wrapped when its ``data`` is an object and its keys are the task's parts."""
    return isinstance(item.get("data"), dict) and set(item) <= WRAPPER_KEYS


def all_flat_and_valid(items: Sequence[Any], data_types: dict[str, str]) -> bool:
    """Whether every item is a flat task that fits the config (the fast import path).

    Equivalent to :func:`to_new_task` accepting every item without completions; False
    sends the import down the general path, which also words the errors.
    """
    with gc_paused():
        if not all(type(item) is dict and not _maybe_wrapped(item) for item in items):
            return False
        for key, tag in data_types.items():
            allowed = allowed_types(tag)
            if not all(key in item and isinstance(item[key], allowed) for item in items):
                return False
            deep = deep_check(tag)
            if deep is not None and not all(deep(item[key]) for item in items):
                return False
    return True


def dry_run_counts(
    items: Sequence[Any], data_types: dict[str, str], config: LabelConfig
) -> tuple[int, int, int]:
    """Tasks, completions and predictions an import of ``items`` would add (BadInput as
    :func:`to_new_tasks`); for a thread: the converted tasks are counted and freed there."""
    tasks = to_new_tasks(items, data_types, None, config)
    counts = (
        len(tasks),
        sum(len(t.completions) for t in tasks),
        sum(len(t.predictions) for t in tasks),
    )
    release(tasks)
    return counts


def dumps_in_slices(items: Sequence[Any]) -> bytes:
    """``orjson.dumps(items)`` of a list, built slice by slice.

    Why: one C call on a million items holds the GIL for a quarter of a second, and the
    event loop waits that long even though the call runs in a thread; between slices it runs.
    """
    if len(items) <= SLICE:
        return orjson.dumps(items)
    parts = [orjson.dumps(items[i : i + SLICE])[1:-1] for i in range(0, len(items), SLICE)]
    return b"[" + b",".join(parts) + b"]"


def release(items: list[Any]) -> None:
    """Empty a big list slice by slice, in a thread (freeing a million dicts in one call
    holds the GIL for 0.15 s, as :func:`dumps_in_slices` explains)."""
    while items:
        del items[-SLICE:]


def _maybe_wrapped(item: dict[str, Any]) -> bool:
    return "data" in item and is_wrapped(item)


def to_new_tasks(
    items: Sequence[Any], data_types: dict[str, str], keys: Sequence[str | None] | None = None,
    config: LabelConfig | None = None,
) -> list[NewTask]:  # fmt: skip
    """Check every item and convert it; raise :class:`BadInput` listing every bad item.

    With ``config``, completions and predictions are checked against it too.
    """
    with gc_paused():
        return _convert_all(items, data_types, keys, config)


def _convert_all(
    items: Sequence[Any], data_types: dict[str, str], keys: Sequence[str | None] | None,
    config: LabelConfig | None,
) -> list[NewTask]:  # fmt: skip
    errors: list[str] = []
    tasks = convert_chunk(items, data_types, int(time.time()), 0, errors, config)
    if errors:
        raise BadInput(summary(errors, len(items)), errors=errors[:MAX_REPORTED_ERRORS])
    if keys:
        for task, key in zip(tasks, keys, strict=True):
            task.source_key = key
    return tasks


def convert_chunk(
    items: Sequence[Any], data_types: dict[str, str], now: int, start: int, errors: list[str],
    config: LabelConfig | None = None,
) -> list[NewTask]:  # fmt: skip
    """Convert items numbered from ``start``; each bad one adds a message to ``errors``."""
    tasks: list[NewTask] = []
    for index, item in enumerate(items, start):
        try:
            tasks.append(to_new_task(item, data_types, now, config))
        except ValueError as exc:
            if len(errors) <= MAX_REPORTED_ERRORS:
                errors.append(f"item {index}: {exc}")
            else:
                errors.append("")  # counted, not listed
    return tasks


def summary(errors: list[str], total: int) -> str:
    more = (
        f" (the first {MAX_REPORTED_ERRORS} are listed)"
        if len(errors) > MAX_REPORTED_ERRORS
        else ""
    )
    return f"{len(errors)} of {total} items are invalid{more}; nothing was imported. {errors[0]}"


def to_new_task(
    item: Any, data_types: dict[str, str], now: int, config: LabelConfig | None = None
) -> NewTask:
    """One item as a task; ``ValueError`` says what is wrong with it."""
    if not isinstance(item, dict):
        raise ValueError(f"a task must be a JSON object, not {_kind(item)}")
    wrapped = is_wrapped(item)
    data = item["data"] if wrapped else item
    problem = check_task_data(data, data_types)
    if problem:
        raise ValueError(problem)
    if not wrapped:
        return NewTask(data=orjson.dumps(data))
    meta = item.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise ValueError(f'"meta" must be an object, not {_kind(meta)}')
    completions = item.get("completions", item.get("annotations")) or []
    predictions = item.get("predictions") or []
    return NewTask(
        data=orjson.dumps(data),
        meta=orjson.dumps(meta) if meta else None,
        completions=[
            completion_body(c, now, f"completions[{i}]", config)
            for i, c in _listed(completions, "completions")
        ],
        predictions=[
            prediction_body(p, f"predictions[{i}]", config)
            for i, p in _listed(predictions, "predictions")
        ],
    )


def _listed(value: Any, key: str) -> list[tuple[int, Any]]:
    if not isinstance(value, list):
        raise ValueError(f'"{key}" must be a list, not {_kind(value)}')
    return list(enumerate(value))


def completion_body(
    value: Any, now: int, where: str = "completion", config: LabelConfig | None = None
) -> dict[str, Any]:
    """A completion as stored: the client's keys kept, ``created_at`` set, ``result`` checked.

    With ``config``, every result item must fit it (:func:`lsplug.labelconfig.result_problem`:
    its control, type, the shape of its ``value`` and its labels).
    """
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object, not {_kind(value)}")
    result = value.get("result", [])
    if not isinstance(result, list):
        raise ValueError(f'{where}: "result" must be a list, not {_kind(result)}')
    _objects(result, where)
    _fits(config, result, where)
    created = value.get("created_at", now)
    if not isinstance(created, int | float) or isinstance(created, bool):
        raise ValueError(f'{where}: "created_at" must be epoch seconds, not {_kind(created)}')
    if not 0 <= created < MAX_EPOCH:
        raise ValueError(f'{where}: "created_at" {created} is not a time in epoch seconds')
    body = {k: v for k, v in value.items() if k != "id"}
    body["result"], body["created_at"] = result, int(created)
    return body


def prediction_body(
    value: Any, where: str = "prediction", config: LabelConfig | None = None
) -> dict[str, Any]:
    """A prediction as stored; ``score`` must be a number when given."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object, not {_kind(value)}")
    result = value.get("result", [])
    if not isinstance(result, list):
        raise ValueError(f'{where}: "result" must be a list, not {_kind(result)}')
    _objects(result, where)
    _fits(config, result, where)
    score = value.get("score")
    if score is not None and (not isinstance(score, int | float) or isinstance(score, bool)):
        raise ValueError(f'{where}: "score" must be a number, not {_kind(score)}')
    return {k: v for k, v in value.items() if k != "id"}


def _objects(result: list[Any], where: str) -> None:
    for i, region in enumerate(result):
        if not isinstance(region, dict):
            raise ValueError(f"{where}: result[{i}] must be an object, not {_kind(region)}")


def _fits(config: LabelConfig | None, result: list[Any], where: str) -> None:
    problem = result_problem(config, result) if config is not None else None
    if problem:
        raise ValueError(f"{where}: {problem}")


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)
