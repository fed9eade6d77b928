"""Opening a Label Studio 0.8 project folder directly: ``lsplug start DIR``.

A 0.8 folder is known by its ``config.json`` and ``tasks.json``. Its files are never changed:
on the first start, ``tasks.json`` and ``completions/`` are imported into lsplug's store
(``DIR/lsplug-data`` unless ``data_dir`` says otherwise) with their ids; the project's
``ls08_import`` setting marks the import so that later starts do not import again. The label
config comes from ``config.xml`` (or what ``label_config`` names), and completions made here
are written to ``DIR/completions/<id>.json`` (``output_dir``) as 0.8 wrote them. The folder's
form and its reader are :mod:`lsplug.store.transfer.ls08`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

import orjson

from lsplug.config import Config, ConfigError
from lsplug.store import open_store, store_url
from lsplug.store.transfer import TransferError, read_ls08, write_project
from lsplug.store.transfer.ls08 import COMPLETIONS_DIR, CONFIG_FILE, TASKS_FILE, is_ls08_folder

log = logging.getLogger(__name__)

DATA_DIR = "lsplug-data"
MARKER = "ls08_import"


def folder_of_config(config_path: str | None) -> Path | None:
    """The 0.8 folder whose ``config.json`` ``config_path`` is, if it is one."""
    if config_path is None or Path(config_path).name != CONFIG_FILE:
        return None
    folder = Path(config_path).expanduser().resolve().parent
    return folder if is_ls08_folder(folder) else None


def config_of_folder(folder: Path, lsplug_config: str) -> tuple[str, Path | None]:
    """The config file to load for ``lsplug start DIR``, and DIR if it is a 0.8 folder."""
    folder = folder.expanduser().resolve()
    if is_ls08_folder(folder):
        return str(folder / CONFIG_FILE), folder
    if (folder / lsplug_config).is_file():
        return str(folder / lsplug_config), None
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder")
    raise ConfigError(
        f"{folder} is not a project folder: it has neither {lsplug_config} nor a Label Studio "
        f"0.8 project's {CONFIG_FILE} and {TASKS_FILE}"
    )


def adapt_config(config: Config, folder: Path, given: dict[str, Any]) -> Config:
    """The config of a 0.8 folder as lsplug serves it; ``given``: command-line values."""
    raw = _raw_settings(folder)
    changes: dict[str, Any] = {}
    if given.get("data_dir") is None and "data_dir" not in raw:
        changes["data_dir"] = str(folder / DATA_DIR)
    if config.label_config is None:
        changes["label_config"] = str(folder / "config.xml")
    if given.get("input_path") is None:  # the tasks are imported once, not synced
        changes.update(input_path=None, source=None)
    target = config.target
    if given.get("output_dir") is None and (target is None or target.get("type") == "local"):
        # 0.8 wrote absolute paths in its target block: the folder may have moved since
        output = str(raw.get("output_dir") or COMPLETIONS_DIR)
        changes.update(output_dir=str(config.path(output)), target=None)
    return dataclasses.replace(config, **changes)


def _raw_settings(folder: Path) -> dict[str, Any]:
    try:
        raw = orjson.loads((folder / CONFIG_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}  # the config loader has read it already; it reports its own errors
    return raw if isinstance(raw, dict) else {}


def import_once(config: Config, folder: Path) -> bool:
    """Import the folder's tasks and completions unless the store has them; whether it did."""
    try:
        imported = asyncio.run(_import_once(config, folder))
    except (TransferError, OSError) as exc:
        raise ConfigError(f"cannot import the Label Studio 0.8 folder {folder}: {exc}") from None
    if imported:
        log.info("imported the Label Studio 0.8 folder %s (%s)", folder, imported)
    return bool(imported)


async def _import_once(config: Config, folder: Path) -> str:
    from lsplug.service.project import project_uuid

    uuid = project_uuid(config.project_name)
    async with open_store(config) as store:  # makes or migrates the schema
        row = await store.find_project(uuid)
    if row is not None:
        if MARKER not in row.settings:
            log.warning("the store already holds project %s: %s not imported", uuid, folder)
        return ""
    dump = read_ls08(folder, uuid, config.title)
    marker = {"folder": str(folder), "at": int(time.time()), **dump.counts}
    dump.project["settings"] = orjson.dumps({MARKER: marker}).decode()
    try:
        await write_project(store_url(config), dump)
    except TransferError:
        if await _marked(config, uuid):  # another process imported it at the same time
            return ""
        raise
    c = dump.counts
    return f"{c['task_count']} tasks, {c['completion_count']} completions"


async def _marked(config: Config, uuid: str) -> bool:
    async with open_store(config) as store:
        row = await store.find_project(uuid)
    return row is not None and MARKER in row.settings
