"""The tags of the labeling editor (Label Studio Frontend 1.4), as data.

One entry per tag: its kind (``object`` shows task data, ``control`` produces results,
``option`` is a choice or label inside a control, ``layout`` arranges the others), its
attributes with their allowed values (``None``: any text), the required ones, and for a
control the object tags it may point at (``toName``) and the result ``type`` it produces.
Checked against the editor's tag documentation by reading, and for its own consistency by
``tests/test_labelconfig_catalogue.py``. The code in :mod:`lsplug.labelconfig.check` has no
tag name in its branches: a new tag is a new entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOOL = ("true", "false")
YESNO = ("yes", "no", "true", "false")
ANY = None  # any text


@dataclass(frozen=True)
class TagSpec:
    """What the editor accepts for one tag."""

    name: str
    kind: str  # object | control | option | layout
    attrs: dict[str, tuple[str, ...] | None]
    required: tuple[str, ...] = ()
    # object tags: the shape of the task value it shows (see DATA_KINDS)
    data: str | None = None
    # control tags: the object tags it may point at ("*": any object tag)
    targets: tuple[str, ...] = ()
    # control tags: the result ``type`` it produces, then others it may produce with a
    # region tool of the same object (``Labels`` next to ``Rectangle`` on an image)
    results: tuple[str, ...] = ()
    # control tags: the option tags it holds, and whether at least one is required
    options: tuple[str, ...] = ()
    needs_options: bool = False
    # option and child tags: the tags they may sit in
    parents: tuple[str, ...] = ()
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# The shapes of task values (FACTS: text is a string or number; media a URL string).
DATA_KINDS = {
    "text": "a string or a number",
    "url": "a URL string",
    "list": "a list of objects",
    "object": "an object",
    "url_or_object": "a URL string or an object of columns",
}

_COMMON_CONTROL: dict[str, tuple[str, ...] | None] = {
    "name": ANY, "toName": ANY, "required": BOOL, "requiredMessage": ANY,
    "perRegion": BOOL, "visibleWhen": ("region-selected", "choice-selected",
    "no-region-selected", "choice-unselected"), "whenTagName": ANY, "whenLabelValue": ANY,
    "whenChoiceValue": ANY, "hotkey": ANY, "smart": BOOL, "smartOnly": BOOL,
}  # fmt: skip
_STYLE = {"opacity": ANY, "fillColor": ANY, "fillOpacity": ANY, "strokeColor": ANY,
          "strokeWidth": ANY}  # fmt: skip
_POINTS = {"pointSize": ("small", "medium", "large"), "pointStyle": ("circle", "rectangle")}
_LABELS = {"choice": ("single", "multiple"), "maxUsages": ANY, "showInline": BOOL,
           "value": ANY, "allowEmpty": BOOL}  # fmt: skip
_TEXTLIKE = {"name": ANY, "value": ANY, "valueType": ("url", "text"), "saveTextResult": YESNO,
             "encoding": ("none", "base64", "base64unicode"), "selectionEnabled": BOOL,
             "highlightColor": ANY, "showLabels": BOOL, "granularity": ("symbol", "word",
             "sentence", "paragraph")}  # fmt: skip
_MEDIA = {"name": ANY, "value": ANY, "hotkey": ANY, "sync": ANY, "speed": ANY, "volume": ANY,
          "zoom": BOOL, "height": ANY, "showLabels": BOOL, "showScores": BOOL,
          "cursorWidth": ANY, "cursorColor": ANY, "zoomConfig": ANY, "waveHeight": ANY,
          "volumeConfig": ANY, "speedConfig": ANY}  # fmt: skip
_LAYOUT_VISIBILITY = {"visibleWhen": _COMMON_CONTROL["visibleWhen"], "whenTagName": ANY,
                      "whenLabelValue": ANY, "whenChoiceValue": ANY}  # fmt: skip

REGION_LABEL_RESULTS = ("labels", "rectanglelabels", "polygonlabels", "ellipselabels",
                        "keypointlabels", "brushlabels", "hypertextlabels", "paragraphlabels",
                        "timeserieslabels", "videorectangle")  # fmt: skip
IMAGE_REGION_RESULTS = ("rectanglelabels", "polygonlabels", "ellipselabels", "keypointlabels",
                        "brushlabels")  # fmt: skip


def _object(name: str, data: str, attrs: dict[str, tuple[str, ...] | None]) -> TagSpec:
    return TagSpec(name, "object", attrs, required=("name", "value"), data=data)


def _control(
    name: str, targets: tuple[str, ...], results: tuple[str, ...],
    extra: dict[str, tuple[str, ...] | None] | None = None, options: tuple[str, ...] = (),
    needs_options: bool = False,
) -> TagSpec:  # fmt: skip
    attrs = {**_COMMON_CONTROL, **(extra or {})}
    return TagSpec(name, "control", attrs, required=("name", "toName"), targets=targets,
                   results=results, options=options, needs_options=needs_options)  # fmt: skip


def _labels(name: str, targets: tuple[str, ...], result: str, extra: dict[str, Any]) -> TagSpec:
    more = (*REGION_LABEL_RESULTS,) if name == "Labels" else ()
    results = (result, *[r for r in more if r != result])
    return _control(name, targets, results, {**_LABELS, **_STYLE, **extra}, ("Label",), True)


IMAGE = ("Image",)
TEXTS = ("Text", "HyperText")
AUDIOS = ("Audio", "AudioPlus")

TAGS: dict[str, TagSpec] = {t.name: t for t in (
    # --- object tags: they show task data ---------------------------------------------------
    _object("Text", "text", {**_TEXTLIKE}),
    _object("HyperText", "text", {**_TEXTLIKE, "inline": BOOL, "clickableLinks": BOOL}),
    _object("Image", "url", {
        "name": ANY, "value": ANY, "width": ANY, "maxWidth": ANY, "height": ANY,
        "maxHeight": ANY, "zoom": BOOL, "negativeZoom": BOOL, "zoomBy": ANY, "grid": BOOL,
        "gridSize": ANY, "gridColor": ANY, "zoomControl": BOOL, "brightnessControl": BOOL,
        "contrastControl": BOOL, "rotateControl": BOOL, "crosshair": BOOL,
        "horizontalAlignment": ("left", "center", "right"),
        "verticalAlignment": ("top", "center", "bottom"),
        "defaultZoom": ("auto", "original", "fit"),
        "crossOrigin": ("none", "anonymous", "use-credentials"), "valueType": ("url",),
    }),
    _object("Audio", "url", {**_MEDIA}),
    _object("AudioPlus", "url", {**_MEDIA}),
    _object("Video", "url", {"name": ANY, "value": ANY, "frameRate": ANY, "height": ANY,
                             "sync": ANY, "muted": BOOL}),
    _object("Paragraphs", "list", {
        "name": ANY, "value": ANY, "valueType": ("json", "url"), "audioUrl": ANY, "sync": ANY,
        "showPlayer": BOOL, "saveTextResult": YESNO, "layout": ("none", "dialogue"),
        "nameKey": ANY, "textKey": ANY, "contextScroll": BOOL,
    }),
    TagSpec("Table", "object", {"name": ANY, "value": ANY, "valueType": ("json", "url")},
            required=("value",), data="object"),
    _object("TimeSeries", "url_or_object", {
        "name": ANY, "value": ANY, "valueType": ("url", "json"), "timeColumn": ANY,
        "timeFormat": ANY, "timeDisplayFormat": ANY, "sep": ANY, "overviewChannels": ANY,
        "overviewWidth": ANY, "fixedScale": BOOL,
    }),
    _object("List", "list", {"name": ANY, "value": ANY, "title": ANY, "sortedHighlightColor": ANY}),
    # --- control tags: they produce results -------------------------------------------------
    _labels("Labels", (*TEXTS, *AUDIOS, "Paragraphs", "Image", "Video", "TimeSeries"), "labels",
            {}),
    _labels("RectangleLabels", IMAGE, "rectanglelabels", {"canRotate": BOOL}),
    _labels("PolygonLabels", IMAGE, "polygonlabels", {**_POINTS}),
    _labels("KeyPointLabels", IMAGE, "keypointlabels", {}),
    _labels("BrushLabels", IMAGE, "brushlabels", {}),
    _labels("EllipseLabels", IMAGE, "ellipselabels", {}),
    _labels("HyperTextLabels", ("HyperText",), "hypertextlabels", {}),
    _labels("ParagraphLabels", ("Paragraphs",), "paragraphlabels", {}),
    _labels("TimeSeriesLabels", ("TimeSeries",), "timeserieslabels", {}),
    _control("Rectangle", IMAGE, ("rectangle", "rectanglelabels"), {**_STYLE, "canRotate": BOOL}),
    _control("Polygon", IMAGE, ("polygon", "polygonlabels"), {**_STYLE, **_POINTS}),
    _control("KeyPoint", IMAGE, ("keypoint", "keypointlabels"), {**_STYLE}),
    _control("Brush", IMAGE, ("brush", "brushlabels"), {**_STYLE}),
    _control("Ellipse", IMAGE, ("ellipse", "ellipselabels"), {**_STYLE}),
    _control("VideoRectangle", ("Video",), ("videorectangle",), {**_STYLE}),
    _control("Choices", ("*",), ("choices",), {
        "choice": ("single", "single-radio", "multiple"), "showInline": BOOL,
        "layout": ("select", "inline", "vertical"), "perItem": BOOL, "allowNested": BOOL,
        "value": ANY,
    }, ("Choice",), True),
    _control("Taxonomy", ("*",), ("taxonomy",), {
        "leafsOnly": BOOL, "showFullPath": BOOL, "pathSeparator": ANY, "placeholder": ANY,
        "maxUsages": ANY, "maxWidth": ANY, "minWidth": ANY,
    }, ("Choice",), True),
    _control("TextArea", ("*",), ("textarea",), {
        "value": ANY, "label": ANY, "placeholder": ANY, "maxSubmissions": ANY,
        "editable": BOOL, "transcription": BOOL, "displayMode": ("tag", "region-list"),
        "rows": ANY, "showSubmitButton": BOOL, "skipDuplicates": BOOL,
    }, ("Shortcut",)),
    _control("Rating", ("*",), ("rating",), {
        "maxRating": ANY, "icon": ("star", "heart", "fire", "smile", "thumbs-up"),
        "size": ("small", "medium", "large"), "defaultValue": ANY,
    }),
    _control("Number", ("*",), ("number",), {"min": ANY, "max": ANY, "step": ANY,
                                               "defaultValue": ANY, "slider": BOOL}),
    _control("DateTime", ("*",), ("datetime",), {"only": ANY, "format": ANY, "min": ANY,
                                                   "max": ANY}),
    _control("Ranker", ("List",), ("ranker",), {"ranked": BOOL, "sortedHighlightColor": ANY}),
    _control("Pairwise", TEXTS + IMAGE + AUDIOS + ("Video",), ("pairwise",), {
        "selectionStyle": ANY, "style": ANY, "className": ANY,
    }),
    TagSpec("Relations", "control", {"choice": ("single", "multiple"), "name": ANY},
            results=("relation",), options=("Relation",),
            notes="no toName: its results link two regions by id"),
    # --- option tags: the labels and choices of a control -----------------------------------
    TagSpec("Label", "option", {
        "value": ANY, "selected": BOOL, "maxUsages": ANY, "alias": ANY, "hotkey": ANY,
        "showAlias": BOOL, "aliasStyle": ANY, "size": ("small", "medium", "large"),
        "background": ANY, "selectedColor": ANY, "granularity": ("symbol", "word"),
        "html": ANY, "category": ANY,
    }, required=("value",), parents=("Labels", "RectangleLabels", "PolygonLabels",
        "KeyPointLabels", "BrushLabels", "EllipseLabels", "HyperTextLabels", "ParagraphLabels",
        "TimeSeriesLabels")),
    TagSpec("Choice", "option", {"value": ANY, "selected": BOOL, "alias": ANY, "style": ANY,
                                 "hotkey": ANY, "html": ANY, "hint": ANY, "background": ANY},
            required=("value",), parents=("Choices", "Taxonomy", "Choice")),
    TagSpec("Relation", "option", {"value": ANY, "background": ANY}, required=("value",),
            parents=("Relations",)),
    TagSpec("Shortcut", "option", {"value": ANY, "alias": ANY, "hotkey": ANY,
                                   "background": ANY}, required=("value",),
            parents=("TextArea",)),
    # --- layout tags ------------------------------------------------------------------------
    TagSpec("View", "layout", {"style": ANY, "className": ANY, "display": ("block", "inline"),
                               "idAttr": ANY, **_LAYOUT_VISIBILITY}),
    TagSpec("Header", "layout", {"value": ANY, "size": ("1", "2", "3", "4", "5", "6"),
                                 "style": ANY, "underline": BOOL, "name": ANY},
            data="text", notes="shows its value: literal text, or $key"),
    TagSpec("Style", "layout", {}),
    TagSpec("Filter", "layout", {"name": ANY, "toName": ANY, "hotkey": ANY, "height": ANY,
                                 "cleanup": BOOL, "placeholder": ANY, "minlength": ANY},
            notes="filters the options of the control named by toName"),
    TagSpec("Collapse", "layout", {"accordion": BOOL, "bordered": BOOL}),
    TagSpec("Panel", "layout", {"value": ANY}, parents=("Collapse",)),
    TagSpec("Channel", "layout", {
        "column": ANY, "units": ANY, "displayFormat": ANY, "legend": ANY, "strokeColor": ANY,
        "strokeWidth": ANY, "height": ANY, "fixedScale": BOOL, "markerColor": ANY,
        "markerSize": ANY, "markerSymbol": ANY, "showAxis": BOOL, "opacity": ANY,
    }, required=("column",), parents=("TimeSeries",)),
)}  # fmt: skip

OBJECT_TAGS = frozenset(n for n, t in TAGS.items() if t.kind == "object")
CONTROL_TAGS = frozenset(n for n, t in TAGS.items() if t.kind == "control")
OPTION_TAGS = frozenset(n for n, t in TAGS.items() if t.kind == "option")
# Attributes every tag may carry (the editor ignores them or uses them for styling).
GLOBAL_ATTRS = frozenset({"style", "className", "id", "idAttr"})
# Lower-case name -> canonical name: the editor reads tag names without regard to case.
BY_LOWER = {n.lower(): n for n in TAGS}
