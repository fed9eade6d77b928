-- lsplug store, SQLite schema version 1.
-- Every request-time query has an index; counters live on the project row so that no
-- request counts a table.
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    label_config TEXT,
    settings TEXT NOT NULL DEFAULT '{}',
    next_task_id INTEGER NOT NULL DEFAULT 0,
    task_count INTEGER NOT NULL DEFAULT 0,
    completion_count INTEGER NOT NULL DEFAULT 0,
    prediction_count INTEGER NOT NULL DEFAULT 0,
    labeled_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS tasks (
    rid INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    data TEXT NOT NULL,
    meta TEXT,
    completed_at INTEGER,
    is_labeled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tasks_by_id ON tasks (project_id, id);
CREATE INDEX IF NOT EXISTS tasks_by_completed ON tasks (project_id, completed_at, id);
CREATE INDEX IF NOT EXISTS tasks_todo ON tasks (project_id, id) WHERE is_labeled = 0;

-- AUTOINCREMENT: a deleted completion's id is never handed out again.
CREATE TABLE IF NOT EXISTS completions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    was_cancelled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS completions_by_task ON completions (project_id, task_id, id);

CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    score REAL,
    model_version TEXT
);
CREATE INDEX IF NOT EXISTS predictions_by_task ON predictions (project_id, task_id, id);

CREATE TABLE IF NOT EXISTS leases (
    project_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (project_id, task_id)
);
CREATE INDEX IF NOT EXISTS leases_by_owner ON leases (project_id, owner);

CREATE TABLE IF NOT EXISTS source_objects (
    project_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (project_id, source, key)
);

CREATE TABLE IF NOT EXISTS source_items (
    project_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    PRIMARY KEY (project_id, source, key)
);

-- Tasks whose document a sink still has to receive; a row per task, however many changes.
CREATE TABLE IF NOT EXISTS outbox (
    project_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    PRIMARY KEY (project_id, task_id)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (project_id, next_try);
