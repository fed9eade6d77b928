"""`lsplug init DIR` (a new project folder with its config.yaml) and `lsplug templates` (the
ready label configs it can start from)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from lsplug import config as configmod
from lsplug.cli.common import DEFAULT_CONFIG, absolute_path
from lsplug.config import ConfigError


def add_init_parsers(sub: Any) -> None:
    """``lsplug init DIR [--label-config|--template] [--input-path]`` and ``lsplug templates``."""
    init = sub.add_parser(
        "init",
        help="write a new project folder with its own config.yaml",
        description="Create DIR with a config.yaml, for `lsplug start -c DIR/config.yaml`.",
    )
    init.add_argument("dir", type=Path, help="the new project's folder")
    init.add_argument("--label-config", help="label config: a path to an XML file or inline XML")
    init.add_argument("--input-path", help="a file or folder of tasks to import at start")
    init.add_argument("--template", help="start from a ready label config (`lsplug templates`)")
    templates = sub.add_parser(
        "templates",
        help="list the ready label configs for `lsplug init DIR --template NAME`",
        description="List the ready label configs, by group.",
    )
    templates.add_argument("--json", action="store_true", help="print JSON, with the XML")


def cmd_init(args: argparse.Namespace) -> int:
    """Write a project folder with a config.yaml."""
    target: Path = args.dir
    config_file = target / DEFAULT_CONFIG
    if config_file.exists():
        raise ConfigError(f"{config_file} already exists; choose another folder")
    target.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"title": target.name, "output_dir": "output", "data_dir": "data"}
    if args.label_config and args.template:
        raise ConfigError("give --label-config or --template, not both")
    if args.label_config:
        doc["label_config"] = absolute_path(args.label_config)
    if args.template:
        doc["label_config"] = _write_template(target, args.template)
    if args.input_path:
        doc["input_path"] = absolute_path(args.input_path)
    configmod.from_dict(dict(doc))  # the written file must load
    config_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    print(f"created {config_file}; run: lsplug start -c {config_file}")
    return 0


def _write_template(target: Path, name: str) -> str:
    """Write the template's XML into ``target``; the path config.yaml gives for it."""
    from lsplug.labelconfig.templates import get_template

    try:
        template = get_template(name)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0])) from None
    (target / "label_config.xml").write_text(template.xml + "\n", encoding="utf-8")
    return str((target / "label_config.xml").resolve())


def cmd_templates(args: argparse.Namespace) -> int:
    """Print the ready label configs."""
    from lsplug.labelconfig.templates import list_templates

    if args.json:
        print(json.dumps([t.as_json() for t in list_templates()], indent=2))
        return 0
    width = max(len(t.name) for t in list_templates())
    for t in list_templates():
        print(f"{t.name:<{width}}  {t.group}: {t.title}. {t.description}")
    return 0
