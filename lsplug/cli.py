"""The command line: `lsplug start`, `lsplug init`, `lsplug plugins`."""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
import sys
from pathlib import Path
from typing import Any

import yaml

from lsplug import __version__
from lsplug import config as configmod
from lsplug.config import SAMPLINGS, Config, ConfigError
from lsplug.plugins import PluginError, load_plugins

DEFAULT_CONFIG = "config.yaml"
PATH_FLAGS = ("input_path", "output_dir", "data_dir", "label_config")
LISTED = (
    ("source_types", "source types"),
    ("sink_types", "sink types"),
    ("exporters", "exporters"),
    ("ml_backend_kinds", "ML backend kinds"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lsplug",
        description="A data-labeling server speaking the Label Studio 0.8/0.9 backend API.",
    )
    parser.add_argument("--version", action="version", version=f"lsplug {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    start = sub.add_parser(
        "start",
        help="serve a project (the default command)",
        description="Serve the project of a config file; flags override the file.",
    )
    _project_flags(start)
    start.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    start.add_argument("--port", type=int, help="port to listen on (default 8200)")
    start.add_argument("--data-dir", help="folder of the project's state (default: data)")
    start.add_argument("--sampling", choices=SAMPLINGS, help="order in which tasks are handed out")
    init = sub.add_parser(
        "init",
        help="write a new project folder with its own config.yaml",
        description="Create DIR with a config.yaml, for `lsplug start -c DIR/config.yaml`.",
    )
    init.add_argument("dir", type=Path, help="the new project's folder")
    init.add_argument("--label-config", help="label config: a path to an XML file or inline XML")
    init.add_argument("--input-path", help="a file or folder of tasks to import at start")
    plugins = sub.add_parser(
        "plugins",
        help="list the loaded plugins and what they register",
        description="List every plugin found through the `lsplug` entry points.",
    )
    plugins.add_argument(
        "-c", "--config", help="config file (its plugins: section disables plugins)"
    )
    plugins.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _project_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", help=f"config file (default: {DEFAULT_CONFIG} if present)"
    )
    parser.add_argument("--label-config", help="label config: a path to an XML file or inline XML")
    parser.add_argument("--input-path", help="a file or folder of tasks to import at start")
    parser.add_argument(
        "--output-dir", help="folder where each labeled task is written as <id>.json"
    )


def load_config(path: str | None, overrides: dict[str, Any]) -> Config:
    """The config file (``config.yaml`` here if present) with command-line overrides."""
    if path is None and Path(DEFAULT_CONFIG).exists():
        path = DEFAULT_CONFIG
    if path is not None:
        overrides = {k: _absolute(v) if k in PATH_FLAGS else v for k, v in overrides.items()}
    return configmod.load(path, overrides)


def _absolute(value: Any) -> Any:
    """Paths given on the command line are relative to where the command runs."""
    if isinstance(value, str) and value and not value.lstrip().startswith("<"):
        return str(Path(value).expanduser().resolve())
    return value


def cmd_start(args: argparse.Namespace) -> int:
    """Serve the project until interrupted."""
    from aiohttp import web

    from lsplug.web.app import create_app

    overrides = {"host": args.host, "port": args.port, "label_config": args.label_config,
                 "input_path": args.input_path, "output_dir": args.output_dir,
                 "data_dir": args.data_dir, "sampling": args.sampling}  # fmt: skip
    config = load_config(args.config, overrides)
    _setup_logging(config)
    app = create_app(config)
    print(
        f"lsplug {__version__}: serving {config.title!r} at http://{config.host}:{config.port}",
        flush=True,
    )
    web.run_app(app, host=config.host, port=config.port, print=None, access_log=None)
    return 0


def _setup_logging(config: Config) -> None:
    if config.logger:
        logging.config.dictConfig(config.logger)
    else:
        level = logging.DEBUG if config.debug else logging.INFO
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def cmd_init(args: argparse.Namespace) -> int:
    """Write a project folder with a config.yaml."""
    target: Path = args.dir
    config_file = target / DEFAULT_CONFIG
    if config_file.exists():
        raise ConfigError(f"{config_file} already exists; choose another folder")
    target.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"title": target.name, "output_dir": "output", "data_dir": "data"}
    if args.label_config:
        doc["label_config"] = _absolute(args.label_config)
    if args.input_path:
        doc["input_path"] = _absolute(args.input_path)
    configmod.from_dict(dict(doc))  # the written file must load
    config_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    print(f"created {config_file}; run: lsplug start -c {config_file}")
    return 0


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


COMMANDS = {"start": cmd_start, "init": cmd_init, "plugins": cmd_plugins}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors in config or plugins end it with one clear line."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["start", *argv]
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, PluginError) as exc:
        print(f"lsplug: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
