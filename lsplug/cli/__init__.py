"""The command line: `lsplug start`, `init`, `templates`, `plugins`, `export`, `user`,
`migrate` and `import-ls08`.

This module builds the parser and runs a command; each command (its flags and its work) is
a module of this package, and what several share (the config file) is in
:mod:`lsplug.cli.common`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from lsplug import __version__
from lsplug.cli.export import add_export_parser, cmd_export
from lsplug.cli.init import add_init_parsers, cmd_init, cmd_templates
from lsplug.cli.plugins import add_plugins_parser, cmd_plugins
from lsplug.cli.start import add_start_parser, cmd_start
from lsplug.cli.store import add_store_parsers, cmd_import_ls08, cmd_migrate
from lsplug.cli.users import add_user_parser, cmd_user
from lsplug.config import ConfigError
from lsplug.plugins import PluginError

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "start": cmd_start,
    "init": cmd_init,
    "plugins": cmd_plugins,
    "export": cmd_export,
    "templates": cmd_templates,
    "user": cmd_user,
    "migrate": cmd_migrate,
    "import-ls08": cmd_import_ls08,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lsplug",
        description="A data-labeling server speaking the Label Studio 0.8/0.9 backend API.",
    )
    parser.add_argument("--version", action="version", version=f"lsplug {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_start_parser(sub)
    add_init_parsers(sub)
    add_plugins_parser(sub)
    add_export_parser(sub)
    add_user_parser(sub)
    add_store_parsers(sub)
    return parser


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
