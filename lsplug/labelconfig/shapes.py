"""The shape of a result item's ``value``, per result type, as the editor writes it.

Learnt from the editor (Label Studio Frontend 1.4: each region's ``serialize`` and the
result model): strict where it always writes the same shape (a box's ``x``, ``y``,
``width``, ``height`` are numbers; labels and choices are lists of strings; a text span's
``start`` and ``end`` are character offsets), lenient where real data varies (spans on HTML
use XPaths, time series times may be formatted strings, brush masks of older editors).
Keys not named here are kept and not checked.

:func:`shape_problem` needs no label config. :func:`object_problem` adds what the object a
result points at implies (offsets on a ``Text``, seconds on an ``Audio``): the completion and
import checks call both; exporters, checking results stored before these checks, give
:func:`shape_problem` the object's tag and both are checked in one pass. The rules are data
(:class:`Rules`) checked in one loop: exports check every result they write.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

Value = Mapping[str, Any]


# --- what a value may be ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A JSON shape: a test and how to say it (``a number``)."""

    said: str
    test: Callable[[Any], bool]


def _is_number(x: Any) -> TypeGuard[int | float]:
    kind = type(x)  # JSON gives exactly int and float; bool is not a number here
    return kind is int or (kind is float and math.isfinite(x))


def _is_whole(x: Any) -> bool:
    return _is_number(x) and x >= 0 and (type(x) is int or float(x).is_integer())


def _is_strings(x: Any) -> bool:
    return type(x) is list and all(type(s) is str for s in x)


def _is_pair(p: Any) -> bool:
    return type(p) in (list, tuple) and len(p) == 2 and _is_number(p[0]) and _is_number(p[1])


def _is_byte(x: Any) -> bool:
    return type(x) is int and 0 <= x <= 255


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


# --- rules: keys that must or may be there, with their shapes, and checks across keys -------

# Result types whose value names its labels (or choices) under the type's own name.
LABEL_KEYS = frozenset({
    "labels", "choices", "rectanglelabels", "polygonlabels", "ellipselabels", "keypointlabels",
    "brushlabels", "hypertextlabels", "paragraphlabels", "timeserieslabels", "htmllabels",
})  # fmt: skip

Check = Callable[[Value], str | None]
_MISSING = object()


@dataclass(frozen=True)
class Rules:
    """What a value must hold: ``keys`` (name, shape, required, how messages name its place)
    checked in one loop, then ``checks`` across keys. Rules add up with ``+``."""

    keys: tuple[tuple[str, Shape, bool, str], ...] = ()
    checks: tuple[Check, ...] = ()
    # the ``*labels`` keys these rules do not name (checked by :func:`_labels_anywhere`)
    other_labels: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "other_labels", LABEL_KEYS - {k[0] for k in self.keys})

    def __add__(self, other: Rules) -> Rules:
        return Rules(self.keys + other.keys, self.checks + other.checks)

    def problem(self, value: Value) -> str | None:
        """The first thing ``value`` gets wrong, or None."""
        for key, shape, required, at in self.keys:
            got = value.get(key, _MISSING)
            if got is _MISSING or (got is None and not required):
                if got is _MISSING and required:
                    return f"{at}{key} is missing (it must be {shape.said})"
            elif not shape.test(got):
                return f"{at}{key} must be {shape.said}, not {kind_of(got)}"
        for check in self.checks:
            problem = check(value)
            if problem:
                return problem
        return None


def need(key: str, shape: Shape, at: str = "value.") -> Rules:
    """``value[key]`` must be there and have ``shape`` (``at``: how messages name its place)."""
    return Rules(((key, shape, True, at),))


def may(key: str, shape: Shape, at: str = "value.") -> Rules:
    """``value[key]``, when there (and not null), must have ``shape``."""
    return Rules(((key, shape, False, at),))


def check(*checks: Check) -> Rules:
    """Checks across keys."""
    return Rules((), checks)


def _ordered(value: Value) -> str | None:
    """A span's ``start`` is not after its ``end`` (when both are numbers)."""
    start, end = value.get("start"), value.get("end")
    if _is_number(start) and _is_number(end) and start > end:
        return f"value.start ({start}) is after value.end ({end})"
    return None


def _a_mask(value: Value) -> str | None:
    """A brush holds a mask: ``rle`` (or the strokes of older editors, ``points``)."""
    return None if "rle" in value or "points" in value else "value needs value.rle or value.points"


def _relation_ends(item: Value) -> str | None:
    missing = [k for k in ("from_id", "to_id") if k not in item]
    return f"a relation needs {' and '.join(missing)}" if missing else None


ORDERED = check(_ordered)


# --- the rules of each result type -----------------------------------------------------------

BOX = need("x", NUMBER) + need("y", NUMBER) + need("width", NUMBER) + need("height", NUMBER) \
    + may("rotation", NUMBER)  # fmt: skip
ELLIPSE = need("x", NUMBER) + need("y", NUMBER) + need("radiusX", NUMBER) \
    + need("radiusY", NUMBER) + may("rotation", NUMBER)  # fmt: skip
KEYPOINT = need("x", NUMBER) + need("y", NUMBER) + may("width", NUMBER)
POLYGON = need("points", POINTS)
BRUSH = may("rle", RLE) + may("format", STRING) + check(_a_mask)
# a span somewhere in a text, HTML, dialogue, recording or series: offsets, XPaths or times
SPAN = need("start", PLACE) + need("end", PLACE) + may("startOffset", NUMBER) \
    + may("endOffset", NUMBER) + may("text", STRING) + ORDERED  # fmt: skip
LOOSE_SPAN = may("start", PLACE) + may("end", PLACE) + may("startOffset", NUMBER) \
    + may("endOffset", NUMBER) + may("text", STRING) + ORDERED  # fmt: skip


TYPE_RULES: dict[str, Rules] = {
    "choices": need("choices", STRINGS),
    "taxonomy": need("taxonomy", PATHS),
    "textarea": need("text", TEXT),
    "rating": need("rating", NUMBER),
    "number": need("number", NUMBER),
    "datetime": need("datetime", STRING),
    "pairwise": need("selected", SIDE),
    "ranker": may("items", LIST) + may("selected", LIST),
    "rectangle": BOX,
    "rectanglelabels": BOX + need("rectanglelabels", STRINGS),
    "polygon": POLYGON,
    "polygonlabels": POLYGON + need("polygonlabels", STRINGS),
    "ellipse": ELLIPSE,
    "ellipselabels": ELLIPSE + need("ellipselabels", STRINGS),
    "keypoint": KEYPOINT,
    "keypointlabels": KEYPOINT + need("keypointlabels", STRINGS),
    "brush": BRUSH,
    "brushlabels": BRUSH + need("brushlabels", STRINGS),
    "labels": need("labels", STRINGS) + LOOSE_SPAN,
    "hypertextlabels": SPAN + need("hypertextlabels", STRINGS),
    "paragraphlabels": SPAN + need("paragraphlabels", STRINGS),
    "timeserieslabels": SPAN + may("instant", BOOLEAN) + need("timeserieslabels", STRINGS),
    "videorectangle": may("sequence", OBJECTS),
}

# What the object a ``labels`` result points at adds: a span of a text is in characters,
# of a recording in seconds; both are numbers there.
TEXT_SPAN = need("start", OFFSET) + need("end", OFFSET) + may("text", STRING) + ORDERED
TIME_SPAN = need("start", NUMBER) + need("end", NUMBER) + ORDERED
OBJECT_RULES: dict[str, Rules] = {
    "Text": TEXT_SPAN,
    "HyperText": SPAN,
    "Paragraphs": SPAN,
    "Audio": TIME_SPAN,
    "AudioPlus": TIME_SPAN,
    "TimeSeries": SPAN,
    "Image": may("x", NUMBER) + may("y", NUMBER) + may("width", NUMBER) + may("height", NUMBER),
}

RELATION = need("from_id", ID, "") + need("to_id", ID, "") \
    + may("labels", STRINGS, "") + may("direction", STRING, "")  # fmt: skip
NO_RULES = Rules()
SIZE = may("original_width", NUMBER, "") + may("original_height", NUMBER, "")


# --- checking --------------------------------------------------------------------------------


def _labels_anywhere(value: Value, rules: Rules) -> str | None:
    """Labels under any other ``*labels`` key, whatever the type: lists of strings."""
    for key in rules.other_labels.intersection(value):
        got = value[key]
        if got is not None and not _is_strings(got):
            return f"value.{key} must be {STRINGS.said}, not {kind_of(got)}"
    return None


def _merged(first: Rules, then: Rules) -> Rules:
    """``first``, then the keys and checks of ``then`` that ``first`` does not have."""
    named = {key for key, *_ in first.keys}
    keys = first.keys + tuple(k for k in then.keys if k[0] not in named)
    return Rules(keys, first.checks + tuple(c for c in then.checks if c not in first.checks))


# ``labels`` results on each kind of object, checked in one pass (what exporters use)
LABELS_ON = {tag: _merged(rules, TYPE_RULES["labels"]) for tag, rules in OBJECT_RULES.items()}


def shape_problem(item: Any, object_tag: str | None = None) -> str | None:
    """Why a result item is not shaped as its ``type`` says (first problem), or None.

    Needs no label config: ``value`` is an object, and the keys its type names have the
    editor's JSON types. Unknown types need only an object ``value``. With the tag of the
    object the item points at, :func:`object_problem` is checked in the same pass.
    """
    if not isinstance(item, Mapping):
        return f"a result item must be an object, not {kind_of(item)}"
    kind = item.get("type")
    if kind == "relation":
        return _relation_ends(item) or RELATION.problem(item)
    value = item.get("value")
    if not isinstance(value, Mapping):
        return f"value must be an object, not {kind_of(value)}"
    sized = SIZE.problem(item) if "original_width" in item or "original_height" in item else None
    rules = TYPE_RULES.get(kind, NO_RULES) if isinstance(kind, str) else NO_RULES
    if kind == "labels" and object_tag in LABELS_ON:
        rules = LABELS_ON[object_tag]
    return sized or rules.problem(value) or _labels_anywhere(value, rules)


def object_problem(object_tag: str | None, item: Mapping[str, Any]) -> str | None:
    """What the object a ``labels`` result points at adds to :func:`shape_problem`."""
    value = item.get("value")
    if item.get("type") != "labels" or object_tag is None or not isinstance(value, Mapping):
        return None
    return OBJECT_RULES.get(object_tag, NO_RULES).problem(value)
