"""Boxes, rotated boxes, polygons and ellipses: intersection over union in pixels.

The editor gives image regions in percent of the image; they are scaled to pixels with the
result's ``original_width``/``original_height`` (to a 100 x 100 square when absent), since a
rotation or an ellipse is round in pixels, not in percent. A box turns by ``rotation``
degrees about its top-left corner, an ellipse about its centre (drawn as a polygon of
:data:`ELLIPSE_POINTS` corners). Boxes that are not turned are compared with NumPy alone; any
other shape with ``shapely``, only where the bounding boxes meet. A polygon that crosses
itself is repaired (``make_valid``); one without area cannot be compared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import shapely

from lsplug.agreement.matchers import convex
from lsplug.agreement.matchers.assign import Edge

ELLIPSE_POINTS = 64
Item = Mapping[str, Any]


class Shape(NamedTuple):
    """A region's bounds in pixels, and its corners unless it is an upright box."""

    x0: float
    y0: float
    x1: float
    y1: float
    points: tuple[tuple[float, float], ...] | None  # counter-clockwise; None: an upright box
    convex: bool = True


class Shapes:
    """One annotator's shapes, sorted, made once per task: upright boxes apart from the rest."""

    def __init__(self, shapes: Sequence[Shape]) -> None:
        self.shapes = shapes
        self.boxes = [i for i, s in enumerate(shapes) if s.points is None]
        self.turned = [i for i, s in enumerate(shapes) if s.points is not None]

    @cached_property
    def polygons(self) -> np.ndarray:
        """Every shape as a shapely geometry (upright boxes as boxes)."""
        return np.array([_geometry(s) for s in self.shapes], dtype=object)


_NUMBERS = (int, float)


def size_of(item: Item) -> tuple[float, float]:
    """The image size in pixels the item gives, or a 100 x 100 square (percent as pixels)."""
    w, h = item.get("original_width"), item.get("original_height")
    if type(w) in _NUMBERS and type(h) in _NUMBERS and w > 0 and h > 0:  # type: ignore[operator]
        return w, h  # type: ignore[return-value]
    return 100.0, 100.0


def read(item: Item) -> Shape | None:
    """The shape of a box, polygon or ellipse item, or None when it cannot be read."""
    value, (w, h) = item.get("value"), size_of(item)
    if not isinstance(value, Mapping):
        return None
    try:
        if "points" in value:
            return _polygon([(float(x) * w / 100, float(y) * h / 100) for x, y in value["points"]])
        if "radiusX" in value:
            return _ellipse(value, w, h)
        return _box(value, w, h)
    except (KeyError, TypeError, ValueError):
        return None


def upright(item: Item, value: Mapping[str, Any]) -> Shape | None:
    """An upright box (``x, y, width, height`` in percent, no rotation) in pixels, or None."""
    w, h = size_of(item)
    x, y, bw, bh = value.get("x"), value.get("y"), value.get("width"), value.get("height")
    if not (type(x) in _NUMBERS and type(y) in _NUMBERS and type(bw) in _NUMBERS
            and type(bh) in _NUMBERS):  # fmt: skip
        return None
    x, y, bw, bh = x * w / 100, y * h / 100, bw * w / 100, bh * h / 100  # type: ignore[operator]
    if not (bw > 0 and bh > 0 and math.isfinite(x + y + bw + bh)):
        return None
    return Shape(x, y, x + bw, y + bh, None)


def _box(value: Mapping[str, Any], w: float, h: float) -> Shape | None:
    x, y = float(value["x"]) * w / 100, float(value["y"]) * h / 100
    bw, bh = float(value["width"]) * w / 100, float(value["height"]) * h / 100
    turn = float(value.get("rotation") or 0) % 360
    if not (bw > 0 and bh > 0 and math.isfinite(x + y + bw + bh + turn)):
        return None
    if turn == 0:
        return Shape(x, y, x + bw, y + bh, None)
    c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
    corners = [(dx, dy) for dx, dy in ((0, 0), (bw, 0), (bw, bh), (0, bh))]
    return _polygon([(x + dx * c - dy * s, y + dx * s + dy * c) for dx, dy in corners])


def _ellipse(value: Mapping[str, Any], w: float, h: float) -> Shape | None:
    cx, cy = float(value["x"]) * w / 100, float(value["y"]) * h / 100
    rx, ry = float(value["radiusX"]) * w / 100, float(value["radiusY"]) * h / 100
    turn = math.radians(float(value.get("rotation") or 0))
    t = np.linspace(0, 2 * math.pi, ELLIPSE_POINTS, endpoint=False)
    ex, ey = rx * np.cos(t), ry * np.sin(t)
    xs = cx + ex * math.cos(turn) - ey * math.sin(turn)
    ys = cy + ex * math.sin(turn) + ey * math.cos(turn)
    return _polygon(list(zip(xs.tolist(), ys.tolist(), strict=True)))


def _polygon(points: list[tuple[float, float]]) -> Shape | None:
    """A polygon's shape; a shapely geometry is made only when a comparison needs it."""
    if len(points) < 3 or not all(math.isfinite(x + y) for x, y in points):
        return None
    corners = convex.counter_clockwise(points)
    if convex.signed_area(corners) == 0 and _geometry_of(corners).area <= 0:
        return None  # no area, even once repaired
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return Shape(min(xs), min(ys), max(xs), max(ys), corners, convex.is_convex(corners))


def _geometry_of(points: Sequence[tuple[float, float]]) -> Any:
    polygon = shapely.Polygon(points)
    return polygon if polygon.is_valid else shapely.make_valid(polygon)


def key(shape: Shape) -> tuple[Any, ...]:
    """A sort key: the bounds, then the corners."""
    return (shape.x0, shape.y0, shape.x1, shape.y1, shape.points or ())


def batch(shapes: Sequence[Shape]) -> Shapes:
    """One annotator's shapes, for :func:`candidates`."""
    return Shapes(shapes)


def _geometry(shape: Shape) -> Any:
    if shape.points is not None:
        return _geometry_of(shape.points)
    return shapely.box(shape.x0, shape.y0, shape.x1, shape.y1)


def candidates(left: Shapes, right: Shapes, threshold: float) -> list[Edge]:
    """Pairs of shapes whose intersection over union is above 0 and at least ``threshold``.

    Upright boxes are compared by a sweep in plain Python; a pair with another shape in it
    goes to ``shapely``, where the bounding boxes meet.
    """
    a, b = left.boxes, right.boxes
    if len(a) == len(left.shapes) and len(b) == len(right.shapes):
        return _boxes(left.shapes, right.shapes, threshold)
    found = _boxes([left.shapes[i] for i in a], [right.shapes[j] for j in b], threshold)
    edges = [(a[i], b[j], ratio) for i, j, ratio in found]
    pairs = [(i, j) for i in left.turned for j in range(len(right.shapes))]
    pairs += [(i, j) for i in a for j in right.turned]
    return edges + _general(left, right, [p for p in pairs if _meet(left, right, *p)], threshold)


def _meet(left: Shapes, right: Shapes, i: int, j: int) -> bool:
    a, b = left.shapes[i], right.shapes[j]
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _general(
    left: Shapes, right: Shapes, pairs: list[tuple[int, int]], threshold: float
) -> list[Edge]:
    """Intersection over union of the given pairs of shapes, not both upright boxes.

    Two convex shapes with few corners are clipped in plain Python; the rest go to shapely.
    """
    edges: list[Edge] = []
    hard: list[tuple[int, int]] = []
    for i, j in pairs:
        a, b = left.shapes[i], right.shapes[j]
        if not (a.convex and b.convex) or len(_corners(a)) * len(_corners(b)) > CLIP_WORK:
            hard.append((i, j))
            continue
        inter = convex.shared_area(_corners(a), _corners(b))
        area_a, area_b = convex.signed_area(_corners(a)), convex.signed_area(_corners(b))
        _keep(edges, i, j, inter, area_a + area_b - inter, threshold)
    if hard:
        rows, cols = np.array(hard).T
        first, second = left.polygons[rows], right.polygons[cols]
        inters = shapely.area(shapely.intersection(first, second))
        unions = shapely.area(first) + shapely.area(second) - inters
        for i, j, inter, union in zip(rows, cols, inters, unions, strict=True):
            _keep(edges, int(i), int(j), float(inter), float(union), threshold)
    return edges


CLIP_WORK = 512  # corners x corners: beyond it shapely is quicker


def _corners(shape: Shape) -> tuple[tuple[float, float], ...]:
    if shape.points is not None:
        return shape.points
    x0, y0, x1, y1 = shape.x0, shape.y0, shape.x1, shape.y1
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _keep(edges: list[Edge], i: int, j: int, inter: float, union: float, threshold: float) -> None:
    if inter > 0 and union > 0 and inter / union >= threshold:
        edges.append((i, j, inter / union))


def _boxes(left: Sequence[Shape], right: Sequence[Shape], threshold: float) -> list[Edge]:
    """Upright boxes, both lists sorted by ``x0``: a sweep visits only boxes that can meet."""
    edges: list[Edge] = []
    first, n = 0, len(right)
    for i, (ax0, ay0, ax1, ay1, *_) in enumerate(left):
        while first < n and right[first][2] <= ax0:
            first += 1
        area = (ax1 - ax0) * (ay1 - ay0)
        for j in range(first, n):
            bx0, by0, bx1, by1, *_ = right[j]
            if bx0 >= ax1:
                break
            if by0 >= ay1 or by1 <= ay0 or bx1 <= ax0:
                continue
            w = (ax1 if ax1 < bx1 else bx1) - (ax0 if ax0 > bx0 else bx0)
            inter = w * ((ay1 if ay1 < by1 else by1) - (ay0 if ay0 > by0 else by0))
            ratio = inter / (area + (bx1 - bx0) * (by1 - by0) - inter)
            if ratio >= threshold:
                edges.append((i, j, ratio))
    return edges
