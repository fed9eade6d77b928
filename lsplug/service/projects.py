"""The open projects of a server: the default one, and in multi-session mode any other,
opened lazily from the store with its own storages, model servers and sink worker."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid as uuidlib
from dataclasses import dataclass

from lsplug.config import Config
from lsplug.plugins import Plugins
from lsplug.service.jobs import Jobs, process_identity
from lsplug.service.ml import Models
from lsplug.service.outbox import run_sink_worker
from lsplug.service.project import DEFAULT_LABEL_CONFIG, Project
from lsplug.service.startup import open_project
from lsplug.service.storage_switch import close_storages, open_storages
from lsplug.store import ProjectRow, Store

log = logging.getLogger(__name__)


@dataclass
class OpenProject:
    """A project in use, with the background work that belongs to it."""

    project: Project
    models: Models
    worker: asyncio.Task[None]
    jobs: Jobs  # background work (syncs, predictions) of this project only, in the store


class Projects:
    """Every project this server has opened, by uuid; the default one first."""

    def __init__(self, config: Config, store: Store, plugins: Plugins) -> None:
        self.config, self.store, self.plugins = config, store, plugins
        self.owner = process_identity()  # who runs this server's jobs, in the jobs table
        self._open: dict[str, OpenProject] = {}
        self._lock = asyncio.Lock()
        self.default: OpenProject | None = None

    async def open_default(self) -> OpenProject:
        """The project of the config file (created if new), opened with its storages."""
        project = await open_project(self.config, self.store, self.plugins)
        self.default = await self._start(project)
        return self.default

    async def get(self, uuid: str) -> OpenProject | None:
        """The project with ``uuid``, opened on first use; None when there is none."""
        found = self._open.get(uuid)
        if found is not None:
            return found
        async with self._lock:
            if uuid in self._open:
                return self._open[uuid]
            row = await self.store.find_project(uuid)
            if row is None:
                return None
            config = self._config_of_other()
            return await self._start(Project(config, self.store, self.plugins, row))

    async def create(self, title: str) -> OpenProject:
        """A new, empty project with the default label config."""
        row = await self.store.ensure_project(str(uuidlib.uuid4()), title, DEFAULT_LABEL_CONFIG)
        row = await self.store.update_project(row.id, settings={"title": title})
        opened = await self.get(row.uuid)
        assert opened is not None
        return opened

    async def rows(self) -> list[ProjectRow]:
        """Every project in the store."""
        return await self.store.list_projects()

    def _config_of_other(self) -> Config:
        """Projects other than the default do not take the config file's storages, label
        config or model servers: those are set through the API, per project."""
        return dataclasses.replace(
            self.config, input_path=None, output_dir=None, source=None, target=None,
            label_config=None, ml_backends=[],
        )  # fmt: skip

    async def _start(self, project: Project) -> OpenProject:
        jobs = Jobs(self.store, project.id, self.owner)
        await open_storages(project, jobs)
        models = Models(project, jobs)
        project.predictor = models
        await models.open()
        name = f"lsplug-sink-worker-{project.id}"
        worker = asyncio.create_task(run_sink_worker(project), name=name)
        opened = OpenProject(project, models, worker, jobs)
        self._open[project.row.uuid] = opened
        return opened

    async def close(self) -> None:
        """Stop every project's background work and close its storages and models."""
        for opened in reversed(list(self._open.values())):
            await opened.jobs.cancel_all()
            opened.worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await opened.worker
            await opened.models.close()
            await close_storages(opened.project)
        self._open.clear()
