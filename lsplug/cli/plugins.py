"""`lsplug plugins`: the loaded plugins and what each registers."""

from __future__ import annotations

import argparse
import json
from typing import Any

from lsplug.cli.common import load_config
from lsplug.plugins import load_plugins

LISTED = (
    ("source_types", "source types"),
    ("sink_types", "sink types"),
    ("exporters", "exporters"),
    ("ml_backend_kinds", "ML backend kinds"),
    ("agreement_matchers", "agreement matchers"),
)


def add_plugins_parser(sub: Any) -> None:
    """``lsplug plugins [-c CONFIG] [--json]``."""
    plugins = sub.add_parser(
        "plugins",
        help="list the loaded plugins and what they register",
        description="List every plugin found through the `lsplug` entry points.",
    )
    plugins.add_argument(
        "-c", "--config", help="config file (its plugins: section disables plugins)"
    )
    plugins.add_argument("--json", action="store_true", help="print JSON")


def cmd_plugins(args: argparse.Namespace) -> int:
    """Print the loaded plugins."""
    config = load_config(args.config, {})
    described = load_plugins(config.disabled_plugins()).describe()
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    for p in described:
        origin = f"{p['distribution'] or 'not from a distribution'} {p['version'] or ''}"
        print(f"{p['name']}  ({origin.rstrip()})")
        print(f"  hooks: {', '.join(p['hooks']) or '-'}")
        for key, label in LISTED:
            if p[key]:
                print(f"  {label}: {', '.join(p[key])}")
    return 0
