-- +goose Up
CREATE TABLE accounts (
    id                         INTEGER PRIMARY KEY,
    name                       TEXT    NOT NULL,
    webhook_secret             TEXT    NOT NULL,
    previous_webhook_secret    TEXT    NOT NULL DEFAULT '',
    previous_secret_expires_at INTEGER,
    created_at                 INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    key_hash     TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts (id),
    scraper          TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    stop_reason      TEXT,
    input            TEXT    NOT NULL,
    params           TEXT    NOT NULL,
    webhook          TEXT,
    row_limit        INTEGER NOT NULL DEFAULT 0,
    credits_spent    INTEGER NOT NULL DEFAULT 0,
    data_rows_count  INTEGER NOT NULL DEFAULT 0,
    task_count       INTEGER NOT NULL DEFAULT 0,
    rows_evented_seq INTEGER NOT NULL DEFAULT 0,
    flush_scheduled  BOOLEAN NOT NULL DEFAULT FALSE,
    finish_notified  BOOLEAN NOT NULL DEFAULT FALSE,
    webhook_gone_at  INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
);
CREATE INDEX jobs_account_id_id ON jobs (account_id, id);
CREATE INDEX jobs_account_id_status_id ON jobs (account_id, status, id);

CREATE TABLE tasks (
    id         INTEGER PRIMARY KEY,
    job_id     INTEGER NOT NULL REFERENCES jobs (id),
    task_key   TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (job_id, task_key)
);
CREATE INDEX tasks_job_id_state ON tasks (job_id, state);

CREATE TABLE results (
    id         TEXT    PRIMARY KEY,
    job_id     INTEGER NOT NULL REFERENCES jobs (id),
    seq        INTEGER NOT NULL,
    data       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (job_id, seq)
);

CREATE TABLE events (
    id         TEXT    PRIMARY KEY,
    job_id     INTEGER NOT NULL REFERENCES jobs (id),
    event_type   TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX events_job_id_created_at ON events (job_id, created_at);
CREATE INDEX events_job_id_state ON events (job_id, state);

CREATE TABLE delivery_attempts (
    id               INTEGER PRIMARY KEY,
    event_id         TEXT    NOT NULL REFERENCES events (id),
    job_id           INTEGER NOT NULL REFERENCES jobs (id),
    attempt          INTEGER NOT NULL,
    status_code      INTEGER NOT NULL,
    error_class      TEXT    NOT NULL,
    error            TEXT    NOT NULL,
    duration_us      INTEGER NOT NULL,
    response_excerpt TEXT    NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_job_id ON delivery_attempts (job_id, id);
CREATE INDEX delivery_attempts_event_id ON delivery_attempts (event_id, id);

-- +goose Down
DROP TABLE delivery_attempts;
DROP TABLE events;
DROP TABLE results;
DROP TABLE tasks;
DROP TABLE jobs;
DROP TABLE api_keys;
DROP TABLE accounts;
