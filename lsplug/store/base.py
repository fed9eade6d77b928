"""The store interface: everything the core asks of its database, and the rows it returns.

The service uses only this interface, so another database (PostgreSQL) can take the place
of SQLite without touching the views or the service. Every method is async: the SQLite
store runs its queries in threads, never on the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from lsplug.records import TaskRecord

TaskOrder = Literal["id", "-id", "completed_at", "-completed_at"]
TASK_ORDERS: tuple[str, ...] = ("id", "-id", "completed_at", "-completed_at")
Strategy = Literal["sequential", "uniform", "prediction-score-min", "prediction-score-max"]


@dataclass(frozen=True)
class ProjectRow:
    """A project as stored."""

    id: int
    uuid: str
    title: str
    label_config: str | None
    settings: dict[str, Any]
    task_count: int
    completion_count: int
    prediction_count: int
    labeled_count: int
    created_at: int


@dataclass(frozen=True)
class UserRow:
    """A person who signs in."""

    id: int
    name: str
    password_hash: str


@dataclass
class NewTask:
    """A task to import: its data as JSON bytes, and completions and predictions as dicts.

    The store gives the task, its completions and its predictions their ids.
    """

    data: bytes
    meta: bytes | None = None
    completions: list[dict[str, Any]] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    source_key: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """What an import added."""

    task_ids: list[int]
    completion_count: int
    prediction_count: int


@dataclass(frozen=True)
class OutboxEntry:
    """A task whose document a sink still has to receive.

    ``seq`` is the entry's change number: every change of the task queues it again with a
    new, higher one, so a writer that read the task after reading the entry knows whether
    a change came in since (see :meth:`Store.outbox_done`).
    """

    task_id: int
    attempts: int
    seq: int


@dataclass(frozen=True)
class OutboxStats:
    """How far behind the sink is."""

    backlog: int
    failing: int
    last_error: str | None


@dataclass(frozen=True)
class JobRow:
    """A background job as stored: what it does, how far it got, which process runs it."""

    id: int
    kind: str
    description: str
    total: int | None
    done: int
    status: str  # running, done, failed
    error: str | None
    started_at: float
    finished_at: float | None
    owner: str  # the process running it (host:pid:random)
    heartbeat_at: float  # when that process last wrote it


class Store(Protocol):
    """The project's state: tasks, completions, predictions, leases, sources, outbox."""

    async def open(self) -> None:
        """Create or migrate the schema and start the store's threads."""

    async def close(self) -> None:
        """Finish pending writes and close every connection."""

    # projects
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

    # people (sign-in); a credential is a session or an API token, kept as its digest
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

    # tasks
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

    def iter_tasks(
        self, project_id: int, only_labeled: bool, batch_size: int = 1000
    ) -> AsyncIterator[list[TaskRecord]]:
        """Every task in id order, batch by batch (a stream, never the whole table)."""

    # completions
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

    async def count_tasks_unlike(self, project_id: int, key: str, json_types: Sequence[str]) -> int:
        """How many tasks' ``data[key]`` is missing or of none of ``json_types`` (SQLite names:
        ``text``, ``integer``, ``real``, ``array``, ``object``...)."""

    # labeling stream
    async def next_task(
        self, project_id: int, owner: str, strategy: Strategy, lease_seconds: float
    ) -> int | None:
        """Lease the next unlabeled task to ``owner``; the same one while its lease runs."""

    async def lease_next_task(
        self, project_id: int, owner: str, strategy: Strategy, lease_seconds: float
    ) -> TaskRecord | None:
        """:meth:`next_task` and the task it leased, with its completions and predictions
        (one round trip where the store can: this is what every ``/next`` asks)."""

    async def release_lease(self, project_id: int, task_id: int, owner: str | None) -> bool:
        """End a lease early (``owner`` None: whoever holds it)."""

    # predictions
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

    # sources
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

    # sink outbox
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

    # background jobs, shared by every process on the store; ids are the store's
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
