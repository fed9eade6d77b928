"""The command line of stores: `lsplug migrate` and `lsplug import-ls08`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsplug.cli.common import load_config

if TYPE_CHECKING:  # asyncpg and tqdm are imported only by the commands that use them
    from tqdm import tqdm

    from lsplug.store.transfer.dump import Loaded, ProjectDump


def add_store_parsers(sub: Any) -> None:
    """``lsplug migrate --from URL --to URL`` and ``lsplug import-ls08``."""
    migrate = sub.add_parser(
        "migrate", help="move projects and people between SQLite and PostgreSQL, ids kept",
        description="Copy the projects of a store (tasks, completions, predictions, counters, "
        "ids, owners and members) with its users and their API tokens into another store that "
        "does not hold those projects yet, in one transaction. Either store is sqlite:PATH or "
        "postgresql://...; a user already in the target by name keeps the target's password "
        "and tokens. Sessions are not moved: people sign in again.",
    )  # fmt: skip
    migrate.add_argument("--from", dest="source", required=True, metavar="URL",
                         help="sqlite:PATH or postgresql://...")  # fmt: skip
    migrate.add_argument("--to", dest="target", required=True, metavar="URL",
                         help="sqlite:PATH (made when new) or postgresql://...")  # fmt: skip
    migrate.add_argument("--project", action="append", metavar="UUID",
                         help="move only this project (again for more; default: all)")  # fmt: skip
    migrate.add_argument("--quiet", action="store_true", help="no progress bar")
    ls08 = sub.add_parser(
        "import-ls08", help="import a Label Studio 0.8 project folder, ids kept",
        description="Import DIR (config.json, config.xml, tasks.json, completions/) as the "
        "project of a config file, with its task and completion ids.",
    )  # fmt: skip
    ls08.add_argument("dir", type=Path, help="the Label Studio 0.8 project folder")
    ls08.add_argument("-c", "--config", help="config file of the target (default: config.yaml)")


def cmd_migrate(args: argparse.Namespace) -> int:
    """Move projects and people from one store to another, with a progress bar."""
    from lsplug.store.transfer import check_url, load_into, open_source

    async def run() -> None:
        check_url(args.target)
        async with open_source(args.source) as source:
            only = list(dict.fromkeys(args.project)) if args.project else None
            dumps = await source.dumps(only)
            with _Bar(sum(_rows(d) for d in dumps), args.quiet) as bar:
                loaded = await load_into(args.target, source.people(), dumps, bar.update)
        for dump in dumps:
            print(f"moved project {dump.project['title']!r} ({dump.summary()})")
        _report_people(loaded)

    return _run(run())


class _Bar:
    """A progress bar of rows, shown from the first batch written (a target refused at once
    shows none) and wiped when the move fails (nothing was written after all)."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet = total, quiet
        self.bar: tqdm[Any] | None = None

    def update(self, rows: int) -> None:
        """Count ``rows`` more rows written."""
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="row", disable=self.quiet)
        self.bar.update(rows)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self.bar is not None:
            self.bar.leave = kind is None
            self.bar.close()


def _rows(dump: ProjectDump) -> int:
    """The rows the progress bar counts: tasks, completions, predictions."""
    c = dump.counts
    return c["task_count"] + c["completion_count"] + c["prediction_count"]


def _report_people(loaded: Loaded) -> None:
    """Who moved, and who was already in the target by name."""
    print(f"moved {loaded.users_added} users and {loaded.tokens} API tokens "
          "(sessions are not moved: people sign in again)")  # fmt: skip
    if loaded.merged_count:
        more = loaded.merged_count - len(loaded.merged)
        names = ", ".join(loaded.merged) + (f" and {more} more" if more else "")
        print(f"merged {loaded.merged_count} users by name ({names}): the target's user keeps "
              "its password and tokens, and takes the moved projects' memberships")  # fmt: skip


def cmd_import_ls08(args: argparse.Namespace) -> int:
    """Import a Label Studio 0.8 folder into the store of a config file."""
    from lsplug.service.project import project_uuid
    from lsplug.store import store_for, store_url
    from lsplug.store.transfer import read_ls08, write_project

    config = load_config(args.config, {})

    async def run() -> None:
        dump = read_ls08(args.dir, project_uuid(config.project_name), config.title)
        store = store_for(config)
        await store.open()  # makes or migrates the schema
        await store.close()
        await write_project(store_url(config), dump)
        print(f"imported {args.dir} ({dump.summary()})")

    return _run(run())


def _run(work: Any) -> int:
    """Run the command's work; what stops it is one line on stderr and exit code 2."""
    import sqlite3

    import asyncpg

    from lsplug.store import SchemaTooNew
    from lsplug.store.transfer import TransferError

    try:
        asyncio.run(work)
    except (TransferError, SchemaTooNew, OSError, sqlite3.Error, asyncpg.PostgresError,
            asyncpg.InterfaceError) as exc:  # fmt: skip
        print(f"lsplug: error: {exc}", file=sys.stderr)
        return 2
    return 0
