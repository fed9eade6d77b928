"""A task as it leaves the store: JSON bytes spliced together, decoded only when asked.

Listing, export and sinks mostly pass tasks straight through as JSON; keeping the stored
JSON as bytes and splicing it saves a decode and an encode per task on those paths.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson


def format_completed_at(epoch: int | None) -> str | None:
    """Epoch seconds as the API's ``"YYYY-MM-DD HH:MM:SS"`` (UTC)."""
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


@dataclass(frozen=True, slots=True)
class TaskRecord(Mapping[str, Any]):
    """One task with its completions and predictions, as stored JSON fragments."""

    id: int
    data: bytes
    meta: bytes | None
    completions: Sequence[bytes]
    predictions: Sequence[bytes]
    completed_at: int | None

    def json_bytes(self) -> bytes:
        """The task as the tasks API shows it, without decoding anything."""
        completed = format_completed_at(self.completed_at)
        return b"".join(
            (
                b'{"id":%d,"data":' % self.id,
                self.data,
                b',"completions":[',
                b",".join(self.completions),
                b'],"predictions":[',
                b",".join(self.predictions),
                b'],"completed_at":',
                b'"%s"' % completed.encode() if completed else b"null",
                b',"meta":',
                self.meta or b"{}",
                b"}",
            )
        )

    def as_dict(self) -> dict[str, Any]:
        """The task decoded (each call decodes afresh)."""
        result: dict[str, Any] = orjson.loads(self.json_bytes())
        return result

    def __getitem__(self, key: str) -> Any:
        """One field, decoded from its own fragment only."""
        if key == "id":
            return self.id
        if key == "data":
            return orjson.loads(self.data)
        if key in ("completions", "predictions"):
            return [orjson.loads(item) for item in getattr(self, key)]
        if key == "completed_at":
            return format_completed_at(self.completed_at)
        if key == "meta":
            return orjson.loads(self.meta) if self.meta else {}
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)


_KEYS = ("id", "data", "completions", "predictions", "completed_at", "meta")
