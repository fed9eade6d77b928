"""The command line of stores: `lsplug migrate` and `lsplug import-ls08`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # asyncpg is imported only by the commands that use it
    from lsplug.store.transfer import ProjectDump


def add_store_parsers(sub: Any) -> None:
    """``lsplug migrate --from sqlite:PATH --to postgresql://...`` and ``lsplug import-ls08``."""
    migrate = sub.add_parser(
        "migrate", help="move the projects of a SQLite store to PostgreSQL, ids kept",
        description="Copy every project of a SQLite store (tasks, completions, predictions, "
        "counters, ids) into a PostgreSQL database that does not hold them yet.",
    )  # fmt: skip
    migrate.add_argument("--from", dest="source", required=True, metavar="sqlite:PATH")
    migrate.add_argument("--to", dest="target", required=True, metavar="postgresql://...")
    ls08 = sub.add_parser(
        "import-ls08", help="import a Label Studio 0.8 project folder, ids kept",
        description="Import DIR (config.json, config.xml, tasks.json, completions/) as the "
        "project of a config file, with its task and completion ids.",
    )  # fmt: skip
    ls08.add_argument("dir", type=Path, help="the Label Studio 0.8 project folder")
    ls08.add_argument("-c", "--config", help="config file of the target (default: config.yaml)")


def cmd_migrate(args: argparse.Namespace) -> int:
    """Move every project of the SQLite store to PostgreSQL."""
    from lsplug.store.sqlite import SQLiteStore
    from lsplug.store.transfer import read_sqlite, sqlite_projects, write_postgres

    source: str = args.source
    if not source.startswith("sqlite:") or not args.target.startswith(("postgresql:", "postgres:")):
        print("lsplug: error: --from sqlite:PATH --to postgresql://...", file=sys.stderr)
        return 2
    path = Path(source.removeprefix("sqlite:").removeprefix("//"))
    if not path.exists():
        print(f"lsplug: error: {path} does not exist", file=sys.stderr)
        return 2

    async def run() -> None:
        store = SQLiteStore(path)  # brings the file to the newest schema first
        await store.open()
        await store.close()
        for uuid in sqlite_projects(path):
            dump = read_sqlite(path, uuid)
            await write_postgres(args.target, dump)
            print(f"moved project {dump.project['title']!r} ({_summary(dump)})")

    return _run(run())


def cmd_import_ls08(args: argparse.Namespace) -> int:
    """Import a Label Studio 0.8 folder into the store of a config file."""
    from lsplug.cli import load_config
    from lsplug.service.project import project_uuid
    from lsplug.store.sqlite import SQLiteStore
    from lsplug.store.transfer import read_ls08, write_postgres, write_sqlite
    from lsplug.web.app import make_store

    config = load_config(args.config, {})

    async def run() -> None:
        dump = read_ls08(args.dir, project_uuid(config.project_name), config.title)
        store = make_store(config)
        await store.open()  # makes or migrates the schema
        await store.close()
        if isinstance(store, SQLiteStore):
            await asyncio.to_thread(write_sqlite, store.path, dump)
        else:
            await write_postgres(str(getattr(store, "url", "")), dump)
        print(f"imported {args.dir} ({_summary(dump)})")

    return _run(run())


def _summary(dump: ProjectDump) -> str:
    c = dump.counts
    return f"{c['task_count']} tasks, {c['completion_count']} completions, " + (
        f"{c['prediction_count']} predictions"
    )


def _run(work: Any) -> int:
    from lsplug.store.transfer import TransferError

    try:
        asyncio.run(work)
    except (TransferError, OSError) as exc:
        print(f"lsplug: error: {exc}", file=sys.stderr)
        return 2
    return 0
