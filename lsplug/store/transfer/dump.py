"""What travels when a store moves: a project's rows and a store's people, in batches.

A :class:`ProjectDump` is a project's row, its counters and a batch reader per table; a
:class:`PeopleDump` is every user of a store and their API tokens. Readers
(:mod:`lsplug.store.transfer.sqlite`, :mod:`lsplug.store.transfer.postgres`,
:func:`lsplug.store.transfer.ls08.read_ls08`) make them; the writers of the same modules load them.
A batch reader is called once and yields lists of at most :data:`BATCH` rows, so no table is
ever held in memory whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

BATCH = 10_000
COLUMNS = {
    "tasks": ("id", "data", "meta", "completed_at", "is_labeled", "score", "created_at"),
    "completions": ("id", "task_id", "body", "created_at", "was_cancelled"),
    "predictions": ("id", "task_id", "body", "score", "model_version", "created_by"),
    "source_objects": ("source", "key", "version"),
    "source_items": ("source", "key", "task_id"),
    "outbox": ("task_id", "queued_at", "attempts", "next_try", "last_error"),
}
PROJECT = ("uuid", "title", "label_config", "settings", "next_task_id", "created_at")
USER = ("id", "name", "password_hash", "created_at")
TOKEN = ("digest", "kind", "user_id", "expires_at")  # credentials of kind 'token' only
MEMBER = ("user_id", "role")
COUNTED = ("tasks", "completions", "predictions")  # the tables the progress bar counts

Rows = list[tuple[Any, ...]]
Batches = Callable[[], AsyncIterator[Rows]]
Progress = Callable[[int], object]  # told how many rows were just written


class TransferError(RuntimeError):
    """The project cannot be moved (already in the target, a missing file...)."""


async def no_rows() -> AsyncIterator[Rows]:
    """A table without rows."""
    return
    yield []


async def in_memory(rows: Rows) -> AsyncIterator[Rows]:
    """Rows already read (a Label Studio 0.8 folder), as one batch."""
    if rows:
        yield rows


@dataclass
class ProjectDump:
    """One project: its row, its counters, a batch reader per table, and its members."""

    project: dict[str, Any]
    counts: dict[str, int]
    tables: dict[str, Batches] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)  # highest id ever given, per table
    members: Batches = no_rows  # (user_id, role) rows, user ids of the source

    def summary(self) -> str:
        """``N tasks, N completions, N predictions``."""
        c = self.counts
        return (
            f"{c['task_count']} tasks, {c['completion_count']} completions, "
            f"{c['prediction_count']} predictions"
        )


@dataclass
class PeopleDump:
    """Every user of a store (:data:`USER` rows) and their API tokens (:data:`TOKEN` rows).

    Sessions stay behind: their cookies are signed with the source install's key, which the
    target's server does not have, so people sign in again.
    """

    users: Batches = no_rows
    tokens: Batches = no_rows


@dataclass
class Loaded:
    """What a writer did: people added, people merged by name, tokens kept, projects."""

    users_added: int = 0
    merged: list[str] = field(default_factory=list)  # the first names, for the report
    merged_count: int = 0
    tokens: int = 0
    project_ids: list[int] = field(default_factory=list)
