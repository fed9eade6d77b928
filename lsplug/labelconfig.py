"""Parse and check a label config (``<View>...</View>``): what tasks hold, what controls exist.

This is the first level of checks: well-formed XML read safely, a ``View`` root, unique
``name``s, every ``toName`` naming an object tag, and the ``$keys`` the config reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

MAX_CONFIG_BYTES = 1_000_000

# The editor's object tags: they show task data; controls point at them through toName.
OBJECT_TAGS = frozenset(
    {
        "Text", "HyperText", "Image", "Audio", "AudioPlus", "Video", "Paragraphs",
        "Table", "TimeSeries", "List", "Ranker", "Pairwise",
    }
)  # fmt: skip
# Children of a control that name its choices or labels.
OPTION_TAGS = frozenset({"Label", "Choice", "Relation"})


class LabelConfigError(ValueError):
    """A label config that cannot be used, with one message per problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class ObjectTag:
    """A tag that shows task data, such as ``<Text name="text" value="$text"/>``."""

    name: str
    tag: str
    value_key: str | None


@dataclass(frozen=True)
class ControlTag:
    """A tag that produces results, such as ``<Labels name="label" toName="text">``."""

    name: str
    tag: str
    to_names: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def result_type(self) -> str:
        """The ``type`` of the result items it produces (``rectanglelabels``, ``choices``...)."""
        return self.tag.lower()


@dataclass(frozen=True)
class LabelConfig:
    """A parsed, checked label config."""

    xml: str
    objects: dict[str, ObjectTag] = field(default_factory=dict)
    controls: dict[str, ControlTag] = field(default_factory=dict)
    data_types: dict[str, str] = field(default_factory=dict)

    def controls_of(self, *tags: str) -> list[ControlTag]:
        """The controls whose tag is one of ``tags``."""
        return [c for c in self.controls.values() if c.tag in tags]

    def objects_of(self, *tags: str) -> list[ObjectTag]:
        """The object tags whose tag is one of ``tags``."""
        return [o for o in self.objects.values() if o.tag in tags]

    @property
    def one_line(self) -> str:
        """The config on one line, as `/api/project` shows it in ``label_config_line``."""
        return " ".join(line.strip() for line in self.xml.splitlines() if line.strip())


def _parser() -> etree.XMLParser:
    """A parser that resolves no entity, reads no DTD and touches no network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )  # fmt: skip


def parse(xml: str) -> LabelConfig:
    """Parse and check ``xml``; raise :class:`LabelConfigError` listing every problem."""
    if not isinstance(xml, str) or not xml.strip():
        raise LabelConfigError(["the label config is empty: give a <View>...</View>"])
    if len(xml.encode()) > MAX_CONFIG_BYTES:
        raise LabelConfigError([f"the label config is larger than {MAX_CONFIG_BYTES} bytes"])
    root = _read_xml(xml)
    errors: list[str] = []
    objects, controls = _collect_tags(root, errors)
    _check_to_names(controls, objects, errors)
    if errors:
        raise LabelConfigError(errors)
    return LabelConfig(
        xml=xml.strip(),
        objects={o.name: o for o in objects},
        controls={c.name: c for c, _ in controls},
        data_types=_data_types(root),
    )


def _read_xml(xml: str) -> etree._Element:
    """The root element, or an error naming the line and column of the syntax error."""
    if "<!DOCTYPE" in xml or "<!ENTITY" in xml:
        raise LabelConfigError(["DTDs and entities are not allowed in a label config"])
    try:
        root = etree.fromstring(xml.strip().encode(), _parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        raise LabelConfigError([f"line {line}, column {col}: {exc.msg}"]) from None
    if root is None or root.tag != "View":
        tag = getattr(root, "tag", None)
        raise LabelConfigError([f"line 1: the root tag must be <View>, not <{tag}>"])
    return root


def _where(el: etree._Element) -> str:
    return f"line {el.sourceline}, <{el.tag}>"


def _collect_tags(
    root: etree._Element, errors: list[str]
) -> tuple[list[ObjectTag], list[tuple[ControlTag, etree._Element]]]:
    """Object and control tags, with errors for missing and duplicate names."""
    objects: list[ObjectTag] = []
    controls: list[tuple[ControlTag, etree._Element]] = []
    seen: dict[str, int | None] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        is_object, is_control = el.tag in OBJECT_TAGS, "toName" in el.attrib
        if not (is_object or is_control):
            continue
        name = el.get("name")
        if not name:
            errors.append(f"{_where(el)}: the name attribute is required")
            continue
        if name in seen:
            errors.append(
                f'{_where(el)}: the name "{name}" is already used on line {seen[name]}; '
                "names must be unique"
            )
            continue
        seen[name] = el.sourceline  # type: ignore[assignment]
        if is_control:
            controls.append((_control(el, name), el))
        else:
            objects.append(ObjectTag(name, el.tag, _key_of(el.get("value"))))
    return objects, controls


def _control(el: etree._Element, name: str) -> ControlTag:
    to_names = tuple(n.strip() for n in (el.get("toName") or "").split(",") if n.strip())
    labels = tuple(
        str(child.get("value") or child.get("alias") or (child.text or "").strip())
        for child in el.iter()
        if isinstance(child.tag, str) and child.tag in OPTION_TAGS
    )
    return ControlTag(name=name, tag=el.tag, to_names=to_names, labels=labels)


def _check_to_names(
    controls: list[tuple[ControlTag, etree._Element]],
    objects: list[ObjectTag],
    errors: list[str],
) -> None:
    """Every toName must name an object tag of the config."""
    object_names = {o.name for o in objects}
    for control, el in controls:
        if not control.to_names:
            errors.append(f'{_where(el)} name="{control.name}": toName is empty')
        for target in control.to_names:
            if target not in object_names:
                known = ", ".join(sorted(object_names)) or "none"
                errors.append(
                    f'{_where(el)} name="{control.name}": toName="{target}" names no '
                    f"object tag (object tags: {known})"
                )


def _key_of(value: str | None) -> str | None:
    """``"$text"`` -> ``"text"``; a literal value reads no key."""
    if value and value.startswith("$") and len(value) > 1:
        return value[1:]
    return None


def _data_types(root: etree._Element) -> dict[str, str]:
    """``{key: tag}`` for every ``$key`` the config reads, in document order."""
    types: dict[str, str] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        key = _key_of(el.get("value"))
        if key and (el.tag in OBJECT_TAGS or el.tag == "Header"):
            types.setdefault(key, el.tag)
    return types


def check_task_data(data: Any, data_types: dict[str, str]) -> str | None:
    """Why ``data`` cannot be shown by a config reading ``data_types``, or None if it can."""
    if not isinstance(data, dict):
        return f"task data must be a JSON object, not {type(data).__name__}"
    for key, tag in data_types.items():
        if key not in data:
            return f'"{key}" key is expected in task data (the config\'s <{tag}> reads ${key})'
        problem = _type_problem(data[key], tag)
        if problem:
            return f'"{key}" {problem}'
    return None


URL_TAGS = frozenset({"Image", "Audio", "AudioPlus", "Video"})
TEXT_TAGS = frozenset({"Text", "HyperText", "Header"})


def allowed_types(tag: str) -> type | tuple[type, ...]:
    """The Python types of a task value that ``tag`` can show (``object``: anything)."""
    if tag in URL_TAGS:
        return str
    if tag in TEXT_TAGS:
        return (str, int, float)
    return object


def _type_problem(value: Any, tag: str) -> str | None:
    """What is wrong with ``value`` for ``tag``, in first-level terms."""
    if isinstance(value, allowed_types(tag)):
        return None
    want = "a URL string" if tag in URL_TAGS else "a string or a number"
    return f"must be {want} for <{tag}>, not {type(value).__name__}"


def example_data(config: LabelConfig) -> dict[str, Any]:
    """One task's data that fits ``config``, for the import-example helpers."""
    samples = {
        "Text": "Opossums like to be aligned with each other.",
        "HyperText": "<p>Opossums like to be <b>aligned</b>.</p>",
        "Image": "/static/samples/sample.jpg",
        "Audio": "/static/samples/sample.wav",
        "AudioPlus": "/static/samples/sample.wav",
        "Video": "/static/samples/sample.mp4",
        "Paragraphs": [{"author": "Alice", "text": "Hi Bob."}, {"author": "Bob", "text": "Hi."}],
        "Table": {"name": "opossum", "legs": 4},
        "Header": "A header",
    }
    return {key: samples.get(tag, "example") for key, tag in config.data_types.items()}
