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
from lsplug.agreement.matchers.marks import labels_of, value_of
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
    found: dict[str, list[tuple[Any, str, Mark, Any]]] = {}
    unread: list[Mark] = []
    for index, item in enumerate(items):
        kind, geometry, labels = _common(item) or _general(item)
        value = labels[0] if len(labels) == 1 else value_of(labels)
        if kind is None:
            unread.append(Mark(index, value, labels))
            continue
        key = geometry if kind == "span" else KINDS[kind].key(geometry)
        entry = (key, value, Mark(index, value, labels), geometry)
        if kind in found:
            found[kind].append(entry)
        else:
            found[kind] = [entry]
    groups = {}
    for kind, regions in found.items():
        regions.sort()  # geometry, then value, then position: never a tie further on
        groups[kind] = Group([r[2] for r in regions], KINDS[kind].batch([r[3] for r in regions]))
    return Prepared(groups, unread)


Read = tuple[str | None, Any, tuple[str, ...]]


def _general(item: Any) -> Read:
    """Any item: its kind and geometry (None, None when unreadable), and its labels."""
    if not isinstance(item, Mapping):
        return None, None, ()
    kind = kind_of(item)
    geometry = KINDS[kind].read(item) if kind else None
    return (kind if geometry is not None else None), geometry, labels_of(item)


def _common(item: Any) -> Read | None:
    """A plain text span or an upright box with one label, as the editor writes them, read
    without the general path's checks (most regions are these); None for anything else."""
    value = item.get("value") if type(item) is dict else None
    if type(value) is not dict:
        return None
    labels = value.get(item.get("type"))
    if type(labels) is not list or len(labels) != 1 or type(labels[0]) is not str:
        return None
    if "start" in value:
        start, end = value["start"], value.get("end")
        if type(start) is not int or type(end) is not int or end < start or len(value) > 4:
            return None  # offsets, channels, instants, times: the general path
        return "span", ("", start, end), (labels[0],)
    if "height" not in value or len(value) > 6 or value.get("rotation"):
        return None
    box = polygons.upright(item, value)
    return ("shape", box, (labels[0],)) if box is not None else None


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
            edges += [(i0 + i, j0 + j, w) for i, j, w in found] if i0 or j0 else found
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
