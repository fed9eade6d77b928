"""Check a completion's or a prediction's ``result`` items against the label config.

Every result stored through the API passes here (completions posted or patched, imports and
task rewrites with completions or predictions): the control it names, what it points at,
its type, the shape of its ``value`` (:mod:`lsplug.labelconfig.shapes`) and its labels.
"""

from __future__ import annotations

from typing import Any

from lsplug.labelconfig.check import ControlTag, LabelConfig
from lsplug.labelconfig.shapes import kind_of, object_problem, shape_problem

# Result types whose ``value`` holds a list of the control's labels or choices under the
# type's own name (``"value": {"labels": ["PER"]}``).
LABELED_TYPES = frozenset({
    "labels", "choices", "rectanglelabels", "polygonlabels", "ellipselabels", "keypointlabels",
    "brushlabels", "hypertextlabels", "paragraphlabels", "timeserieslabels", "taxonomy",
})  # fmt: skip

# Controls whose results the editor (1.4) gives their own name as ``to_name``: a pairwise
# choice is about both objects at once (``"to_name": "better"``, not ``"answer1,answer2"``).
SELF_NAMED = frozenset({"Pairwise", "Ranker"})


def result_problem(config: LabelConfig, result: list[Any]) -> str | None:
    """Why ``result`` does not fit ``config`` (the first problem), or None if it does.

    The message starts with the item's index and names the key: ``result[2]: value.start
    must be a whole number of at least 0, not a string``.
    """
    for i, item in enumerate(result):
        if not isinstance(item, dict):
            return f"result[{i}] must be an object, not {kind_of(item)}"
        problem = _item_problem(config, item)
        if problem:
            return f"result[{i}]: {problem}"
    return None


def _item_problem(config: LabelConfig, item: dict[str, Any]) -> str | None:
    kind = item.get("type")
    if kind == "relation":
        return shape_problem(item)
    name = item.get("from_name")
    control = config.controls.get(name) if isinstance(name, str) else None
    if control is None:
        known = ", ".join(config.controls) or "none"
        return f"from_name {_shown(name)} is not a control of the label config (controls: {known})"
    to_name = item.get("to_name")
    if not _points_at(control, to_name):
        return (
            f"to_name {_shown(to_name)} is not what <{control.tag} "
            f'name="{control.name}"> points at (toName: {", ".join(control.to_names)})'
        )
    if kind not in control.result_types:
        return (
            f'type {_shown(kind)} does not match <{control.tag} name="{control.name}">, '
            f'which gives "{control.result_type}"'
        )
    target = config.objects.get(to_name) if isinstance(to_name, str) else None
    return (
        shape_problem(item)
        or _labels_problem(control, kind, item["value"])
        or object_problem(target.tag if target else None, item)
    )


def _points_at(control: ControlTag, to_name: Any) -> bool:
    """Whether ``to_name`` is one of the control's objects (or itself, where the editor says so)."""
    if to_name in control.to_names:
        return True
    return control.tag in SELF_NAMED and to_name in (control.name, ",".join(control.to_names))


def _labels_problem(control: ControlTag, kind: str, value: dict[str, Any]) -> str | None:
    """A label or choice the control does not have (controls with dynamic labels: none)."""
    used = value.get(kind)
    if kind not in LABELED_TYPES or not control.labels or not isinstance(used, list):
        return None
    known = set(control.labels)
    for label in _flat(used):
        if label not in known:
            return (
                f'{kind} value {_shown(label)} is not in <{control.tag} name="{control.name}"> '
                f"(has: {', '.join(control.labels)})"
            )
    return None


def _flat(values: list[Any]) -> list[Any]:
    """Labels, with a taxonomy's paths (lists of choices) opened up."""
    return [v for x in values for v in (x if isinstance(x, list) else [x])]


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else ("missing" if value is None else repr(value))
