"""Model servers: connecting them, asking for predictions once per model version, training.

A model that is slow, down or answers nonsense never stalls labeling: every call has the
``ml.timeout``; a failing model is marked unhealthy and left alone for a back-off time,
and the task is handed out without its prediction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from lsplug.config import parse_ml_backend
from lsplug.errors import BadInput, NotFound
from lsplug.hooks.types import MLBackend, MLContext, Prediction
from lsplug.records import TaskRecord
from lsplug.service.exclusive import one_process_at_a_time
from lsplug.service.jobs import Job, Jobs
from lsplug.service.project import Project

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0
PENDING_KEY = "_predict_all_pending"


@dataclass
class ModelState:
    """One connected model and what we know of its health."""

    name: str
    url: str
    kind: str
    backend: MLBackend
    connected: bool = False
    model_version: str | None = None
    is_training: bool = False
    error: str | None = None
    failures: int = 0
    retry_at: float = 0.0
    ready: bool = False  # set up for this project

    def usable(self) -> bool:
        """Healthy, or unhealthy long enough ago to be tried again."""
        return self.connected or time.monotonic() >= self.retry_at

    def failed(self, error: str) -> None:
        """Mark unhealthy and back off (doubling, at most five minutes)."""
        self.connected, self.error = False, error
        self.failures += 1
        self.retry_at = time.monotonic() + min(MAX_BACKOFF, 2.0**self.failures)
        log.warning("model %s failed (%d in a row): %s", self.name, self.failures, error)

    def succeeded(self, version: str | None) -> None:
        """Mark healthy."""
        self.connected, self.error, self.failures = True, None, 0
        if version is not None:
            self.model_version = version

    def as_json(self) -> dict[str, Any]:
        """The model as `/api/models` shows it."""
        return {
            "name": self.name, "url": self.url, "kind": self.kind,
            "connected": self.connected, "model_version": self.model_version,
            "is_training": self.is_training, "error": self.error,
        }  # fmt: skip


class Models:
    """The model servers of a project."""

    def __init__(self, project: Project, jobs: Jobs) -> None:
        self.project = project
        self.jobs = jobs
        self.models: dict[str, ModelState] = {}
        self.settings = project.config.ml
        self._since_training = 0
        self._setup_task: asyncio.Task[Any] | None = None

    # --- connecting ------------------------------------------------------------------------

    async def open(self) -> None:
        """Register the configured models and set them up in the background (start-up
        never waits for a model server); one that does not answer stays, unhealthy."""
        for entry in self.project.setting_list("ml_backends"):
            spec = entry if isinstance(entry, dict) else parse_ml_backend(str(entry))
            state = self._new_state(spec["url"], spec.get("name"), spec.get("kind") or "http")
            self.models[state.name] = state
        if self.models:
            self._setup_task = asyncio.create_task(self.refresh(), name="lsplug-models-setup")
        if self.models and self.project.row.settings.get(PENDING_KEY):
            log.info("resuming the predictions of all tasks that a restart interrupted")
            await self.start_predict_all()

    def _context(self) -> MLContext:
        return MLContext(
            project_id=self.project.row.uuid,
            label_config=lambda: self.project.label_config.xml,
            timeout=self.settings.timeout,
        )

    async def add(self, url: str, name: str | None = None, kind: str = "http") -> ModelState:
        """Connect a model (replacing one of the same name); one that does not answer is
        a 400 and changes nothing."""
        state = self._new_state(url, name, kind)
        await self._setup(state)
        if not state.connected:
            await state.backend.close()
            raise BadInput(f"ml_backend: the model server at {url} does not answer: {state.error}")
        if state.name in self.models:
            await self.models[state.name].backend.close()
        self.models[state.name] = state
        return state

    def _new_state(self, url: str, name: str | None, kind: str) -> ModelState:
        if not url.startswith(("http://", "https://")):
            raise BadInput(f"ml_backend: {url!r} is not an http(s) URL")
        found = self.project.plugins.ml_kinds.get(kind)
        if found is None:
            kinds = ", ".join(self.project.plugins.ml_kinds.names()) or "none"
            raise BadInput(f"ml_backend: no plugin offers the model kind {kind!r} (kinds: {kinds})")
        name = name or url
        return ModelState(name, url, kind, found.create(name, url, {}, self._context()))

    async def _setup(self, state: ModelState) -> None:
        try:
            health = await state.backend.setup()
        except Exception as exc:
            state.failed(str(exc) or type(exc).__name__)
        else:
            state.succeeded(health.model_version)
            state.ready = True

    async def remove(self, name: str) -> None:
        """Disconnect a model; 404 if unknown."""
        state = self.models.pop(name, None)
        if state is None:
            raise NotFound(f"model {name!r} not found")
        await state.backend.close()

    async def refresh(self) -> list[dict[str, Any]]:
        """Ask every model for its health (in parallel); the list `/api/models` shows."""
        await asyncio.gather(*(self._health(s) for s in self.models.values()))
        return [s.as_json() for s in self.models.values()]

    async def _health(self, state: ModelState) -> None:
        """Health, then setup again: the answer to setup is how a new model version shows."""
        if not state.usable():
            return
        try:
            health = await state.backend.health()
        except Exception as exc:
            state.failed(str(exc) or type(exc).__name__)
            return
        await self._setup(state)
        state.is_training = health.is_training

    def entries(self) -> list[dict[str, str]]:
        """The connected models as the ``ml_backends`` setting keeps them."""
        return [{"name": s.name, "url": s.url, "kind": s.kind} for s in self.models.values()]

    async def close(self) -> None:
        """Close every connection."""
        if self._setup_task is not None:
            self._setup_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._setup_task
        for state in self.models.values():
            await state.backend.close()

    # --- predictions -----------------------------------------------------------------------

    def _usable(self) -> list[ModelState]:
        return [s for s in self.models.values() if s.usable()]

    async def predict_data(self, data: Any) -> list[dict[str, Any]]:
        """Predictions for one task's data (nothing stored), from every usable model."""
        task = {"id": 0, "data": data}
        out: list[dict[str, Any]] = []
        for state in self._usable():
            got = await self._ask(state, [task])
            if got and got[0] is not None:
                out.append(_body(state, got[0]))
        return out

    async def _ask(
        self, state: ModelState, tasks: Sequence[Mapping[str, Any]]
    ) -> list[Prediction | None] | None:
        """One predict call; None (and the model marked unhealthy) when it fails."""
        if not state.ready:  # servers predict only for a project they were set up for
            await self._setup(state)
            if not state.ready:
                return None
        try:
            predictions = await state.backend.predict(tasks)
        except Exception as exc:
            state.failed(str(exc) or type(exc).__name__)
            return None
        state.succeeded(getattr(state.backend, "model_version", None))
        return predictions

    async def predict_records(self, records: Sequence[TaskRecord]) -> int:
        """Ask each usable model for the tasks it has no prediction of at its version; store."""
        stored = 0
        for state in self._usable():
            stored += await self._predict_missing(state, records)
        return stored

    async def _predict_missing(self, state: ModelState, records: Sequence[TaskRecord]) -> int:
        store, pid = self.project.store, self.project.id
        ids = [r.id for r in records]
        done = await store.predicted_ids(pid, ids, state.name, state.model_version)
        todo = [r for r in records if r.id not in done]
        if not todo:
            return 0
        tasks = [{"id": r.id, "data": orjson.loads(r.data)} for r in todo]
        got = await self._ask(state, tasks)
        if got is None:
            return 0
        items = [(r.id, _body(state, p)) for r, p in zip(todo, got, strict=True) if p is not None]
        return await store.add_predictions(pid, items)

    async def ensure(self, record: TaskRecord) -> TaskRecord:
        """A task about to be handed out, with a current prediction from each model."""
        if not self._usable() or not await self.predict_records([record]):
            return record
        return (await self.project.store.get_tasks(self.project.id, [record.id]))[0]

    async def score_unscored(self) -> None:
        """Before ranking by score: predict a batch of the tasks no model has scored yet."""
        if not self._usable():
            return
        ids = await self.project.store.unscored_task_ids(self.project.id, self.settings.batch_size)
        if ids:
            await self.predict_records(await self.project.store.get_tasks(self.project.id, ids))

    async def start_predict_all(self, task_ids: Sequence[int] | None = None) -> Job:
        """Predict every task (or ``task_ids``) in the background, in batches."""
        if not self.models:
            raise BadInput("no model server is connected; connect one with ml_backends")
        what = "all tasks" if task_ids is None else f"{len(task_ids)} tasks"

        async def predict(job: Job) -> None:
            await self._predict_all(job, task_ids)

        work: Callable[[Job], Awaitable[None]] = predict
        if task_ids is None:  # with several processes on one store, one of them predicts
            lock = f"predict-all:{self.project.id}"
            work = one_process_at_a_time(self.project.store, lock, work)
        return await self.jobs.start("predict", f"predictions for {what}", work)

    async def _predict_all(self, job: Job, task_ids: Sequence[int] | None) -> None:
        project = self.project
        if task_ids is None:  # a restart resumes it; tasks already predicted are skipped
            await self._mark_pending(True)
        job.total = (
            len(task_ids)
            if task_ids is not None
            else (await project.store.get_project(project.id)).task_count
        )
        gate = asyncio.Semaphore(self.settings.concurrency)
        pending: set[asyncio.Task[None]] = set()
        async for batch in self._batches(task_ids):
            await gate.acquire()
            task = asyncio.create_task(self._predict_batch(batch, job, gate))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        if task_ids is None:
            await self._mark_pending(False)

    async def _mark_pending(self, pending: bool) -> None:
        """Keep in the store whether a predict-all run is unfinished."""
        settings = dict((await self.project.store.get_project(self.project.id)).settings)
        if bool(settings.get(PENDING_KEY)) == pending:
            return
        settings[PENDING_KEY] = pending
        self.project.row = await self.project.store.update_project(
            self.project.id, settings=settings
        )

    async def _predict_batch(
        self, batch: list[TaskRecord], job: Job, gate: asyncio.Semaphore
    ) -> None:
        try:
            await self.predict_records(batch)
        finally:
            job.done += len(batch)
            gate.release()

    async def _batches(self, task_ids: Sequence[int] | None) -> AsyncIterator[list[TaskRecord]]:
        store, pid, size = self.project.store, self.project.id, self.settings.batch_size
        if task_ids is not None:
            for start in range(0, len(task_ids), size):
                yield await store.get_tasks(pid, task_ids[start : start + size])
            return
        async for batch in store.iter_tasks(pid, only_labeled=False, batch_size=size):
            yield batch

    # --- training --------------------------------------------------------------------------

    async def train(self) -> dict[str, Any]:
        """Send every completed task to every usable model; their answers by name."""
        if not self.models:
            raise BadInput("no model server is connected; connect one with ml_backends")
        jobs: dict[str, Any] = {}
        for state in self._usable():
            try:
                jobs[state.name] = dict(await state.backend.train(self._completed))
            except Exception as exc:
                state.failed(str(exc) or type(exc).__name__)
                jobs[state.name] = {"error": state.error}
        self._since_training = 0
        return jobs

    async def _completed(self) -> AsyncIterator[Mapping[str, Any]]:
        async for batch in self.project.store.iter_tasks(self.project.id, only_labeled=True):
            for record in batch:
                yield record.as_dict()

    def completion_added(self) -> None:
        """Count a new completion; every ``ml.train_every`` of them, train in the background."""
        every = self.settings.train_every
        if not every or not self.models:
            return
        self._since_training += 1
        if self._since_training >= every:
            self._since_training = 0
            self.jobs.start_soon("train", "training after new completions", self._train_job)

    async def _train_job(self, job: Job) -> None:
        job.total = len(self.models)
        await self.train()
        job.done = job.total


def _body(state: ModelState, prediction: Prediction) -> dict[str, Any]:
    """A prediction as stored with the task."""
    return {
        "result": list(prediction.result),
        "score": prediction.score,
        # the server's version, which decides freshness; an item's own only when it has none
        "model_version": state.model_version or prediction.model_version,
        "created_by": state.name,
        "created_date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
