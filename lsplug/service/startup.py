"""Opening a project at start-up: which label config and storages win, file or API.

The config file seeds a project. A value changed through the API (label config, storages,
runtime settings) is kept across restarts, until the config file's own value changes:
then the file wins again. Each file value's digest is kept under the project's ``_seeds``
setting to notice that. A stored value that today's checks refuse is skipped when the
project opens (see :meth:`Project._usable_settings`), so no setting stops a start.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from lsplug import labelconfig
from lsplug.config import Config, ConfigError
from lsplug.plugins import Plugins
from lsplug.service.project import (
    DEFAULT_LABEL_CONFIG,
    RUNTIME_SETTINGS,
    Project,
    project_uuid,
)
from lsplug.store import Store


def _digest(value: Any) -> str:
    return hashlib.sha1(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def read_label_config(config: Config) -> str | None:
    """The label config the config file names: inline XML or a path to an XML file."""
    value = config.label_config
    if value is None:
        return None
    if value.lstrip().startswith("<"):
        return value
    path = config.path(value)
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"label_config: cannot read {path}: {exc.strerror}") from None


def storage_from_file(config: Config, role: str) -> dict[str, Any] | None:
    """``source:``/``target:``, or the seed guide's ``input_path``/``output_dir``."""
    explicit = config.source if role == "source" else config.target
    if explicit is not None:
        return dict(explicit)
    path = config.input_path if role == "source" else config.output_dir
    return {"type": "local", "path": path} if path else None


async def open_project(config: Config, store: Store, plugins: Plugins) -> Project:
    """The configured project, created if new, with the file's changed values applied."""
    file_xml = read_label_config(config)
    if file_xml is not None:
        try:
            labelconfig.parse(file_xml)
        except labelconfig.LabelConfigError as exc:
            raise ConfigError(f"label_config: {'; '.join(exc.errors)}") from None
    row = await store.ensure_project(
        project_uuid(config.project_name), config.title, file_xml or DEFAULT_LABEL_CONFIG
    )
    settings = dict(row.settings)
    seeds = dict(settings.get("_seeds", {}))
    new_xml = None
    if file_xml is not None and seeds.get("label_config") != _digest(file_xml):
        seeds["label_config"], new_xml = _digest(file_xml), file_xml
    for role in ("source", "target"):
        file_value = storage_from_file(config, role)
        if seeds.get(role) != _digest(file_value):
            seeds[role] = _digest(file_value)
            settings.pop(role, None)  # the file changed: its value wins over the API's
    _file_wins(config, settings, seeds)
    settings["_seeds"] = seeds
    row = await store.update_project(row.id, settings=settings, label_config=new_xml)
    return Project(config, store, plugins, row)


def _file_wins(config: Config, settings: dict[str, Any], seeds: dict[str, Any]) -> None:
    """A runtime setting whose value in the config file changed since the last start is
    the file's again (the API's value is dropped); the first start that sees a setting
    only notes the file's value."""
    for key in RUNTIME_SETTINGS:
        value = getattr(config, key)
        digest = _digest([vars(v) for v in value] if key == "ml_backends" else value)
        if key in seeds and seeds[key] != digest:
            settings.pop(key, None)
        seeds[key] = digest


def chosen_storage(project: Project, role: str) -> dict[str, Any] | None:
    """The storage settings in force: switched through the API, else from the file."""
    stored = project.row.settings.get(role)
    return dict(stored) if stored else storage_from_file(project.config, role)
