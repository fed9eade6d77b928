"""Switching storages at start-up and through the API, and syncing the source."""

from __future__ import annotations

import logging
from typing import Any

from lsplug.hooks.types import CompletionSink, TaskSource
from lsplug.service.exclusive import one_process_at_a_time
from lsplug.service.jobs import Job, Jobs
from lsplug.service.project import Project
from lsplug.service.startup import chosen_storage
from lsplug.service.storage import Role, open_storage, secret_names, source_identity
from lsplug.service.sync import SourceSync

log = logging.getLogger(__name__)


async def switch(
    project: Project, jobs: Jobs, role: Role, settings: dict[str, Any], persist: bool = True,
    operator: bool = False,
) -> Job | None:  # fmt: skip
    """Check the new storage, then put it in place; nothing changes if the check fails.
    ``operator``: the settings are the config file's (any path, any endpoint); otherwise
    they were set through the API and stay within ``local_files_roots`` and the address
    rule of URL imports."""
    storage, clean = await open_storage(project, role, settings, operator)
    old: TaskSource | CompletionSink | None
    if role == "source":
        assert isinstance(storage, TaskSource), "a source type's factory made no TaskSource"
        old = project.storages.source
        project.storages.source, project.storages.source_settings = storage, clean
    else:
        assert isinstance(storage, CompletionSink), "a sink type's factory made no sink"
        old = project.storages.sink
        project.storages.sink, project.storages.sink_settings = storage, clean
    if old is not None:
        await old.close()
    if persist:
        await project.change_settings({role: clean})
    if role == "source":
        return await start_sync(project, jobs)
    await _backfill(project, persist)
    return None


async def _backfill(project: Project, switched: bool) -> None:
    """A new sink receives every existing completion, through the outbox."""
    if switched:
        await project.store.enqueue_all(project.id)
    project.sink_wakeup.set()


async def start_sync(project: Project, jobs: Jobs) -> Job | None:
    """Start a background sync of the current source; its job shows progress."""
    source, settings = project.storages.source, project.storages.source_settings
    if source is None or settings is None:
        return None
    identity = source_identity(settings, secret_names(project, "source", str(settings["type"])))
    work = SourceSync(project, source, identity).run
    lock = f"lsplug-sync:{project.id}"  # several processes on one store: one syncs at a time
    return await jobs.start(
        "sync",
        f"sync from {settings['type']} source",
        one_process_at_a_time(project.store, lock, work),
    )


async def open_storages(project: Project, jobs: Jobs) -> None:
    """Open the storages in force at start-up; one that fails is logged, not fatal."""
    roles: tuple[Role, ...] = ("source", "target")
    for role in roles:
        settings = chosen_storage(project, role)
        if settings is None:
            continue
        operator = not project.row.settings.get(role)  # else switched through the API
        try:
            await switch(project, jobs, role, settings, persist=False, operator=operator)
        except Exception as exc:  # a stored setting never stops the start
            log.error("the %s storage %s cannot be used: %s", role, settings.get("type"), exc)


async def close_storages(project: Project) -> None:
    """Close the source and the sink."""
    for storage in (project.storages.source, project.storages.sink):
        if storage is not None:
            await storage.close()
