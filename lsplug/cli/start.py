"""`lsplug start`: serve a project (a config file, a project folder, or a Label Studio 0.8
folder opened as is) until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import logging.config
import os
import sys
from pathlib import Path
from typing import Any

from lsplug import __version__
from lsplug.cli.common import DEFAULT_CONFIG, load_config
from lsplug.cli.users import safe_host
from lsplug.config import SAMPLINGS, Config, ConfigError
from lsplug.config.redact import redact_log_records
from lsplug.service import ls08_folder as ls08

# On SIGTERM, requests still running get this long to finish (labeling calls take
# milliseconds; a download still streaming is cut) before the app's own clean-up.
SHUTDOWN_SECONDS = 5.0
LISTEN_ERRORS = (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)  # binding the port


def add_start_parser(sub: Any) -> None:
    """``lsplug start [DIR] [-c CONFIG] [flags that override the config file]``."""
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


def _project_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", help=f"config file (default: {DEFAULT_CONFIG} if present)"
    )
    parser.add_argument("--label-config", help="label config: a path to an XML file or inline XML")
    parser.add_argument("--input-path", help="a file or folder of tasks to import at start")
    parser.add_argument(
        "--output-dir", help="folder where each labeled task is written as <id>.json"
    )


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
    serving = (
        f"lsplug {__version__}: serving {config.title!r} at http://{config.host}:{config.port}"
    )
    try:
        web.run_app(
            app,
            loop=new_event_loop(),
            host=config.host,
            port=config.port,
            print=lambda _: print(serving, flush=True),  # once it listens
            access_log=None,
            shutdown_timeout=SHUTDOWN_SECONDS,
        )
    except OSError as exc:
        if exc.errno not in LISTEN_ERRORS:
            raise
        raise ConfigError(_listen_error(config, exc)) from None
    return 0


def _listen_error(config: Config, exc: OSError) -> str:
    """One line on why the server cannot listen: a busy port, a port it may not use."""
    where = f"{config.host}:{config.port}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is in use (choose another with --port)"
    reason = os.strerror(exc.errno or 0).lower()
    return f"cannot listen on {where}: {reason} (check host and port)"


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
