"""`lsplug export`: an export file written offline, as the API would send it, with a
progress bar."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lsplug.cli.common import DEFAULT_CONFIG, load_config


def add_export_parser(sub: Any) -> None:
    """``lsplug export --format NAME --out FILE [-c CONFIG] [what to include]``."""
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
