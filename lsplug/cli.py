"""The command line: `lsplug start`, `lsplug init`, `lsplug plugins`."""

from __future__ import annotations

import argparse
import asyncio
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
from lsplug.redact import redact_log_records
from lsplug.service import ls08_folder as ls08
from lsplug.storecli import add_store_parsers, cmd_import_ls08, cmd_migrate
from lsplug.usercli import add_user_parser, cmd_user, safe_host

DEFAULT_CONFIG = "config.yaml"
# On SIGTERM, requests still running get this long to finish (labeling calls take
# milliseconds; a download still streaming is cut) before the app's own clean-up.
SHUTDOWN_SECONDS = 5.0
PATH_FLAGS = ("input_path", "output_dir", "data_dir", "label_config")
LISTED = (
    ("source_types", "source types"),
    ("sink_types", "sink types"),
    ("exporters", "exporters"),
    ("ml_backend_kinds", "ML backend kinds"),
    ("agreement_matchers", "agreement matchers"),
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
    start.add_argument(
        "dir", nargs="?", type=Path,
        help="a project folder: its config.yaml, or a Label Studio 0.8 project to open as is",
    )  # fmt: skip
    _project_flags(start)
    start.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    start.add_argument("--port", type=int, help="port to listen on (default 8200)")
    start.add_argument(
        "--server-names", nargs="+", metavar="NAME",
        help="host names clients reach the server by (setting server_names; default: "
        "localhost, 127.0.0.1, [::1], *.localhost and --host unless it is 0.0.0.0 or ::); "
        "requests naming another Host are refused (DNS rebinding)",
    )  # fmt: skip
    start.add_argument("--data-dir", help="folder of the project's state (default: data)")
    start.add_argument("--sampling", choices=SAMPLINGS, help="order in which tasks are handed out")
    start.add_argument(
        "--ml-backends",
        nargs="+",
        metavar="URL|NAME=URL",
        help="model servers to connect (replaces the config file's ml_backends)",
    )
    start.add_argument(
        "--multi-session", action="store_true", default=None, help="serve many projects"
    )
    start.add_argument("--username", help="basic-auth user name (as in Label Studio 0.8)")
    start.add_argument("--password", help="basic-auth password (as in Label Studio 0.8)")
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
    plugins = sub.add_parser(
        "plugins",
        help="list the loaded plugins and what they register",
        description="List every plugin found through the `lsplug` entry points.",
    )
    plugins.add_argument(
        "-c", "--config", help="config file (its plugins: section disables plugins)"
    )
    plugins.add_argument("--json", action="store_true", help="print JSON")
    _export_parser(sub)
    add_user_parser(sub)
    add_store_parsers(sub)
    return parser


def _export_parser(sub: Any) -> None:
    export = sub.add_parser(
        "export",
        help="write an export file offline, with a progress bar",
        description="Export the project of a config file in a format, as the API would.",
    )
    export.add_argument("-c", "--config", help=f"config file (default: {DEFAULT_CONFIG})")
    export.add_argument("--format", required=True, help="an export format (see the API's list)")
    export.add_argument("--out", required=True, type=Path, help="the file to write")
    export.add_argument("--all", action="store_true", help="every task, not only labeled ones")
    export.add_argument("--completions", choices=("all", "newest"), default="all")
    skips = export.add_mutually_exclusive_group()
    skips.add_argument("--cancelled", dest="cancelled", action="store_const", const=True,
                       help="keep skipped completions (JSON's default)")  # fmt: skip
    skips.add_argument("--no-cancelled", dest="cancelled", action="store_const", const=False,
                       help="leave out skipped completions (others' default)")  # fmt: skip
    export.add_argument("--summary", type=Path,
                        help="write what the export left out, as JSON, to this file")  # fmt: skip
    export.add_argument("--download-resources", action="store_true",
                        help="put the project's own images into the zip")  # fmt: skip
    export.add_argument("--quiet", action="store_true", help="no progress bar")


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
    from lsplug.web.hosts import wildcard_notice

    overrides = {"host": args.host, "port": args.port, "label_config": args.label_config,
                 "input_path": args.input_path, "output_dir": args.output_dir,
                 "data_dir": args.data_dir, "sampling": args.sampling,
                 "ml_backends": args.ml_backends,
                 "multi_session": args.multi_session,
                 "server_names": args.server_names}  # fmt: skip
    config_path, ls08_dir = args.config, ls08.folder_of_config(args.config)
    if args.dir is not None:
        if args.config is not None:
            raise ConfigError("give a project folder or -c CONFIG, not both")
        config_path, ls08_dir = ls08.config_of_folder(args.dir, DEFAULT_CONFIG)
    config = load_config(config_path, overrides)
    if ls08_dir is not None:
        config = ls08.adapt_config(config, ls08_dir, overrides)
    if args.username and args.password:
        config.auth = {**(config.auth or {}), "username": args.username,
                       "password": args.password}  # fmt: skip
    _setup_logging(config)
    config.host = safe_host(config)
    if (notice := wildcard_notice(config)) is not None:
        print(notice, file=sys.stderr, flush=True)
    if ls08_dir is not None and ls08.import_once(config, ls08_dir):
        print(f"imported the Label Studio 0.8 project {ls08_dir} into {config.data_path}")
    app = create_app(config)
    print(
        f"lsplug {__version__}: serving {config.title!r} at http://{config.host}:{config.port}",
        flush=True,
    )
    web.run_app(
        app,
        loop=new_event_loop(),
        host=config.host,
        port=config.port,
        print=None,
        access_log=None,
        shutdown_timeout=SHUTDOWN_SECONDS,
    )
    return 0


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (a dependency on Linux and macOS): it cuts
    the server's CPU per request by about a tenth; else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _setup_logging(config: Config) -> None:
    redact_log_records()  # no log line shows a password inside a URL
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
    if args.label_config and args.template:
        raise ConfigError("give --label-config or --template, not both")
    if args.label_config:
        doc["label_config"] = _absolute(args.label_config)
    if args.template:
        doc["label_config"] = _write_template(target, args.template)
    if args.input_path:
        doc["input_path"] = _absolute(args.input_path)
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


def cmd_export(args: argparse.Namespace) -> int:
    """Write the export file; a bad format is one line listing the formats that fit."""
    import asyncio

    import orjson

    from lsplug.errors import BadInput
    from lsplug.export.offline import export_to_file, summary_lines
    from lsplug.hooks.types import ExportOptions

    config = load_config(args.config, {})
    options = ExportOptions(only_labeled=not args.all, completions=args.completions,
                            include_cancelled=args.cancelled,
                            download_resources=args.download_resources)  # fmt: skip
    try:
        size, summary = asyncio.run(
            export_to_file(config, args.format, args.out, options, not args.quiet)
        )
    except BadInput as exc:
        print(f"lsplug: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({size:,} bytes)")
    for line in summary_lines(summary):
        print(line, file=sys.stderr)
    if args.summary:
        args.summary.write_bytes(orjson.dumps(summary.as_json(), option=orjson.OPT_INDENT_2))
    return 0


COMMANDS = {
    "start": cmd_start,
    "init": cmd_init,
    "plugins": cmd_plugins,
    "export": cmd_export,
    "templates": cmd_templates,
    "user": cmd_user,
    "migrate": cmd_migrate,
    "import-ls08": cmd_import_ls08,
}


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
