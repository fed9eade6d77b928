"""The labels a result carries and the value (category) nominal agreement compares."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from lsplug.hooks import Mark

# Keys of ``value`` that hold a region's labels, whatever its type says.
LABEL_KEYS = ("labels", "rectanglelabels", "polygonlabels", "ellipselabels", "keypointlabels",
              "brushlabels", "hypertextlabels", "paragraphlabels", "timeserieslabels",
              "choices")  # fmt: skip


def labels_of(item: Mapping[str, Any]) -> tuple[str, ...]:
    """The sorted, distinct labels of a result item (``value[<type>]`` or a known label key)."""
    value = item.get("value")
    if not isinstance(value, Mapping):
        return ()
    found = value.get(item.get("type"))
    if not isinstance(found, list):
        found = next((value[k] for k in LABEL_KEYS if isinstance(value.get(k), list)), [])
    return canonical(found)


def canonical(labels: Iterable[Any]) -> tuple[str, ...]:
    """Labels as a sorted tuple of distinct strings (non-strings written as text)."""
    found = {x if isinstance(x, str) else str(x) for x in labels}
    return tuple(sorted(found))


def value_of(labels: tuple[str, ...]) -> str:
    """The category of a label set: the label itself, "" for none, a JSON list for several."""
    if len(labels) == 1:
        return labels[0]
    return json.dumps(list(labels), ensure_ascii=False) if labels else ""


def mark(index: int, labels: tuple[str, ...]) -> Mark:
    """The mark of a region at ``index`` carrying ``labels``."""
    return Mark(index, value_of(labels), labels)


def jaccard(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Intersection over union of two label sets (1 when both are empty or equal)."""
    if a == b:
        return 1.0
    both = len(set(a).intersection(b))
    return both / (len(a) + len(b) - both)
