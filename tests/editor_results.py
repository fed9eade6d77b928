"""Results as the labeling editor (Label Studio Frontend 1.4) writes them, for every control.

One region per control, shaped as the editor's ``serialize`` of each region type writes it
(read in its source, ``src/regions/*.js`` and ``src/regions/Result.js``): the tests use them
to check that valid editor output passes every check and every export.
"""

from __future__ import annotations

from typing import Any

from lsplug.export import rle
from lsplug.labelconfig import ControlTag, LabelConfig

W, H = 4, 3
MASK_RLE = rle.encode(b"".join(bytes((0, 0, 0, v)) for v in [0, 255] * 6))


def editor_result(
    control: ControlTag, config: LabelConfig, data: dict[str, Any], n: int = 0
) -> dict[str, Any]:
    """What the editor (Label Studio Frontend 1.4) submits for one control: one region."""
    obj = config.objects[control.to_names[0]]
    label = control.labels[0] if control.labels else "x"
    kind, value, extra = control.result_type, *_value_of(control.tag, obj.tag, label, data, obj)
    to_name = control.name if control.tag == "Pairwise" else obj.name
    return {"id": f"r{control.name}{n}", "from_name": control.name, "to_name": to_name,
            "type": kind, "origin": "manual", "value": value, **extra}  # fmt: skip


def _value_of(
    tag: str, obj_tag: str, label: str, data: dict[str, Any], obj: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    image = {"original_width": W, "original_height": H, "image_rotation": 0}
    text = data.get(obj.value_key or "")
    values: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "RectangleLabels": ({"x": 10.5, "y": 20, "width": 30.25, "height": 15, "rotation": 0,
                             "rectanglelabels": [label]}, image),
        "PolygonLabels": ({"points": [[10, 10], [40, 12.5], [25, 40]], "polygonlabels": [label]},
                          image),
        "KeyPointLabels": ({"x": 12.5, "y": 40, "width": 0.6, "keypointlabels": [label]}, image),
        "EllipseLabels": ({"x": 30, "y": 30, "radiusX": 10, "radiusY": 5.5, "rotation": 0,
                           "ellipselabels": [label]}, image),
        "BrushLabels": ({"format": "rle", "rle": MASK_RLE, "brushlabels": [label]}, image),
        "Choices": ({"choices": [label]}, {}),
        "TextArea": ({"text": ["Ada met Charles"]}, {}),
        "Rating": ({"rating": 4}, {}),
        "Number": ({"number": 7}, {}),
        "Taxonomy": ({"taxonomy": [["X", "Y"]]}, {}),
        "Pairwise": ({"selected": "left"}, {}),
        "HyperTextLabels": ({"start": "/p[1]/b[1]/text()[1]", "end": "/p[1]/b[1]/text()[1]",
                             "startOffset": 0, "endOffset": 3,
                             "globalOffsets": {"start": 0, "end": 3}, "text": "Ada",
                             "hypertextlabels": [label]}, {}),
        "ParagraphLabels": ({"start": "0", "end": "0", "startOffset": 0, "endOffset": 3,
                             "text": "Did", "paragraphlabels": [label]}, {}),
        "TimeSeriesLabels": ({"start": 1, "end": 3, "instant": False,
                              "timeserieslabels": [label]}, {}),
    }  # fmt: skip
    if tag == "Labels" and obj_tag in ("Audio", "AudioPlus"):
        return {"start": 0.5, "end": 1.25, "channel": 0, "labels": [label]}, {
            "original_length": 3.2
        }
    if tag == "Labels":
        span = text if isinstance(text, str) else "Ada"
        return {"start": 0, "end": 3, "text": span[:3], "labels": [label]}, {}
    return values[tag]


def editor_results(config: LabelConfig, data: dict[str, Any]) -> list[dict[str, Any]]:
    """One editor region per control; for a config with relations, two spans and a relation."""
    out = [editor_result(c, config, data) for c in config.controls.values() if c.to_names]
    spans = [r for r in out if r["type"] == "labels"]
    if "<Relation " in config.xml and spans:
        second = dict(spans[0], id="r-second", value={**spans[0]["value"], "start": 4, "end": 7})
        out += [second, {"from_id": spans[0]["id"], "to_id": "r-second", "type": "relation",
                         "direction": "right", "labels": ["knows"]}]  # fmt: skip
    return out
