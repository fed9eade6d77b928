"""Choosing, checking and switching the project's task source and completion sink.

A switch is checked before it happens (the form, then whether the storage answers), so a
failed switch switches nothing. Settings switched through the API are kept in the store.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any, Literal

import orjson

from lsplug.config.redact import redact_settings
from lsplug.hooks.addresses import AddressPolicy
from lsplug.hooks.types import (
    CompletionSink,
    Field,
    SinkType,
    SourceType,
    StorageContext,
    StorageError,
    TaskSource,
)
from lsplug.service.project import Project

Role = Literal["source", "target"]


def storage_context(project: Project, plugin: str = "", operator: bool = True) -> StorageContext:
    """What a storage factory gets from this project. ``operator``: the settings come from
    the config file (any path, any endpoint); otherwise they were set through the API: local
    paths stay inside ``local_files_roots`` and endpoints obey the rule of URL imports."""
    keys = list(project.label_config.data_types)
    config = project.config
    return StorageContext(
        config_dir=config.config_dir,
        data_dir=config.data_path,
        data_key=keys[0] if keys else None,
        run_in_thread=asyncio.to_thread,
        plugin_settings=config.plugin_settings(plugin),
        allowed_roots=None if operator else tuple(config.path(r) for r in config.local_files_roots),
        addresses=None if operator else AddressPolicy(tuple(config.allowed_hosts)),
    )


def _kind(project: Project, role: Role, settings: Mapping[str, Any]) -> SourceType | SinkType:
    registry = project.plugins.sources if role == "source" else project.plugins.sinks
    name = settings.get("type")
    kind = registry.get(name) if isinstance(name, str) else None
    if kind is None:
        known = ", ".join(registry.names()) or "none (no storage plugin is loaded)"
        raise StorageError({"type": [f"{name!r} is not a {role} storage type; types: {known}"]})
    return kind


def check_form(
    fields: list[Field] | tuple[Field, ...], settings: Mapping[str, Any]
) -> dict[str, Any]:
    """Settings with defaults filled in; field errors for missing or mistyped values."""
    errors: dict[str, list[str]] = {}
    known = {f.name for f in fields} | {"type"}
    for key in settings:
        if key not in known:
            errors.setdefault(key, []).append(f"unknown field; fields: {', '.join(sorted(known))}")
    out: dict[str, Any] = {"type": settings["type"]}
    for f in fields:
        value = settings.get(f.name, f.default)
        if value in (None, "") and f.required:
            errors.setdefault(f.name, []).append("this field is required")
        elif value is not None and not _type_ok(f, value):
            errors.setdefault(f.name, []).append(f"expected {f.type}, got {type(value).__name__}")
        out[f.name] = value
    if errors:
        raise StorageError(errors)
    return out


def _type_ok(f: Field, value: Any) -> bool:
    types: dict[str, Any] = {"integer": int, "number": int | float, "boolean": bool, "json": object}
    if f.choices and value not in f.choices:
        return False
    return isinstance(value, types.get(f.type, str))


async def open_storage(
    project: Project, role: Role, settings: Mapping[str, Any], operator: bool = True
) -> tuple[TaskSource | CompletionSink, dict[str, Any]]:
    """Create and check a source or sink from its settings; :class:`StorageError` if not.
    ``operator``: the settings come from the config file, not from the API."""
    kind = _kind(project, role, settings)
    registry = project.plugins.sources if role == "source" else project.plugins.sinks
    clean = check_form(list(kind.fields), settings)
    ctx = storage_context(project, registry.owners[kind.name], operator)
    storage = kind.create(clean, ctx)
    await _checked(storage)
    return storage, clean


async def _checked(storage: TaskSource | CompletionSink) -> None:
    try:
        await storage.check()
    except StorageError:
        await storage.close()
        raise
    except Exception as exc:  # a plugin's unexpected failure is still the storage's fault
        await storage.close()
        raise StorageError({"": [f"the storage cannot be reached: {exc}"]}) from None


def source_identity(settings: Mapping[str, Any], secret_fields: set[str]) -> str:
    """A short, stable name for a source's settings: objects synced are kept per identity."""
    public = {k: v for k, v in settings.items() if k not in secret_fields}
    digest = hashlib.sha1(orjson.dumps(public, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]
    return f"{settings.get('type')}:{digest}"


def secret_names(project: Project, role: Role, type_name: str) -> set[str]:
    """The secret fields of a storage type."""
    registry = project.plugins.sources if role == "source" else project.plugins.sinks
    kind = registry.get(type_name)
    return {f.name for f in kind.fields if f.secret} if kind else set()


def public_settings(
    project: Project, role: Role, settings: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Storage settings as the API shows them: a secret that is set shows as ``********``."""
    if settings is None:
        return None
    secrets = secret_names(project, role, str(settings.get("type")))
    shown = {k: "********" if k in secrets and v else v for k, v in settings.items()}
    return dict(redact_settings(shown))  # and passwords inside URLs (an endpoint_url)


def storage_forms(project: Project) -> dict[str, Any]:
    """Every storage type's form and the current settings, for `/api/project/storage-settings`."""
    current = {"source": project.storages.source_settings, "target": project.storages.sink_settings}
    out: dict[str, Any] = {}
    for role, registry in (("source", project.plugins.sources), ("target", project.plugins.sinks)):
        now = current[role] or {}
        out[role] = {
            name: {
                "title": kind.title,
                "description": kind.description,
                "fields": [f.as_json() for f in kind.fields],
                "current": now.get("type") == name,
            }
            for name, kind in registry.items.items()
        }
    return out
