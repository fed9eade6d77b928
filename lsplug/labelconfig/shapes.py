"""The shape of a result item's ``value``, per result type, as the editor writes it.

Learnt from the editor (Label Studio Frontend 1.4: each region's ``serialize`` and the
result model): strict where it always writes the same shape (a box's ``x``, ``y``,
``width``, ``height`` are numbers; labels and choices are lists of strings; a text span's
``start`` and ``end`` are character offsets), lenient where real data varies (spans on HTML
use XPaths, time series times may be formatted strings, brush masks of older editors).
Keys not named here are kept and not checked.

:func:`shape_problem` needs no label config: exporters use it on results stored before
these checks. :func:`object_problem` adds what the object a result points at implies
(offsets on a ``Text``, seconds on an ``Audio``); the import and completion checks use both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

Value = Mapping[str, Any]
Rule = Callable[[Value], str | None]


# --- what a value may be ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A JSON shape: a test and how to say it (``a number``)."""

    said: str
    test: Callable[[Any], bool]


def _is_number(x: Any) -> TypeGuard[int | float]:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_whole(x: Any) -> bool:
    return _is_number(x) and float(x).is_integer() and x >= 0


def _is_strings(x: Any) -> bool:
    return isinstance(x, list) and all(isinstance(s, str) for s in x)


def _is_pair(p: Any) -> bool:
    return isinstance(p, list | tuple) and len(p) == 2 and all(_is_number(c) for c in p)


def _is_byte(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= 255


NUMBER = Shape("a number", _is_number)
OFFSET = Shape("a whole number of at least 0", _is_whole)
STRING = Shape("a string", lambda x: isinstance(x, str))
BOOLEAN = Shape("true or false", lambda x: isinstance(x, bool))
STRINGS = Shape("a list of strings", _is_strings)
TEXT = Shape("a string or a list of strings", lambda x: isinstance(x, str) or _is_strings(x))
PLACE = Shape("a number or a string", lambda x: _is_number(x) or isinstance(x, str))
POINTS = Shape(
    "a list of [x, y] number pairs", lambda x: isinstance(x, list) and all(map(_is_pair, x))
)
RLE = Shape(
    "a list of whole numbers 0-255", lambda x: isinstance(x, list) and all(map(_is_byte, x))
)
PATHS = Shape(
    "a list of choices or of paths (lists of choices)",
    lambda x: isinstance(x, list) and all(isinstance(p, str) or _is_strings(p) for p in x),
)
LIST = Shape("a list", lambda x: isinstance(x, list))
OBJECTS = Shape(
    "a list of objects", lambda x: isinstance(x, list) and all(isinstance(o, dict) for o in x)
)
SIDE = Shape('"left", "right" or "none"', lambda x: x in ("left", "right", "none"))
ID = Shape("a string or a number", lambda x: isinstance(x, str) or _is_number(x))


def kind_of(value: Any) -> str:
    """What a JSON value is, in words (for messages)."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


# --- rules: a key that must or may be there, with its shape ----------------------------------


def need(key: str, shape: Shape, at: str = "value.") -> Rule:
    """``value[key]`` must be there and have ``shape`` (``at``: how messages name its place)."""

    def rule(value: Value) -> str | None:
        if key not in value:
            return f"{at}{key} is missing (it must be {shape.said})"
        return _wrong(value, key, shape, at)

    return rule


def may(key: str, shape: Shape, at: str = "value.") -> Rule:
    """``value[key]``, when there (and not null), must have ``shape``."""

    def rule(value: Value) -> str | None:
        return _wrong(value, key, shape, at) if value.get(key) is not None else None

    return rule


def _wrong(value: Value, key: str, shape: Shape, at: str) -> str | None:
    got = value[key]
    return None if shape.test(got) else f"{at}{key} must be {shape.said}, not {kind_of(got)}"


def ordered(value: Value) -> str | None:
    """A span's ``start`` is not after its ``end`` (when both are numbers)."""
    start, end = value.get("start"), value.get("end")
    if _is_number(start) and _is_number(end) and start > end:
        return f"value.start ({start}) is after value.end ({end})"
    return None


def either(*keys: str) -> Rule:
    """At least one of ``keys`` is there."""

    def rule(value: Value) -> str | None:
        if any(k in value for k in keys):
            return None
        return f"value needs {' or '.join(f'value.{k}' for k in keys)}"

    return rule


# --- the rules of each result type -----------------------------------------------------------

BOX = (need("x", NUMBER), need("y", NUMBER), need("width", NUMBER), need("height", NUMBER),
       may("rotation", NUMBER))  # fmt: skip
ELLIPSE = (need("x", NUMBER), need("y", NUMBER), need("radiusX", NUMBER),
           need("radiusY", NUMBER), may("rotation", NUMBER))  # fmt: skip
KEYPOINT = (need("x", NUMBER), need("y", NUMBER), may("width", NUMBER))
POLYGON = (need("points", POINTS),)
BRUSH = (either("rle", "points"), may("rle", RLE), may("format", STRING))
# a span somewhere in a text, HTML, dialogue, recording or series: offsets, XPaths or times
SPAN = (need("start", PLACE), need("end", PLACE), may("startOffset", NUMBER),
        may("endOffset", NUMBER), may("text", STRING), ordered)  # fmt: skip
LOOSE_SPAN = (may("start", PLACE), may("end", PLACE), may("startOffset", NUMBER),
              may("endOffset", NUMBER), ordered)  # fmt: skip

# Result types whose value names its labels (or choices) under the type's own name.
LABEL_KEYS = frozenset({
    "labels", "choices", "rectanglelabels", "polygonlabels", "ellipselabels", "keypointlabels",
    "brushlabels", "hypertextlabels", "paragraphlabels", "timeserieslabels", "htmllabels",
})  # fmt: skip

TYPE_RULES: dict[str, tuple[Rule, ...]] = {
    "choices": (need("choices", STRINGS),),
    "taxonomy": (need("taxonomy", PATHS),),
    "textarea": (need("text", TEXT),),
    "rating": (need("rating", NUMBER),),
    "number": (need("number", NUMBER),),
    "datetime": (need("datetime", STRING),),
    "pairwise": (need("selected", SIDE),),
    "ranker": (may("items", LIST), may("selected", LIST)),
    "rectangle": BOX,
    "rectanglelabels": (*BOX, need("rectanglelabels", STRINGS)),
    "polygon": POLYGON,
    "polygonlabels": (*POLYGON, need("polygonlabels", STRINGS)),
    "ellipse": ELLIPSE,
    "ellipselabels": (*ELLIPSE, need("ellipselabels", STRINGS)),
    "keypoint": KEYPOINT,
    "keypointlabels": (*KEYPOINT, need("keypointlabels", STRINGS)),
    "brush": BRUSH,
    "brushlabels": (*BRUSH, need("brushlabels", STRINGS)),
    "labels": (need("labels", STRINGS), *LOOSE_SPAN, may("text", STRING)),
    "hypertextlabels": (*SPAN, need("hypertextlabels", STRINGS)),
    "paragraphlabels": (*SPAN, need("paragraphlabels", STRINGS)),
    "timeserieslabels": (*SPAN, may("instant", BOOLEAN), need("timeserieslabels", STRINGS)),
    "videorectangle": (may("sequence", OBJECTS),),
}

# What the object a ``labels`` result points at adds: a span of a text is in characters,
# of a recording in seconds; both are numbers there.
TEXT_SPAN = (need("start", OFFSET), need("end", OFFSET), may("text", STRING), ordered)
TIME_SPAN = (need("start", NUMBER), need("end", NUMBER), ordered)
OBJECT_RULES: dict[str, tuple[Rule, ...]] = {
    "Text": TEXT_SPAN,
    "HyperText": SPAN,
    "Paragraphs": SPAN,
    "Audio": TIME_SPAN,
    "AudioPlus": TIME_SPAN,
    "TimeSeries": SPAN,
    "Image": (may("x", NUMBER), may("y", NUMBER), may("width", NUMBER), may("height", NUMBER)),
}


def _relation_ends(item: Value) -> str | None:
    missing = [k for k in ("from_id", "to_id") if k not in item]
    return f"a relation needs {' and '.join(missing)}" if missing else None


RELATION = (_relation_ends, need("from_id", ID, ""), need("to_id", ID, ""),
            may("labels", STRINGS, ""), may("direction", STRING, ""))  # fmt: skip


# --- checking --------------------------------------------------------------------------------


def _first(rules: tuple[Rule, ...], value: Value) -> str | None:
    return next((p for p in (rule(value) for rule in rules) if p), None)


def shape_problem(item: Any) -> str | None:
    """Why a result item is not shaped as its ``type`` says (first problem), or None.

    Needs no label config: ``value`` is an object, and the keys its type names have the
    editor's JSON types. Unknown types need only an object ``value``.
    """
    if not isinstance(item, Mapping):
        return f"a result item must be an object, not {kind_of(item)}"
    kind = item.get("type")
    if kind == "relation":
        return _first(RELATION, item)
    value = item.get("value")
    if not isinstance(value, Mapping):
        return f"value must be an object, not {kind_of(value)}"
    for key in ("original_width", "original_height"):
        if item.get(key) is not None and not _is_number(item[key]):
            return f"{key} must be a number, not {kind_of(item[key])}"
    rules = TYPE_RULES.get(kind, ()) if isinstance(kind, str) else ()
    extra = tuple(may(k, STRINGS) for k in LABEL_KEYS if k in value)
    return _first((*rules, *extra), value)


def object_problem(object_tag: str | None, item: Mapping[str, Any]) -> str | None:
    """What the object a ``labels`` result points at adds to :func:`shape_problem`."""
    value = item.get("value")
    if item.get("type") != "labels" or object_tag is None or not isinstance(value, Mapping):
        return None
    return _first(OBJECT_RULES.get(object_tag, ()), value)
