"""Parse and check a label config (``<View>...</View>``) against the tag catalogue.

Every problem is reported at once (the first `MAX_ERRORS` of them listed, the rest counted),
each naming the line, the tag and the fix. The XML is read safely: no DTD, no entity, no
network, a size limit. Checking a large config takes a while: request handlers run
:func:`parse` in a thread.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from lxml import etree

from lsplug.importer.formats import FormatError, check_depth
from lsplug.labelconfig.catalogue import BY_LOWER, OPTION_TAGS, TAGS, TagSpec

MAX_CONFIG_BYTES = 1_000_000
MAX_ERRORS = 100  # problems listed; more are counted (150,000 unknown tags took 8 s to list)
_LEADING_COMMENT = re.compile(r"\A\s*<!--(.*?)-->", re.DOTALL)


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
    result_types: tuple[str, ...] = ()

    @property
    def result_type(self) -> str:
        """The ``type`` of the result items it produces (``rectanglelabels``, ``choices``...)."""
        return self.result_types[0] if self.result_types else self.tag.lower()


@dataclass(frozen=True)
class LabelConfig:
    """A parsed, checked label config."""

    xml: str
    objects: dict[str, ObjectTag] = field(default_factory=dict)
    controls: dict[str, ControlTag] = field(default_factory=dict)
    data_types: dict[str, str] = field(default_factory=dict)
    # the task data of a leading ``<!-- {"data": {...}} -->`` comment, if any
    example: dict[str, Any] | None = None
    # the other keys of that comment (a template's title, group, description)
    about: dict[str, Any] = field(default_factory=dict)

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
    if len(xml) > MAX_CONFIG_BYTES or len(xml.encode()) > MAX_CONFIG_BYTES:
        raise LabelConfigError([f"the label config is larger than {MAX_CONFIG_BYTES} bytes"])
    root = _read_xml(xml)
    about = _leading_comment(xml)
    walk = _Walk()
    walk.run(root)
    walk.check_targets()
    if walk.errors:
        raise LabelConfigError(walk.listed())
    data = about.pop("data", None)
    return LabelConfig(
        xml=xml.strip(),
        objects={o.name: o for o in walk.objects},
        controls={c.name: c for c, _ in walk.controls},
        data_types=walk.data_types,
        example=data if isinstance(data, dict) else None,
        about=about,
    )


def _read_xml(xml: str) -> etree._Element:
    """The root element, or an error naming the line and column of the syntax error."""
    if "<!DOCTYPE" in xml or "<!ENTITY" in xml:
        raise LabelConfigError(
            ["line 1: DTDs and entities (<!DOCTYPE>, <!ENTITY>) are not allowed in a label "
             "config; remove them"]
        )  # fmt: skip
    try:
        root = etree.fromstring(xml.strip().encode(), _parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        raise LabelConfigError([f"line {line}, column {col}: {exc.msg}"]) from None
    if root is None or _canonical(str(root.tag)) != "View":
        tag = getattr(root, "tag", None)
        raise LabelConfigError([f"line 1: the root tag must be <View>, not <{tag}>"])
    return root


def _leading_comment(xml: str) -> dict[str, Any]:
    """The JSON object of a leading ``<!-- {...} -->`` comment (a template's example)."""
    match = _LEADING_COMMENT.match(xml)
    if not match or not match.group(1).strip().startswith("{"):
        return {}
    try:
        value = orjson.loads(match.group(1).strip())
    except orjson.JSONDecodeError as exc:
        raise LabelConfigError(
            [f"line 1: the leading comment is not valid JSON ({exc}); write "
             '<!-- {"data": {...}} --> or a comment that does not start with {']
        ) from None  # fmt: skip
    try:
        check_depth(value, "line 1: the leading comment")
    except FormatError as exc:
        raise LabelConfigError([str(exc)]) from None
    return value if isinstance(value, dict) else {}


def _canonical(tag: str) -> str | None:
    """The catalogue's spelling of ``tag`` (the editor reads tag names in any case)."""
    return tag if tag in TAGS else BY_LOWER.get(tag.lower())


def _where(el: etree._Element, tag: str, name: str | None = None) -> str:
    named = f' name="{name}"' if name else ""
    return f"line {el.sourceline}, <{tag}{named}>"


class _Walk:
    """One pass over the tree, collecting tags and problems."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.unlisted = 0  # problems found beyond MAX_ERRORS
        self.objects: list[ObjectTag] = []
        self.controls: list[tuple[ControlTag, etree._Element]] = []
        self.data_types: dict[str, str] = {}
        self.names: dict[str, tuple[Any, str]] = {}

    @property
    def full(self) -> bool:
        """Whether `MAX_ERRORS` problems are listed already (later ones are only counted)."""
        return len(self.errors) >= MAX_ERRORS

    def report(self, message: str) -> None:
        """List a problem, or count it once the list is full."""
        if self.full:
            self.unlisted += 1
        else:
            self.errors.append(message)

    def listed(self) -> list[str]:
        """The problems to show: the first `MAX_ERRORS`, and how many more there are."""
        if not self.unlisted:
            return self.errors
        more = f"... and {self.unlisted} more problems (the first {MAX_ERRORS} are listed)"
        return [*self.errors, more]

    def run(self, root: etree._Element) -> None:
        for el in root.iter():
            tag = el.tag
            if not isinstance(tag, str):
                continue
            spec = TAGS.get(tag) or TAGS.get(BY_LOWER.get(tag.lower(), ""))
            if spec is None:
                self.unknown(el, tag)
                continue
            self.attributes(el, spec)
            if spec.kind == "object":
                self.an_object(el, spec)
            elif spec.kind == "control":
                self.a_control(el, spec)
            elif spec.kind == "option" or spec.parents:
                self.placed(el, spec)
            if spec.data and spec.kind != "object":
                key = _key_of(el.get("value"))
                if key:
                    self.data_types.setdefault(key, spec.name)

    def unknown(self, el: etree._Element, tag: str) -> None:
        if self.full:  # a suggestion costs a difflib search: only for listed problems
            self.unlisted += 1
            return
        close = difflib.get_close_matches(tag.lower(), list(BY_LOWER), n=1, cutoff=0.6)
        fix = f"did you mean <{BY_LOWER[close[0]]}>?" if close else "see the list of tags"
        self.report(f"line {el.sourceline}: <{tag}> is not a tag of the editor; {fix}")

    def attributes(self, el: etree._Element, spec: TagSpec) -> None:
        for attr in spec.required:
            if not el.get(attr):
                self.report(
                    f"{_where(el, spec.name, el.get('name'))}: the {attr} attribute is "
                    f'required; add {attr}="..."'
                )
        for key, raw in el.attrib.items():
            attr, value = str(key), str(raw)
            allowed = spec.attrs.get(attr)
            if allowed is not None and value.lower() not in allowed:
                self.report(
                    f'{_where(el, spec.name, el.get("name"))}: {attr}="{value}" is not '
                    f"allowed; use one of: {', '.join(allowed)}"
                )

    def named(self, el: etree._Element, spec: TagSpec) -> str | None:
        """The tag's name if it has one not used before (else an error, once)."""
        name = el.get("name")
        if not name:
            return None
        seen = self.names.get(name)
        if seen is not None:
            self.report(
                f'{_where(el, spec.name, name)}: the name "{name}" is already used by '
                f"<{seen[1]}> on line {seen[0]}; give every tag its own name"
            )
            return None
        self.names[name] = (el.sourceline, spec.name)
        return name

    def an_object(self, el: etree._Element, spec: TagSpec) -> None:
        name = self.named(el, spec)
        key = _key_of(el.get("value"))
        if key:
            self.data_types.setdefault(key, spec.name)
        if name:
            self.objects.append(ObjectTag(name, spec.name, key))

    def a_control(self, el: etree._Element, spec: TagSpec) -> None:
        name = self.named(el, spec)
        labels = tuple(
            str(child.get("value") or child.get("alias") or (child.text or "").strip())
            for child in el.iter()
            if isinstance(child.tag, str) and _canonical(child.tag) in spec.options
        )
        if spec.needs_options and not labels and not (el.get("value") or "").startswith("$"):
            option = spec.options[0]
            self.report(
                f"{_where(el, spec.name, name)}: it has no <{option}> inside; add at least "
                f'one <{option} value="..."/>'
            )
        if name:
            to_names = tuple(n.strip() for n in (el.get("toName") or "").split(",") if n.strip())
            control = ControlTag(name, spec.name, to_names, labels, spec.results)
            self.controls.append((control, el))

    def placed(self, el: etree._Element, spec: TagSpec) -> None:
        """An option or child tag must sit inside one of the tags it belongs to."""
        for ancestor in el.iterancestors():
            if isinstance(ancestor.tag, str) and _canonical(ancestor.tag) in spec.parents:
                return
        if spec.kind != "option" and not spec.parents:
            return
        inside = ", ".join(f"<{p}>" for p in spec.parents)
        self.report(f"{_where(el, spec.name)}: it must be inside {inside}; move it there")

    def check_targets(self) -> None:
        """Every toName names an object tag of a kind the control can label."""
        objects = {o.name: o.tag for o in self.objects}
        for control, el in self.controls:
            spec = TAGS[control.tag]
            where = _where(el, control.tag, control.name)
            for target in control.to_names:
                self.target(where, spec, target, objects)

    def target(self, where: str, spec: TagSpec, target: str, objects: dict[str, str]) -> None:
        tag = objects.get(target)
        if tag is None:
            other = self.names.get(target)
            known = ", ".join(sorted(objects)) or "none"
            what = f"names <{other[1]}>, which is not an object tag" if other else "names no tag"
            self.report(
                f'{where}: toName="{target}" {what}; point it at an object tag (object tags: '
                f"{known})"
            )
        elif "*" not in spec.targets and tag not in spec.targets:
            kinds = ", ".join(f"<{t}>" for t in spec.targets)
            self.report(
                f'{where}: toName="{target}" names a <{tag}>, but <{spec.name}> labels only '
                f"{kinds}; point it at one of those"
            )


def _key_of(value: str | None) -> str | None:
    """``"$text"`` -> ``"text"``; a literal value reads no key."""
    if value and value.startswith("$") and len(value) > 1:
        return value[1:]
    return None


__all__ = ["OPTION_TAGS", "ControlTag", "LabelConfig", "LabelConfigError", "ObjectTag", "parse"]
