"""Key points: two points pair when they are within a share of the image diagonal.

Points are placed in pixels (percent scaled by ``original_width``/``original_height``, a
100 x 100 square without them). Two points pair when their distance is at most
``distance`` (a share, 0.05 by default) of the diagonal; their overlap falls from 1 where
they coincide to 0.5 at the allowed distance, as a box pair's does to the usual threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from lsplug.agreement.matchers.assign import Edge
from lsplug.agreement.matchers.polygons import size_of


class Point(NamedTuple):
    """A key point in pixels, with the diagonal of its image."""

    x: float
    y: float
    diagonal: float


def read(item: Mapping[str, Any]) -> Point | None:
    """The point of a key point item, or None."""
    value, (w, h) = item.get("value"), size_of(item)
    if not isinstance(value, Mapping):
        return None
    try:
        x, y = float(value["x"]) * w / 100, float(value["y"]) * h / 100
    except (KeyError, TypeError, ValueError):
        return None
    return Point(x, y, math.hypot(w, h)) if math.isfinite(x + y) else None


def key(point: Point) -> tuple[float, ...]:
    """A sort key: the position."""
    return (point.x, point.y)


def candidates(left: Sequence[Point], right: Sequence[Point], distance: float) -> list[Edge]:
    """Pairs of points at most ``distance`` of the diagonal apart."""
    edges: list[Edge] = []
    for i, a in enumerate(left):
        limit = distance * a.diagonal
        for j, b in enumerate(right):
            gap = math.hypot(a.x - b.x, a.y - b.y)
            if gap <= limit:
                edges.append((i, j, 1 - 0.5 * gap / limit if limit else 1.0))
    return edges
