"""Spans as intervals: text characters, hypertext and paragraph offsets, seconds, time.

A span is ``(space, lo, hi)``: spans pair only within one space, by the ratio of their
overlap to their union. Text spans (``labels``) use ``start``/``end`` character offsets;
hypertext spans the editor's ``globalOffsets`` when present, else the offsets within one
node (the node's XPath is the space; a span across nodes without global offsets overlaps
only a span with the very same ends). Paragraph spans are placed at ``paragraph *
PARAGRAPH + offset``, exact within a paragraph, so that a span across paragraphs counts
each paragraph it crosses as ``PARAGRAPH`` characters. Audio and time-series regions use
``start``/``end`` in seconds, or times the editor wrote in the series' time format (ISO
dates are read, numbers as they are); an ``instant`` is a span of length zero, which pairs
only with the same instant. Audio channels are spaces of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lsplug.agreement.matchers.assign import Edge

PARAGRAPH = 1 << 20

Interval = tuple[str, float, float]  # space, lo, hi


def read(value: Mapping[str, Any]) -> Interval | None:
    """The interval of a span's ``value``, or None when it has none that can be read."""
    offsets = value.get("globalOffsets")
    if isinstance(offsets, Mapping):
        return _ordered("", _number(offsets.get("start")), _number(offsets.get("end")))
    if "startOffset" in value or "endOffset" in value:
        return _node_span(value)
    start, end = _time(value.get("start")), _time(value.get("end"))
    return _ordered(value.get("channel", ""), start, end)


def _node_span(value: Mapping[str, Any]) -> Interval | None:
    """A paragraph span (indices) or a hypertext span (XPaths) with offsets inside them."""
    so, eo = _number(value.get("startOffset")), _number(value.get("endOffset"))
    start, end = value.get("start"), value.get("end")
    first, last = _number(start), _number(end)
    if so is None or eo is None:
        return None
    if first is not None and last is not None:
        return _ordered("", first * PARAGRAPH + so, last * PARAGRAPH + eo)
    if start == end and isinstance(start, str):
        return _ordered(start, so, eo)
    return f"nodes {start!r} {so!r} {end!r} {eo!r}", 0.0, 1.0


def _ordered(space: Any, lo: float | None, hi: float | None) -> Interval | None:
    if lo is None or hi is None or hi < lo:
        return None
    return str(space), lo, hi


def _number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int | float):
        return float(x) if x == x else None  # NaN is no position
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return None
    return None


def _time(x: Any) -> float | None:
    """A number, or a date and time (ISO 8601) as seconds since the epoch (UTC if naive)."""
    found = _number(x)
    if found is not None or not isinstance(x, str):
        return found
    try:
        when = datetime.fromisoformat(x.strip())
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def iou(a: Interval, b: Interval) -> float:
    """Overlap over union of two intervals of one space (same instants: 1)."""
    inter = min(a[2], b[2]) - max(a[1], b[1])
    union = (a[2] - a[1]) + (b[2] - b[1]) - inter
    if union <= 0:
        return 1.0 if a[1] == b[1] and a[2] == b[2] else 0.0
    return inter / union if inter > 0 else 0.0


def candidates(left: Sequence[Interval], right: Sequence[Interval], threshold: float) -> list[Edge]:
    """Pairs of overlapping intervals with an overlap ratio of at least ``threshold``.

    Both lists must be sorted (space, lo, hi); a sweep visits only intervals that can touch.
    """
    edges: list[Edge] = []
    first, n = 0, len(right)
    for i, a in enumerate(left):
        while first < n and (right[first][0], right[first][2]) < (a[0], a[1]):
            first += 1
        space, lo, hi = a
        for j in range(first, n):
            b = right[j]
            if b[0] != space or b[1] > hi:
                break
            inter = (hi if hi < b[2] else b[2]) - (lo if lo > b[1] else b[1])
            if inter > 0:
                ratio = inter / ((hi - lo) + (b[2] - b[1]) - inter)
                if ratio >= threshold:
                    edges.append((i, j, ratio))
            elif lo == hi == b[1] == b[2]:  # the same instant
                edges.append((i, j, 1.0))
    return edges
