"""The rows the store takes and returns: projects, people, new tasks, outbox entries, jobs.

Plain dataclasses, shared by every back-end and by the service; the methods that take and
return them are in :mod:`lsplug.store.roles`.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any, Literal

TaskOrder = Literal["id", "-id", "completed_at", "-completed_at"]
TASK_ORDERS: tuple[str, ...] = typing.get_args(TaskOrder)
COUNTERS = ("task_count", "completion_count", "prediction_count", "labeled_count")
"""The project's counters, kept by the store as tasks and completions change."""


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
    a change came in since (see :meth:`~lsplug.store.roles.OutboxStore.outbox_done`).
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
