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
from typing import Any, NamedTuple

import numpy as np
import shapely

from lsplug.agreement.matchers.assign import Edge

ELLIPSE_POINTS = 64
Item = Mapping[str, Any]


class Shape(NamedTuple):
    """A region's bounds in pixels, and its polygon unless it is an upright box."""

    x0: float
    y0: float
    x1: float
    y1: float
    polygon: Any  # shapely geometry, None for an upright box


class Shapes(NamedTuple):
    """One annotator's shapes as arrays, made once per task."""

    bounds: np.ndarray  # n x 4: x0, y0, x1, y1
    polygons: np.ndarray | None  # shapely geometries, None when all are upright boxes
    areas: np.ndarray


def size_of(item: Item) -> tuple[float, float]:
    """The image size in pixels the item gives, or a 100 x 100 square (percent as pixels)."""
    w, h = item.get("original_width"), item.get("original_height")
    ok = all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in (w, h))
    return (float(w), float(h)) if ok else (100.0, 100.0)  # type: ignore[arg-type]


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
    if len(points) < 3 or not all(math.isfinite(x + y) for x, y in points):
        return None
    polygon = shapely.Polygon(points)
    if not polygon.is_valid:
        polygon = shapely.make_valid(polygon)
    if polygon.area <= 0:
        return None
    x0, y0, x1, y1 = polygon.bounds
    return Shape(x0, y0, x1, y1, polygon)


def key(shape: Shape) -> tuple[float, ...]:
    """A sort key: the bounds, then the area."""
    area = shape.polygon.area if shape.polygon is not None else 0.0
    return (shape.x0, shape.y0, shape.x1, shape.y1, area)


def batch(shapes: Sequence[Shape]) -> Shapes:
    """One annotator's shapes as arrays."""
    bounds = np.array([s[:4] for s in shapes], dtype=float).reshape(-1, 4)
    boxes = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    if all(s.polygon is None for s in shapes):
        return Shapes(bounds, None, boxes)
    polygons = np.array([_geometry(s) for s in shapes], dtype=object)
    return Shapes(bounds, polygons, shapely.area(polygons))


def _geometry(shape: Shape) -> Any:
    if shape.polygon is not None:
        return shape.polygon
    return shapely.box(shape.x0, shape.y0, shape.x1, shape.y1)


def candidates(left: Shapes, right: Shapes, threshold: float) -> list[Edge]:
    """Pairs of shapes whose intersection over union is above 0 and at least ``threshold``."""
    a, b = left.bounds[:, None, :], right.bounds[None, :, :]
    width = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    height = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    rows, cols = np.nonzero((width > 0) & (height > 0))
    if not len(rows):
        return []
    if left.polygons is None and right.polygons is None:
        inter = width[rows, cols] * height[rows, cols]
    else:
        inter = shapely.area(shapely.intersection(_all(left)[rows], _all(right)[cols]))
    union = left.areas[rows] + right.areas[cols] - inter
    ratio = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    keep = (ratio > 0) & (ratio >= threshold)
    return list(zip(rows[keep].tolist(), cols[keep].tolist(), ratio[keep].tolist(), strict=True))


def _all(shapes: Shapes) -> np.ndarray:
    if shapes.polygons is not None:
        return shapes.polygons
    x0, y0, x1, y1 = shapes.bounds.T
    return np.asarray(shapely.box(x0, y0, x1, y1))
