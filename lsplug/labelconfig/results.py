"""Check a completion's or a prediction's ``result`` items against the label config."""

from __future__ import annotations

from typing import Any

from lsplug.labelconfig.check import ControlTag, LabelConfig

# Result types whose ``value`` holds a list of the control's labels or choices under the
# type's own name (``"value": {"labels": ["PER"]}``).
LABELED_TYPES = frozenset({
    "labels", "choices", "rectanglelabels", "polygonlabels", "ellipselabels", "keypointlabels",
    "brushlabels", "hypertextlabels", "paragraphlabels", "timeserieslabels", "taxonomy",
})  # fmt: skip


def result_problem(config: LabelConfig, result: list[Any]) -> str | None:
    """Why ``result`` does not fit ``config`` (the first problem), or None if it does."""
    for i, item in enumerate(result):
        problem = _item_problem(config, item) if isinstance(item, dict) else None
        if problem:
            return f"result[{i}]: {problem}"
    return None


def _item_problem(config: LabelConfig, item: dict[str, Any]) -> str | None:
    kind = item.get("type")
    if kind == "relation":
        missing = [k for k in ("from_id", "to_id") if k not in item]
        return f"a relation needs {' and '.join(missing)}" if missing else None
    name = item.get("from_name")
    control = config.controls.get(name) if isinstance(name, str) else None
    if control is None:
        known = ", ".join(config.controls) or "none"
        return f"from_name {_shown(name)} is not a control of the label config (controls: {known})"
    if item.get("to_name") not in control.to_names:
        return (
            f"to_name {_shown(item.get('to_name'))} is not what <{control.tag} "
            f'name="{control.name}"> points at (toName: {", ".join(control.to_names)})'
        )
    if kind not in control.result_types:
        return (
            f'type {_shown(kind)} does not match <{control.tag} name="{control.name}">, '
            f'which gives "{control.result_type}"'
        )
    return _labels_problem(control, kind, item.get("value"))


def _labels_problem(control: ControlTag, kind: str, value: Any) -> str | None:
    if kind not in LABELED_TYPES or not control.labels or not isinstance(value, dict):
        return None
    used = value.get(kind)
    if not isinstance(used, list):
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
