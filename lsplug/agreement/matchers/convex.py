"""Convex polygons in plain Python: orientation, convexity and the area two of them share.

Turned boxes and ellipses are convex, and so are most drawn polygons; the area two convex
polygons share is the area of one clipped by the other (Sutherland-Hodgman), which for the
handful of corners of a box is much cheaper than building ``shapely`` geometries. Concave
or crossed polygons are left to ``shapely`` (:mod:`.polygons`).
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def signed_area(points: Sequence[Point]) -> float:
    """The shoelace area: positive when the corners turn counter-clockwise (y up)."""
    total = 0.0
    px, py = points[-1]
    for qx, qy in points:
        total += px * qy - qx * py
        px, py = qx, qy
    return total / 2


def is_convex(points: Sequence[Point]) -> bool:
    """Whether a polygon is convex and simple: every turn the same way, x turning twice."""
    n = len(points)
    turns = 0
    flips = 0
    for k in range(n):
        (ax, ay), (bx, by), (cx, cy) = points[k - 2], points[k - 1], points[k]
        cross = (bx - ax) * (cy - by) - (by - ay) * (cx - bx)
        if cross:
            sign = 1 if cross > 0 else -1
            if turns and sign != turns:
                return False
            turns = sign
        if (bx - ax) * (cx - bx) < 0:
            flips += 1
    return bool(turns) and flips <= 2


def counter_clockwise(points: Sequence[Point]) -> tuple[Point, ...]:
    """The corners in counter-clockwise order."""
    return tuple(points) if signed_area(points) >= 0 else tuple(reversed(points))


def shared_area(subject: Sequence[Point], clipper: Sequence[Point]) -> float:
    """The area of ``subject`` inside ``clipper``; both convex and counter-clockwise."""
    out = list(subject)
    cx0, cy0 = clipper[-1]
    for cx1, cy1 in clipper:
        if not out:
            return 0.0
        ex, ey = cx1 - cx0, cy1 - cy0
        given, out = out, []
        px, py = given[-1]
        sp = ex * (py - cy0) - ey * (px - cx0)
        for qx, qy in given:
            sq = ex * (qy - cy0) - ey * (qx - cx0)
            if (sp >= 0) != (sq >= 0):
                t = sp / (sp - sq)
                out.append((px + t * (qx - px), py + t * (qy - py)))
            if sq >= 0:
                out.append((qx, qy))
            px, py, sp = qx, qy, sq
        cx0, cy0 = cx1, cy1
    return signed_area(out) if len(out) >= 3 else 0.0
