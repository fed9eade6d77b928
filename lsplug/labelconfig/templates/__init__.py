"""Ready label configs: one XML file per template, described by its leading comment.

Each file opens with ``<!-- {"title", "group", "description", "data"} -->``; ``data`` is the
template's example task. :func:`list_templates` serves them to the setup page and
``lsplug templates``; ``lsplug init DIR --template NAME`` starts a project from one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lsplug.labelconfig.check import parse

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Template:
    """A ready label config."""

    name: str
    title: str
    group: str
    description: str
    xml: str
    example: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The template as the setup page reads it."""
        return {"name": self.name, "title": self.title, "group": self.group,
                "description": self.description, "label_config": self.xml,
                "example": self.example}  # fmt: skip


@cache
def list_templates() -> tuple[Template, ...]:
    """Every template, by group then title (each one parsed, so each one is valid)."""
    found = [_load(path) for path in HERE.glob("*.xml")]
    return tuple(sorted(found, key=lambda t: (t.group, t.title)))


def get_template(name: str) -> Template:
    """The template called ``name``; ``KeyError`` naming the known ones otherwise."""
    for template in list_templates():
        if template.name == name:
            return template
    known = ", ".join(t.name for t in list_templates())
    raise KeyError(f"no template {name!r}; templates: {known}")


def _load(path: Path) -> Template:
    xml = path.read_text(encoding="utf-8")
    config = parse(xml)
    about = config.about
    return Template(
        name=path.stem.replace("_", "-"),
        title=str(about.get("title", path.stem)),
        group=str(about.get("group", "Other")),
        description=str(about.get("description", "")),
        xml=config.xml,
        example=dict(config.example or {}),
    )
