"""The store's interface, by role: what the core asks of its database.

Each role protocol declares one family of capabilities (projects, people, tasks, ...) with
every method a back-end must have; :class:`Store` is all of them, and both back-ends
(:mod:`lsplug.store.sqlite`, :mod:`lsplug.store.postgres`) implement the whole of it, so no
caller ever asks whether a store can do something. A part of the service that needs one
family may ask for that role only. Every method is async: the SQLite store runs its queries
in threads, never on the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from lsplug.config import Sampling
from lsplug.records import TaskRecord
from lsplug.store.rows import (
    ImportResult,
    JobRow,
    NewTask,
    OutboxEntry,
    OutboxStats,
    ProjectRow,
    TaskOrder,
    UserRow,
)


class StoreLifecycle(Protocol):
    """Opening and closing: the schema, threads and connections."""

    async def open(self) -> None:
        """Create or migrate the schema and start the store's threads."""

    async def close(self) -> None:
        """Finish pending writes and close every connection."""


class ProjectStore(Protocol):
    """Projects: their rows, settings and counters."""

    async def ensure_project(self, uuid: str, title: str, label_config: str | None) -> ProjectRow:
        """The project with ``uuid``, created with ``title`` and ``label_config`` if new."""

    async def get_project(self, project_id: int) -> ProjectRow:
        """The project's row, with its counters."""

    async def update_project(
        self, project_id: int, *, label_config: str | None = None,
        settings: dict[str, Any] | None = None, title: str | None = None,
    ) -> ProjectRow:  # fmt: skip
        """Change the label config, settings or title; returns the new row."""

    async def find_project(self, uuid: str) -> ProjectRow | None:
        """The project with ``uuid``, or None."""

    async def list_projects(self) -> list[ProjectRow]:
        """Every project, oldest first."""


class PeopleStore(Protocol):
    """People who sign in, their credentials (sessions, API tokens: digests), members."""

    async def add_user(self, name: str, password_hash: str) -> UserRow:
        """Add a person, or set the password of the one called ``name``."""

    async def find_user(self, name: str) -> UserRow | None:
        """The person called ``name``, or None."""

    async def count_users(self) -> int:
        """How many people can sign in."""

    async def add_credential(
        self, digest: str, kind: str, user_id: int, expires_at: int | None
    ) -> None:
        """Keep a session or token digest (``kind``: ``session`` or ``token``)."""

    async def credential_user(self, digest: str, kind: str, now: int) -> UserRow | None:
        """The person a credential of ``kind`` belongs to, unless unknown or expired."""

    async def delete_credential(self, digest: str) -> None:
        """Forget a credential (sign-out)."""

    async def set_member(self, project_id: int, user_id: int, role: str) -> None:
        """Make a person a member of a project (``owner`` or ``annotator``)."""

    async def member_role(self, project_id: int, user_id: int) -> str | None:
        """A person's role in a project, or None when not a member."""

    async def has_owner(self, project_id: int) -> bool:
        """Whether a project has a member with the role ``owner``."""

    async def first_user_id(self) -> int | None:
        """The id of the first person created (the lowest), or None."""


class TaskStore(Protocol):
    """Tasks: imports, pages, reads, rewrites and deletes."""

    async def import_tasks(
        self, project_id: int, tasks: Iterable[NewTask], source: str | None = None,
        enqueue: bool = False,
    ) -> ImportResult:  # fmt: skip
        """Add every task in one transaction (all or nothing); ``source`` records keys.

        ``tasks`` may raise while it is iterated (a pipelined import): then nothing is added.
        """

    async def import_flat(self, project_id: int, array: bytes, count: int) -> ImportResult:
        """Add ``count`` tasks whose data are the items of the JSON ``array`` (all checked)."""

    async def page_task_ids(
        self, project_id: int, order: TaskOrder, offset: int, limit: int
    ) -> list[int]:
        """Task ids of one page, by ``order``."""

    async def get_tasks(self, project_id: int, ids: Sequence[int]) -> list[TaskRecord]:
        """Those tasks with their completions and predictions, in the order of ``ids``."""

    async def replace_task(
        self, project_id: int, task_id: int, *, data: bytes | None = None,
        meta: bytes | None = None, completions: list[dict[str, Any]] | None = None,
        predictions: list[dict[str, Any]] | None = None, enqueue: bool = False,
    ) -> bool:  # fmt: skip
        """Rewrite the given parts of a task; False if it does not exist."""

    async def delete_task(self, project_id: int, task_id: int, enqueue: bool = False) -> bool:
        """Delete a task with its completions and predictions; False if unknown."""

    async def delete_all_tasks(self, project_id: int, enqueue: bool = False) -> int:
        """Delete every task; the number deleted. Ids are not reused.

        ``enqueue``: queue the labeled tasks so the sink removes their documents.
        """

    async def count_tasks_unlike(self, project_id: int, key: str, json_types: Sequence[str]) -> int:
        """How many tasks' ``data[key]`` is missing or of none of ``json_types`` (SQLite names:
        ``text``, ``integer``, ``real``, ``array``, ``object``...)."""


class CompletionStore(Protocol):
    """Completions: added, changed, deleted; which tasks have them and what they use."""

    async def add_completion(
        self, project_id: int, task_id: int, body: dict[str, Any], enqueue: bool
    ) -> dict[str, Any] | None:
        """Store a completion (the store gives it its id); None if the task is unknown."""

    async def update_completion(
        self, project_id: int, task_id: int, completion_id: int, patch: dict[str, Any],
        enqueue: bool,
    ) -> dict[str, Any] | None:  # fmt: skip
        """Merge ``patch`` into a completion; None if task or completion is unknown."""

    async def delete_completion(
        self, project_id: int, task_id: int, completion_id: int, enqueue: bool
    ) -> bool:
        """Delete one completion; False if unknown."""

    async def delete_task_completions(self, project_id: int, task_id: int, enqueue: bool) -> bool:
        """Delete every completion of a task; False if the task is unknown."""

    async def delete_all_completions(self, project_id: int, enqueue: bool) -> int:
        """Delete every completion of the project; the number deleted."""

    def labeled_task_ids(self, project_id: int) -> AsyncIterator[list[int]]:
        """Ids of the tasks that have completions, in id order, batch by batch."""

    async def result_usage(self, project_id: int) -> list[tuple[str, str | None, int]]:
        """``(from_name, label, completions)``: how many completions use each control and label.

        ``label`` is None for a control's use as such, else one of the labels or choices its
        results hold (a JSON list for a taxonomy path). A label config change reads it to
        refuse orphaning completions.
        """


class LabelingStore(Protocol):
    """The labeling stream: the next task for an annotator, under a lease."""

    async def next_task(
        self, project_id: int, owner: str, strategy: Sampling, lease_seconds: float
    ) -> int | None:
        """Lease the next unlabeled task to ``owner``; the same one while its lease runs."""

    async def lease_next_task(
        self, project_id: int, owner: str, strategy: Sampling, lease_seconds: float
    ) -> TaskRecord | None:
        """:meth:`next_task` and the task it leased, with its completions and predictions
        (one round trip where the store can: this is what every ``/next`` asks)."""

    async def release_lease(self, project_id: int, task_id: int, owner: str | None) -> bool:
        """End a lease early (``owner`` None: whoever holds it)."""


class PredictionStore(Protocol):
    """Predictions and the scores active-learning sampling orders tasks by."""

    async def add_predictions(
        self, project_id: int, items: Sequence[tuple[int, dict[str, Any]]]
    ) -> int:
        """Store predictions ``(task_id, body)``; a task's score becomes its newest one's."""

    async def predicted_ids(
        self, project_id: int, task_ids: Sequence[int], created_by: str, model_version: str | None
    ) -> set[int]:
        """Which of ``task_ids`` have a prediction of that model at that version."""

    async def unscored_task_ids(self, project_id: int, limit: int, after: int = -1) -> list[int]:
        """Unlabeled tasks without a scored prediction, in id order."""


class SourceStore(Protocol):
    """What was synced from each source: objects with their versions, items by key."""

    async def known_objects(self, project_id: int, source: str) -> dict[str, str]:
        """``{object key: version}`` of the objects already synced from ``source``."""

    async def mark_object(self, project_id: int, source: str, key: str, version: str) -> None:
        """Record that an object was synced at ``version``."""

    async def mark_objects(
        self, project_id: int, source: str, objects: Sequence[tuple[str, str]]
    ) -> None:
        """Record that objects ``(key, version)`` were synced, all in one transaction."""

    async def known_items(self, project_id: int, source: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` were imported from ``source`` already."""


class OutboxStore(Protocol):
    """The sink outbox: tasks whose documents a sink still has to receive."""

    async def enqueue_all(self, project_id: int) -> int:
        """Queue every labeled task for the sink (after a sink switch); the count."""

    async def outbox_due(self, project_id: int, limit: int) -> list[OutboxEntry]:
        """Entries whose next try is due."""

    async def outbox_done(self, project_id: int, entries: Sequence[OutboxEntry]) -> None:
        """Remove entries written, unless queued again since they were read (``seq`` changed).

        The writer reads the entries, then the tasks, writes, then calls this: a change
        committed after the tasks were read has a new ``seq``, so its entry stays.
        """

    async def outbox_failed(
        self, project_id: int, task_ids: Sequence[int], error: str, retry_in: float
    ) -> None:
        """Record a failed write and when to try again."""

    async def outbox_stats(self, project_id: int) -> OutboxStats:
        """The backlog and the last error."""


class JobStore(Protocol):
    """Background jobs, shared by every process on the store; ids are the store's."""

    async def add_job(
        self, project_id: int, kind: str, description: str, owner: str, now: float
    ) -> int:
        """Record a job ``owner`` starts running at ``now``; its id, unique in the store."""

    async def job_progress(
        self, project_id: int, job_id: int, total: int | None, done: int, error: str | None,
        now: float,
    ) -> None:  # fmt: skip
        """Write a running job's progress and heartbeat (cheap: need not be durable); a job
        no longer running is left as it is."""

    async def finish_job(
        self, project_id: int, job_id: int, total: int | None, done: int, status: str,
        error: str | None, now: float, keep: int,
    ) -> None:  # fmt: skip
        """Write a job's outcome (durable), then forget the project's finished jobs beyond
        the newest ``keep``."""

    async def fail_stale_jobs(self, project_id: int, before: float, error: str) -> int:
        """Mark failed the running jobs whose heartbeat is older than ``before`` (their
        process stopped); how many."""

    async def list_jobs(self, project_id: int, kind: str | None = None) -> list[JobRow]:
        """The project's jobs (of ``kind``, if given), newest first."""

    async def get_job(self, project_id: int, job_id: int) -> JobRow | None:
        """One job of the project, or None."""


class ExportStore(Protocol):
    """Every task of a project as a stream, for exports and model training."""

    def iter_tasks(
        self, project_id: int, only_labeled: bool, batch_size: int = 1000
    ) -> AsyncIterator[list[TaskRecord]]:
        """Every task in id order, batch by batch (a stream, never the whole table)."""

    def iter_task_json(
        self, project_id: int, only_labeled: bool, batch_size: int = 5000
    ) -> AsyncIterator[bytes]:
        """Like :meth:`iter_tasks`, each batch as its tasks' JSON (as the tasks API shows them)
        joined by commas: for exports that only splice tasks' JSON. The same JSON as the
        records :meth:`iter_tasks` gives; a back-end may write it itself (SQLite does)."""


class LockStore(Protocol):
    """Locks that hold across the server processes sharing the store."""

    def exclusive(self, name: str, wait: bool = False) -> AbstractAsyncContextManager[bool]:
        """Whether this process holds the lock ``name`` for the block (``wait``: until it can).

        A lock ends with the process holding it, so another process takes over its work. A
        store only one process may open (SQLite) needs none: the block just runs (True).
        """


class Store(
    StoreLifecycle,
    ProjectStore,
    PeopleStore,
    TaskStore,
    CompletionStore,
    LabelingStore,
    PredictionStore,
    SourceStore,
    OutboxStore,
    JobStore,
    ExportStore,
    LockStore,
    Protocol,
):
    """The project's state, every role at once: what a back-end implements."""
