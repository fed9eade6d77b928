"""Switching storages at start-up and through the API, and syncing the source."""

from __future__ import annotations

import logging
from typing import Any

from lsplug.hooks.types import CompletionSink, StorageError, TaskSource
from lsplug.service.exclusive import one_process_at_a_time
from lsplug.service.jobs import Job, Jobs
from lsplug.service.project import Project
from lsplug.service.startup import chosen_storage
from lsplug.service.storage import Role, open_storage, secret_names, source_identity
from lsplug.service.sync import SourceSync

log = logging.getLogger(__name__)


async def switch(
    project: Project, jobs: Jobs, role: Role, settings: dict[str, Any], persist: bool = True
) -> Job | None:
    """Check the new storage, then put it in place; nothing changes if the check fails."""
    storage, clean = await open_storage(project, role, settings)
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
        stored = dict(project.row.settings)
        stored[role] = clean
        project.row = await project.store.update_project(project.id, settings=stored)
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
        try:
            await switch(project, jobs, role, settings, persist=False)
        except StorageError as exc:
            log.error("the %s storage %s cannot be used: %s", role, settings.get("type"), exc)


async def close_storages(project: Project) -> None:
    """Close the source and the sink."""
    for storage in (project.storages.source, project.storages.sink):
        if storage is not None:
            await storage.close()
