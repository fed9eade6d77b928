"""How completion and prediction bodies are stored, the same on every back-end.

A body is kept as compact JSON text without its ``id``: the id is a column, spliced in first
when the body is read (:func:`with_id`), so a read never decodes a body. A prediction's
numeric ``score`` is also a column, for sampling by score.
"""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> str:
    """Compact JSON text."""
    return orjson.dumps(value).decode()


def without_id(body: dict[str, Any]) -> dict[str, Any]:
    """A body without its ``id`` (the id is a column, spliced in when read)."""
    return {k: v for k, v in body.items() if k != "id"}


def with_id(item_id: int, body: str) -> bytes:
    """A stored body (JSON object without id) with ``"id"`` spliced in first."""
    if body == "{}":
        return b'{"id":%d}' % item_id
    return b'{"id":%d,' % item_id + body[1:].encode()


def score_of(body: dict[str, Any]) -> float | None:
    """A prediction's numeric score, or None."""
    score = body.get("score")
    return float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
