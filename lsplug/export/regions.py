"""Image regions of results in pixels: boxes and polygons, from percentages and image sizes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lsplug.export.common import Item, Summary, Task, result_where, sound_results
from lsplug.labelconfig import LabelConfig

BOX_TAGS = ("RectangleLabels", "Rectangle")
POLYGON_TAGS = ("PolygonLabels", "Polygon")


def image_controls(config: LabelConfig, tags: tuple[str, ...]) -> list[str]:
    """Names of the controls of ``tags`` that point at an ``Image``."""
    images = {o.name for o in config.objects_of("Image")}
    return [c.name for c in config.controls_of(*tags) if images & set(c.to_names)]


def fits_images(config: LabelConfig, tags: tuple[str, ...]) -> bool:
    """Whether the config has an ``Image`` with a control of ``tags`` on it."""
    return bool(image_controls(config, tags))


def fits_boxes(config: LabelConfig) -> bool:
    """Whether the config has an ``Image`` with rectangles (what VOC and YOLO need)."""
    return fits_images(config, BOX_TAGS)


def image_key(config: LabelConfig, controls: list[str]) -> str | None:
    """The data key of the image the first of ``controls`` labels."""
    objects = {o.name: o for o in config.objects_of("Image")}
    for name in controls:
        for to_name in config.controls[name].to_names:
            if to_name in objects:
                return objects[to_name].value_key
    return None


@dataclass
class Categories:
    """Label names to class ids, from 0 in the config's order; unknown labels appended."""

    names: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, config: LabelConfig, controls: list[str]) -> Categories:
        """The labels of ``controls`` in config order, each once."""
        cats = cls()
        for name in controls:
            for label in config.controls[name].labels:
                cats.id(label)
        return cats

    def id(self, label: str) -> int:
        """The class id of ``label``, added at the end when new."""
        if label not in self.ids:
            self.ids[label] = len(self.names)
            self.names.append(label)
        return self.ids[label]


def size_of(item: Item) -> tuple[float, float] | None:
    """The image size an item carries (``original_width``, ``original_height``)."""
    w, h = item.get("original_width"), item.get("original_height")
    if isinstance(w, int | float) and isinstance(h, int | float) and w > 0 and h > 0:
        return float(w), float(h)
    return None


def label_of(item: Item) -> str | None:
    """The region's label: the first of ``value[<type>]`` (``rectanglelabels``...)."""
    value = item.get("value") or {}
    labels = value.get(str(item.get("type", "")).lower())
    if isinstance(labels, list) and labels and isinstance(labels[0], str):
        return labels[0]
    return None


def box_px(item: Item, size: tuple[float, float]) -> tuple[float, float, float, float] | None:
    """``x, y, w, h`` in pixels of a rectangle given in percent."""
    value = item.get("value") or {}
    try:
        x, y = float(value["x"]), float(value["y"])
        w, h = float(value["width"]), float(value["height"])
    except (KeyError, TypeError, ValueError):
        return None
    return x * size[0] / 100, y * size[1] / 100, w * size[0] / 100, h * size[1] / 100


def polygon_px(item: Item, size: tuple[float, float]) -> list[tuple[float, float]] | None:
    """A polygon's points in pixels (at least three), given in percent."""
    points = (item.get("value") or {}).get("points")
    if not isinstance(points, list):
        return None
    try:
        pts = [(float(x) * size[0] / 100, float(y) * size[1] / 100) for x, y in points]
    except (TypeError, ValueError):
        return None
    return pts if len(pts) >= 3 else None


def polygon_area(points: list[tuple[float, float]]) -> float:
    """The area of a simple polygon (shoelace formula)."""
    pairs = zip(points, points[1:] + points[:1], strict=True)
    twice = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairs)
    return abs(twice) / 2


@dataclass(frozen=True)
class Region:
    """One region of a completion: its kind, label, pixel geometry and image size."""

    kind: str  # "box" or "polygon"
    label: str
    size: tuple[float, float]
    box: tuple[float, float, float, float]
    points: list[tuple[float, float]] | None = None


def regions(
    task: Task,
    completion: Mapping[str, Any],
    controls: list[str],
    kinds: frozenset[str],
    summary: Summary,
) -> Iterator[Region]:
    """The regions of ``controls`` a format takes (``kinds``); every other one is reported."""
    for item in sound_results(task, completion, summary):
        if item.get("from_name") not in controls:
            if _is_region(item):
                summary.skip("region of a control this format does not export", task,
                             **result_where(completion, item))  # fmt: skip
            continue
        region, why = _region(item, kinds)
        if region is None:
            summary.skip(why, task, **result_where(completion, item))
        else:
            yield region


def _is_region(item: Item) -> bool:
    """Whether an item is an image region of some kind (it has a ``value`` with geometry)."""
    value = item.get("value") or {}
    return isinstance(value, Mapping) and bool({"x", "points", "rle"} & set(value))


def _region(item: Item, kinds: frozenset[str]) -> tuple[Region | None, str]:
    """An item as a region, or why it cannot be one in this format."""
    kind = str(item.get("type", "")).lower().removesuffix("labels")
    shape = {"rectangle": "box", "polygon": "polygon"}.get(kind)
    if shape not in kinds:
        return None, f"{kind or 'untyped'} regions cannot be expressed in this format"
    label, size = label_of(item), size_of(item)
    if label is None:
        return None, "region without a label"
    if size is None:
        return None, "region without original_width/original_height"
    if shape == "box":
        if (item.get("value") or {}).get("rotation"):
            return None, "rotated rectangles cannot be expressed in this format"
        box = box_px(item, size)
        if box is None:
            return None, "rectangle without x, y, width, height"
        return Region("box", label, size, box), ""
    points = polygon_px(item, size)
    if points is None:
        return None, "polygon without at least three points"
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    return Region("polygon", label, size, box, points), ""
