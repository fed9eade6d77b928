"""Model servers: connecting them, asking for predictions once per model version, training.

A model that is slow, down or answers nonsense never stalls labeling: every call has the
``ml.timeout``; a failing model is marked unhealthy and left alone for a back-off time,
and the task is handed out without its prediction.

A task is sent to ``/predict`` once per model version: the version in force is known
before the store is asked whether a task has a prediction (:mod:`model_state`), callers
that want the same task at the same time share one call (:mod:`claims`), and a call under
way when the server stops is finished and stored before the store closes. A call that
fails (an error, a timeout) stored nothing, and the task is asked for again after the
back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from lsplug.config import http_url_problem, parse_ml_backend
from lsplug.errors import BadInput, NotFound
from lsplug.hooks.addresses import AddressPolicy, AddressRefused
from lsplug.hooks.types import MLContext, Prediction
from lsplug.records import TaskRecord
from lsplug.service.claims import Claims, outcome
from lsplug.service.exclusive import one_process_at_a_time
from lsplug.service.jobs import Job, Jobs
from lsplug.service.model_state import ModelState
from lsplug.service.project import Project
from lsplug.service.roles import internal_addresses_ok

log = logging.getLogger(__name__)
PENDING_KEY = "_predict_all_pending"
VERSIONS_KEY = "_model_versions"  # per model: the version in force, kept across restarts


class Models:
    """The model servers of a project."""

    def __init__(self, project: Project, jobs: Jobs) -> None:
        self.project = project
        self.jobs = jobs
        self.models: dict[str, ModelState] = {}
        self.settings = project.config.ml
        self._since_training = 0
        self._setup_task: asyncio.Task[Any] | None = None
        self._claims = Claims()
        self._score_lock = asyncio.Lock()

    # --- connecting ------------------------------------------------------------------------

    async def open(self) -> None:
        """Register the configured models and set them up in the background (start-up
        never waits for a model server); one that does not answer stays, unhealthy, and
        one that cannot be made is logged and left out."""
        internal = await internal_addresses_ok(self.project.config, self.project.store)
        memory = self.project.row.settings.get(VERSIONS_KEY) or {}
        for spec in self.project.setting_list("ml_backends"):
            spec = spec if isinstance(spec, dict) else parse_ml_backend(str(spec))
            try:
                state = self._new_state(spec["url"], spec.get("name"), spec.get("kind"), internal)
            except BadInput as exc:
                log.error("the model server %s is not connected: %s", spec.get("name"), exc)
                continue
            if (
                isinstance(memory.get(state.name), dict)
                and memory[state.name].get("url") == state.url
            ):
                state.remembered = dict(memory[state.name])
            self.models[state.name] = state
        if self.models:
            self._setup_task = asyncio.create_task(self.refresh(), name="lsplug-models-setup")
        if self.models and self.project.row.settings.get(PENDING_KEY):
            log.info("resuming the predictions of all tasks that a restart interrupted")
            await self.start_predict_all()

    def _policy(self, url: str, internal_ok: bool) -> AddressPolicy | None:
        """The addresses a model's connections may reach: the config file's own model
        servers are the operator's (no policy); one set through the API gets the rule of
        URL imports, internal addresses allowed only on a server nobody signs in to."""
        if url in {entry.url for entry in self.project.config.ml_backends}:
            return None
        return AddressPolicy(tuple(self.project.config.allowed_hosts), internal_ok)

    def _context(self, addresses: AddressPolicy | None) -> MLContext:
        return MLContext(
            project_id=self.project.row.uuid,
            label_config=lambda: self.project.label_config.xml,
            timeout=self.settings.timeout,
            addresses=addresses,
        )

    async def add(self, url: str, name: str | None = None, kind: str = "http") -> ModelState:
        """Connect a model (replacing one of the same name); a URL that is refused or a
        model that does not answer is a 400 and changes nothing."""
        internal = await internal_addresses_ok(self.project.config, self.project.store)
        state = self._new_state(url, name, kind, internal)
        try:
            await self._check_address(state)
            await self._setup(state)
            if not state.connected:
                raise BadInput(
                    f"ml_backend: the model server at {url} does not answer: {state.error}"
                )
        except BadInput:
            await state.backend.close()
            raise
        if state.name in self.models:
            await self.models[state.name].backend.close()
        self.models[state.name] = state
        return state

    def _new_state(
        self, url: str, name: str | None, kind: str | None, internal_ok: bool
    ) -> ModelState:
        problem = http_url_problem(url) if isinstance(url, str) else "the URL is not a string"
        if problem:
            raise BadInput(f"ml_backend: {problem}")
        kind = kind or "http"
        found = self.project.plugins.ml_kinds.get(kind)
        if found is None:
            kinds = ", ".join(self.project.plugins.ml_kinds.names()) or "none"
            raise BadInput(f"ml_backend: no plugin offers the model kind {kind!r} (kinds: {kinds})")
        name = name or url
        policy = self._policy(url, internal_ok)
        backend = found.create(name, url, {}, self._context(policy))
        return ModelState(name, url, kind, backend, policy=policy)

    async def _check_address(self, state: ModelState) -> None:
        """A 400 naming ``ml_backend`` for a URL whose host the policy refuses."""
        if state.policy is None:
            return
        try:
            await state.policy.check_reachable(state.url, "ml_backend")
        except AddressRefused as exc:
            raise BadInput(str(exc)) from None

    async def _set_up(self, state: ModelState) -> bool:
        """Whether the model is set up for this project (set up now if not; callers at
        the same time wait for one setup)."""
        if not state.ready:
            async with state.setup_lock:
                if not state.ready:
                    await self._setup(state)
        return state.ready

    async def _setup(self, state: ModelState) -> None:
        try:
            health = await state.backend.setup()
        except Exception as exc:
            state.failed(str(exc) or type(exc).__name__)
            return
        state.set_up(health.model_version)
        await self._remember(state)

    async def _remember(self, state: ModelState) -> None:
        """Keep the version in force in the store, so that a restart starts from it."""
        if state.memory() == state.remembered:
            return
        state.remembered = state.memory()
        memory = dict(self.project.row.settings.get(VERSIONS_KEY) or {})
        memory.update({s.name: s.remembered for s in self.models.values() if s.remembered})
        memory[state.name] = state.remembered
        await self.project.change_settings({VERSIONS_KEY: memory})

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
        async with state.setup_lock:
            await self._setup(state)
        state.is_training = health.is_training

    def entries(self) -> list[dict[str, str]]:
        """The connected models as the ``ml_backends`` setting keeps them."""
        return [{"name": s.name, "url": s.url, "kind": s.kind} for s in self.models.values()]

    async def close(self) -> None:
        """Let the predict calls under way store their answers, then close every connection."""
        if self._setup_task is not None:
            self._setup_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._setup_task
        await self._claims.drain(self.settings.timeout)
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
        if not await self._set_up(state):  # servers predict only for a project set up
            return None
        try:
            predictions = await state.backend.predict(tasks)
        except Exception as exc:
            state.failed(str(exc) or type(exc).__name__)
            return None
        answered = getattr(state.backend, "model_version", None) or next(
            (p.model_version for p in predictions if p is not None and p.model_version), None
        )
        state.predicted(answered)
        await self._remember(state)
        return predictions

    async def predict_records(self, records: Sequence[TaskRecord]) -> int:
        """Ask each usable model for the tasks it has no prediction of at its version;
        store them. The number of tasks that got a prediction (here or by a call under way
        that this one waited for)."""
        stored = 0
        for state in self._usable():
            stored += await self._predict_missing(state, records)
        return stored

    async def _predict_missing(self, state: ModelState, records: Sequence[TaskRecord]) -> int:
        """Claim the tasks no call under way holds, predict those, and wait for the others'
        calls: a task is never sent twice at once, and never again once stored."""
        if not await self._set_up(state):  # the version in force is known before looking
            return 0
        wanted = {r.id: r for r in records}
        theirs = self._claims.taken(state.name, wanted)
        calls = list(set(theirs.values()))
        mine = [r for task_id, r in wanted.items() if task_id not in theirs]
        if mine:
            call = self._predict_claimed(state, mine)
            calls.append(self._claims.run(state.name, [r.id for r in mine], call))
        got = [await outcome(c) for c in calls]
        return sum(len(ids & wanted.keys()) for ids in got)

    async def _predict_claimed(self, state: ModelState, records: list[TaskRecord]) -> set[int]:
        """Predict and store the claimed tasks that have no prediction at the version in
        force; the ids stored."""
        store, pid, version = self.project.store, self.project.id, state.model_version
        done = await store.predicted_ids(pid, [r.id for r in records], state.name, version)
        todo = [r for r in records if r.id not in done and (version, r.id) not in state.declined]
        if not todo:
            return set()
        got = await self._ask(state, [{"id": r.id, "data": orjson.loads(r.data)} for r in todo])
        if got is None:
            return set()
        answers = list(zip(todo, got, strict=True))
        state.declined.update((state.model_version, r.id) for r, p in answers if p is None)
        items = [(r.id, _body(state, p)) for r, p in answers if p is not None]
        if items:
            await store.add_predictions(pid, items)
        return {task_id for task_id, _ in items}

    async def ensure(self, record: TaskRecord) -> TaskRecord:
        """A task about to be handed out, with a current prediction from each model."""
        if not self._usable() or not await self.predict_records([record]):
            return record
        return (await self.project.store.get_tasks(self.project.id, [record.id]))[0]

    async def score_unscored(self) -> None:
        """Before ranking by score: predict a batch of the tasks no model has scored yet
        (one batch at a time, across the processes sharing a store too)."""
        store, pid, size = self.project.store, self.project.id, self.settings.batch_size
        if not self._usable() or not await store.unscored_task_ids(pid, size):
            return
        async with self._score_lock, self._across_processes(f"lsplug-score:{pid}"):
            ids = await store.unscored_task_ids(pid, size)  # others may have scored them
            if ids:
                await self.predict_records(await store.get_tasks(pid, ids))

    def _across_processes(self, name: str) -> contextlib.AbstractAsyncContextManager[Any]:
        """The store's lock ``name`` shared by every process on it (none on SQLite)."""
        return self.project.store.exclusive(name, wait=True)

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
        stored = (await self.project.store.get_project(self.project.id)).settings
        if bool(stored.get(PENDING_KEY)) != pending:
            await self.project.change_settings({PENDING_KEY: True if pending else None})

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
