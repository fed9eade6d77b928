"""How the SQLite store chooses the next task for ``/next`` and leases it.

A lease is a row of ``leases`` (task, owner, expiry) written by the writer thread, so two
annotators are never handed the same task while a lease runs. The free task is found by
index seeks whatever the project's size: the first by id (``sequential``), one at a random
place of the id range (``uniform``), or the lowest or highest score of the newest prediction
(``prediction-score-min``/``-max``, the partial index ``tasks_scored``).
"""

from __future__ import annotations

import random
import sqlite3
import time

from lsplug.config import Sampling


def lease_next(
    conn: sqlite3.Connection, project_id: int, owner: str, strategy: Sampling, seconds: float
) -> int | None:
    """The task ``owner`` holds a running lease on, else the next free one by ``strategy``,
    leased to ``owner`` for ``seconds`` (a lease is a row of ``leases``)."""
    now = time.time()
    held = conn.execute(
        "SELECT task_id FROM leases WHERE project_id=? AND owner=? AND expires_at>? "
        "ORDER BY task_id LIMIT 1",
        (project_id, owner, now),
    ).fetchone()
    task_id = held[0] if held else _pick(conn, project_id, owner, strategy, now)
    if task_id is not None:
        conn.execute(
            "INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?)",
            (project_id, task_id, owner, now + seconds),
        )
    return task_id


FREE = (
    "t.project_id=? AND t.is_labeled=0 AND NOT EXISTS (SELECT 1 FROM leases l "
    "WHERE l.project_id=t.project_id AND l.task_id=t.id AND l.expires_at>?)"
)


def _pick(
    conn: sqlite3.Connection, project_id: int, owner: str, strategy: Sampling, now: float
) -> int | None:
    """The first free unlabeled task by ``strategy`` (no lease of anyone else running)."""
    if strategy.startswith("prediction-score"):
        found = _pick_by_score(conn, project_id, now, strategy.endswith("max"))
        if found is not None:
            return found
    if strategy == "uniform":
        return _pick_uniform(conn, project_id, now)
    row = conn.execute(
        f"SELECT t.id FROM tasks t WHERE {FREE} ORDER BY t.id LIMIT 1", (project_id, now)
    ).fetchone()
    return row[0] if row else None


def _pick_uniform(conn: sqlite3.Connection, project_id: int, now: float) -> int | None:
    """A free task at a random place of the id range (two index seeks, no scan)."""
    low, high = conn.execute(
        "SELECT min(id), max(id) FROM tasks WHERE project_id=? AND is_labeled=0", (project_id,)
    ).fetchone()
    if low is None:
        return None
    start = random.randint(low, high)
    for cond in ("t.id>=?", "t.id<?"):
        row = conn.execute(
            f"SELECT t.id FROM tasks t WHERE {FREE} AND {cond} ORDER BY t.id LIMIT 1",
            (project_id, now, start),
        ).fetchone()
        if row:
            return int(row[0])
    return None


def _pick_by_score(
    conn: sqlite3.Connection, project_id: int, now: float, highest: bool
) -> int | None:
    order = "DESC" if highest else "ASC"
    row = conn.execute(  # the partial index tasks_scored: one seek, however many tasks
        f"SELECT t.id FROM tasks t WHERE {FREE} AND t.score IS NOT NULL "
        f"ORDER BY t.score {order}, t.id {order} LIMIT 1",
        (project_id, now),
    ).fetchone()
    return row[0] if row else None
