"""The command line of people: `lsplug user add|token`, and where `lsplug start` may listen."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import ipaddress
import sys
from typing import Any

from lsplug.cli.common import load_config
from lsplug.config import Config

LOOPBACK = "127.0.0.1"


def add_user_parser(sub: Any) -> None:
    """``lsplug user add NAME [--password-stdin]`` and ``lsplug user token NAME``."""
    user = sub.add_parser(
        "user", help="add people who sign in, and their API tokens",
        description="Manage the people who sign in to the server of a config file.",
    )  # fmt: skip
    actions = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a person (or set the password of one)")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("-c", "--config", help="config file (default: config.yaml if present)")
    add.add_argument("--data-dir", help="folder of the state (default: the config's)")
    token = actions.add_parser("token", help="print a new API token of a person")
    token.add_argument("name")
    token.add_argument("-c", "--config", help="config file (default: config.yaml if present)")
    token.add_argument("--data-dir", help="folder of the state (default: the config's)")


def cmd_user(args: argparse.Namespace) -> int:
    """Run `lsplug user add|token`."""
    config = load_config(args.config, {"data_dir": args.data_dir})
    if args.action == "add":
        password = _read_password(args.password_stdin)
        return asyncio.run(_add(config, args.name, password))
    return asyncio.run(_token(config, args.name))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise SystemExit("lsplug: error: the passwords differ")
    return first


async def _add(config: Config, name: str, password: str) -> int:
    from lsplug.service.auth import Accounts, load_key
    from lsplug.store import store_for

    store = store_for(config)
    await store.open()
    try:
        try:
            await Accounts(store, load_key(config.data_path)).add_user(name, password)
        except ValueError as exc:
            print(f"lsplug: error: {exc}", file=sys.stderr)
            return 2
    finally:
        await store.close()
    print(f"user {name!r} can sign in now")
    return 0


async def _token(config: Config, name: str) -> int:
    from lsplug.service.auth import Accounts, load_key
    from lsplug.store import store_for

    store = store_for(config)
    await store.open()
    try:
        user = await store.find_user(name)
        if user is None:
            print(
                f"lsplug: error: no user {name!r}; add one with `lsplug user add`", file=sys.stderr
            )
            return 2
        print(await Accounts(store, load_key(config.data_path)).new_token(user))
    finally:
        await store.close()
    return 0


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def safe_host(config: Config) -> str:
    """Where to listen: the configured host, unless nobody can sign in and remote anonymous
    access was not allowed: then localhost only, said on stderr."""
    if is_loopback(config.host) or (config.auth or {}).get("allow_anonymous_remote") is True:
        return config.host
    if (config.auth or {}).get("username") and (config.auth or {}).get("password"):
        return config.host
    if asyncio.run(_count_users(config)) > 0:
        return config.host
    print(
        f"lsplug: no user can sign in, so the server listens on {LOOPBACK} only, not "
        f"{config.host}; add one with `lsplug user add NAME`, or set "
        "auth: {allow_anonymous_remote: true}",
        file=sys.stderr,
        flush=True,
    )
    return LOOPBACK


async def _count_users(config: Config) -> int:
    from lsplug.store import store_for

    store = store_for(config)
    await store.open()
    try:
        return await store.count_users()
    finally:
        await store.close()
