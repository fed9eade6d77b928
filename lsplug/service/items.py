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
from lsplug.labelconfig import check_task_data
from lsplug.store.base import NewTask

MAX_REPORTED_ERRORS = 100
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


def to_new_tasks(
    items: Sequence[Any], data_types: dict[str, str], keys: Sequence[str | None] | None = None
) -> list[NewTask]:
    """Check every item and convert it; raise :class:`BadInput` listing every bad item."""
    now = int(time.time())
    tasks: list[NewTask] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        try:
            task = to_new_task(item, data_types, now)
        except ValueError as exc:
            errors.append(f"item {index}: {exc}")
            continue
        task.source_key = keys[index] if keys else None
        tasks.append(task)
    if errors:
        raise BadInput(_summary(errors, len(items)), errors=errors[:MAX_REPORTED_ERRORS])
    return tasks


def _summary(errors: list[str], total: int) -> str:
    more = (
        f" (the first {MAX_REPORTED_ERRORS} are listed)"
        if len(errors) > MAX_REPORTED_ERRORS
        else ""
    )
    return f"{len(errors)} of {total} items are invalid{more}; nothing was imported. {errors[0]}"


def to_new_task(item: Any, data_types: dict[str, str], now: int) -> NewTask:
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
            completion_body(c, now, f"completions[{i}]")
            for i, c in _listed(completions, "completions")
        ],
        predictions=[
            prediction_body(p, f"predictions[{i}]") for i, p in _listed(predictions, "predictions")
        ],
    )


def _listed(value: Any, key: str) -> list[tuple[int, Any]]:
    if not isinstance(value, list):
        raise ValueError(f'"{key}" must be a list, not {_kind(value)}')
    return list(enumerate(value))


def completion_body(value: Any, now: int, where: str = "completion") -> dict[str, Any]:
    """A completion as stored: the client's keys kept, ``created_at`` set, ``result`` checked."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object, not {_kind(value)}")
    result = value.get("result", [])
    if not isinstance(result, list):
        raise ValueError(f'{where}: "result" must be a list, not {_kind(result)}')
    for i, region in enumerate(result):
        if not isinstance(region, dict):
            raise ValueError(f"{where}: result[{i}] must be an object, not {_kind(region)}")
    created = value.get("created_at", now)
    if not isinstance(created, int | float) or isinstance(created, bool):
        raise ValueError(f'{where}: "created_at" must be epoch seconds, not {_kind(created)}')
    body = {k: v for k, v in value.items() if k != "id"}
    body["result"], body["created_at"] = result, int(created)
    return body


def prediction_body(value: Any, where: str = "prediction") -> dict[str, Any]:
    """A prediction as stored; ``score`` must be a number when given."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object, not {_kind(value)}")
    if not isinstance(value.get("result", []), list):
        raise ValueError(f'{where}: "result" must be a list')
    score = value.get("score")
    if score is not None and (not isinstance(score, int | float) or isinstance(score, bool)):
        raise ValueError(f'{where}: "score" must be a number, not {_kind(score)}')
    return {k: v for k, v in value.items() if k != "id"}


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)
