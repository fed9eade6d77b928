"""Schema migrations of the SQLite store: numbered steps, each applied once, in order.

Version 1 is the whole schema of ``schema.sql`` beside it; every later step changes it. The
version reached is kept in ``meta.schema_version``; a database newer than the code refuses
to open (see :class:`lsplug.store.errors.SchemaTooNew`).
"""

from __future__ import annotations

import sqlite3
from importlib import resources


def _schema_v1() -> str:
    return resources.files("lsplug.store.sqlite").joinpath("schema.sql").read_text()


# Version 2: predictions say who made them; a task keeps the score of its newest prediction,
# indexed among unlabeled tasks, so active-learning sampling is one index seek.
_V2 = """
ALTER TABLE predictions ADD COLUMN created_by TEXT;
ALTER TABLE tasks ADD COLUMN score REAL;
CREATE INDEX IF NOT EXISTS predictions_by_model
    ON predictions (project_id, created_by, model_version, task_id);
CREATE INDEX IF NOT EXISTS tasks_scored
    ON tasks (project_id, score, id) WHERE is_labeled = 0 AND score IS NOT NULL;
CREATE INDEX IF NOT EXISTS tasks_unscored
    ON tasks (project_id, id) WHERE is_labeled = 0 AND score IS NULL;
"""

# Version 3: people, their sign-in secrets (session and API token digests) and the projects
# they belong to; who made a completion is kept in its body (``completed_by``).
_V3 = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    digest TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS credentials_by_user ON credentials (user_id, kind);
CREATE TABLE IF NOT EXISTS members (
    project_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
"""

# Version 4: background jobs, so that every process shows every job with its progress; the
# process running one writes a heartbeat, and a running job whose heartbeat is old is dead.
_V4 = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    total INTEGER,
    done INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    error TEXT,
    started_at REAL NOT NULL,
    finished_at REAL,
    owner TEXT NOT NULL,
    heartbeat_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_of_project ON jobs (project_id, id);
"""

# Version 5: each outbox entry has a change number, ``seq``, new for every change (the rowid,
# AUTOINCREMENT: never handed out twice); the sink worker drops an entry only if its ``seq``
# is the one it read before reading the task, so a change that commits while a document is
# being written is written after it. (Before, a time stamp taken before the commit let such
# an entry be dropped.)
_V5 = """
CREATE TABLE outbox_v5 (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0,
    last_error TEXT
);
INSERT INTO outbox_v5 (project_id, task_id, queued_at, attempts, next_try, last_error)
    SELECT project_id, task_id, queued_at, attempts, next_try, last_error FROM outbox
    ORDER BY queued_at;
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
CREATE UNIQUE INDEX outbox_by_task ON outbox (project_id, task_id);
CREATE INDEX outbox_due ON outbox (project_id, next_try);
"""

STEPS: list[str | None] = [None, None, _V2, _V3, _V4, _V5]  # index = the version a step reaches
LATEST = len(STEPS) - 1


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a database at ``version`` to :data:`LATEST`, one transaction per step."""
    for target in range(version + 1, LATEST + 1):
        script = _schema_v1() if target == 1 else STEPS[target]
        assert script is not None
        conn.executescript(
            "BEGIN;"
            + script
            + f"INSERT OR REPLACE INTO meta VALUES ('schema_version', '{target}');"
            "COMMIT;"
        )
