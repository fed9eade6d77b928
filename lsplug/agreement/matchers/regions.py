"""Regions of any kind read once per annotator, then paired between two annotators.

``prepare`` reads each result item into a region by the shape of its ``value``: a brush
mask (``rle``), a polygon (``points``), an ellipse (``radiusX``), a box (``width`` and
``height``), a key point (``x`` and ``y`` alone) or a span (``start``/``end``, offsets) -
so that a ``labels`` result on an image is read as the region it is. Regions are sorted by
kind and geometry, which makes the pairing independent of the order of the results; an
item that cannot be read is a mark that pairs with nothing. ``match`` finds the candidate
pairs kind by kind and pairs them optimally (:mod:`.assign`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from lsplug.agreement.matchers import intervals, masks, points, polygons
from lsplug.agreement.matchers.assign import Edge, pair_up
from lsplug.agreement.matchers.marks import labels_of, mark
from lsplug.hooks import Mark, MatchOptions, MatchOutcome

Item = Mapping[str, Any]


@dataclass(frozen=True)
class Kind:
    """How regions of one kind are read, sorted, batched and paired."""

    read: Callable[[Item], Any]
    key: Callable[[Any], tuple[Any, ...]]
    candidates: Callable[[Any, Any, MatchOptions], list[Edge]]
    batch: Callable[[list[Any]], Any] = list


def _span(item: Item) -> intervals.Interval | None:
    value = item.get("value")
    return intervals.read(value) if isinstance(value, Mapping) else None


KINDS: dict[str, Kind] = {
    "span": Kind(_span, lambda g: g, lambda a, b, o: intervals.candidates(a, b, o.threshold)),
    "shape": Kind(polygons.read, polygons.key,
                  lambda a, b, o: polygons.candidates(a, b, o.threshold), polygons.batch),
    "mask": Kind(masks.read, masks.key, lambda a, b, o: masks.candidates(a, b, o.threshold)),
    "point": Kind(points.read, points.key, lambda a, b, o: points.candidates(a, b, o.distance)),
}  # fmt: skip


def kind_of(item: Item) -> str | None:
    """The kind of region an item holds, by the keys of its ``value``."""
    value = item.get("value")
    if not isinstance(value, Mapping):
        return None
    if "rle" in value:
        return "mask"
    if "points" in value or "radiusX" in value or "height" in value:
        return "shape"
    if "x" in value and "y" in value:
        return "point"
    if "start" in value or "end" in value or "globalOffsets" in value:
        return "span"
    return None


class Group(NamedTuple):
    """One kind's regions of one annotator: their marks and their batched geometry."""

    marks: list[Mark]
    geometry: Any


class Prepared(NamedTuple):
    """One annotator's regions by kind, and the marks of items that could not be read."""

    groups: dict[str, Group]
    unread: list[Mark]


def prepare(items: Sequence[Item], options: MatchOptions) -> Prepared:
    """Read and sort one annotator's regions."""
    found: dict[str, list[tuple[tuple[Any, ...], Mark, Any]]] = {}
    unread: list[Mark] = []
    for index, item in enumerate(items):
        kind = kind_of(item) if isinstance(item, Mapping) else None
        geometry = KINDS[kind].read(item) if kind else None
        labels = labels_of(item) if isinstance(item, Mapping) else ()
        if geometry is None or kind is None:
            unread.append(mark(index, labels))
            continue
        found.setdefault(kind, []).append(
            (KINDS[kind].key(geometry), mark(index, labels), geometry)
        )
    groups = {}
    for kind, regions in found.items():
        regions.sort(key=lambda r: (r[0], r[1].value))
        groups[kind] = Group([r[1] for r in regions], KINDS[kind].batch([r[2] for r in regions]))
    return Prepared(groups, unread)


def match(left: Prepared, right: Prepared, options: MatchOptions) -> MatchOutcome:
    """Pair two annotators' prepared regions, kind by kind."""
    left_marks: list[Mark] = []
    right_marks: list[Mark] = []
    edges: list[Edge] = []
    for kind in sorted(left.groups.keys() | right.groups.keys()):
        a, b = left.groups.get(kind), right.groups.get(kind)
        if a and b:
            found = KINDS[kind].candidates(a.geometry, b.geometry, options)
            i0, j0 = len(left_marks), len(right_marks)
            edges += [(i0 + i, j0 + j, w) for i, j, w in found]
        left_marks += a.marks if a else []
        right_marks += b.marks if b else []
    outcome = pair_up(left_marks, right_marks, edges)
    if not (left.unread or right.unread):
        return outcome
    return MatchOutcome(
        outcome.pairs,
        outcome.left_only + tuple(left.unread),
        outcome.right_only + tuple(right.unread),
    )
