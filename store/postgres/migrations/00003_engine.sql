-- +goose Up
-- The webhook outbox's bookkeeping of each job moves out of the job record.
CREATE TABLE outboxes (
    job_id           BIGINT  PRIMARY KEY REFERENCES jobs (id),
    rows_evented_seq BIGINT  NOT NULL DEFAULT 0,
    flush_scheduled  BOOLEAN NOT NULL DEFAULT FALSE,
    finish_written   BOOLEAN NOT NULL DEFAULT FALSE,
    gone_at          BIGINT,
    waiting          BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO outboxes (job_id, rows_evented_seq, flush_scheduled, finish_written, gone_at)
    SELECT id, rows_evented_seq, flush_scheduled, finish_notified, webhook_gone_at FROM jobs;
ALTER TABLE jobs DROP COLUMN rows_evented_seq, DROP COLUMN flush_scheduled, DROP COLUMN finish_notified,
    DROP COLUMN webhook_gone_at;

-- Events carry their account and an increasing number, so an account's
-- events can be read in order from any point.
ALTER TABLE events ADD COLUMN account_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN seq BIGSERIAL;
UPDATE events SET account_id = jobs.account_id FROM jobs WHERE jobs.id = events.job_id;
CREATE INDEX events_account_id_seq ON events (account_id, seq);
-- What the ordering of a job's events asks: is an event of this type still
-- open, which is the first waiting one. A job's events are listed by seq.
DROP INDEX events_job_id_state;
DROP INDEX events_job_id_created_at;
CREATE INDEX events_job_id_state_seq ON events (job_id, state, seq);
CREATE INDEX events_job_id_type_state ON events (job_id, event_type, state);

-- Every secret that still signs after a rotation, with when it stops.
ALTER TABLE accounts ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';
UPDATE accounts SET previous_secrets = json_build_array(json_build_object('secret', previous_webhook_secret,
    'expiresAt', previous_secret_expires_at))::text
    WHERE previous_webhook_secret <> '' AND previous_secret_expires_at IS NOT NULL;
ALTER TABLE accounts DROP COLUMN previous_webhook_secret, DROP COLUMN previous_secret_expires_at;

-- The nodes that run work, each renewing its record every few seconds.
CREATE TABLE nodes (
    id         TEXT   PRIMARY KEY,
    role       TEXT   NOT NULL,
    host       TEXT   NOT NULL,
    started_at BIGINT NOT NULL,
    renewed_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE nodes;
ALTER TABLE accounts ADD COLUMN previous_webhook_secret TEXT NOT NULL DEFAULT '',
    ADD COLUMN previous_secret_expires_at BIGINT;
ALTER TABLE accounts DROP COLUMN previous_secrets;
DROP INDEX events_job_id_type_state;
DROP INDEX events_job_id_state_seq;
CREATE INDEX events_job_id_state ON events (job_id, state);
CREATE INDEX events_job_id_created_at ON events (job_id, created_at);
DROP INDEX events_account_id_seq;
ALTER TABLE events DROP COLUMN seq, DROP COLUMN account_id;
ALTER TABLE jobs ADD COLUMN rows_evented_seq BIGINT NOT NULL DEFAULT 0, ADD COLUMN flush_scheduled BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN finish_notified BOOLEAN NOT NULL DEFAULT FALSE, ADD COLUMN webhook_gone_at BIGINT;
UPDATE jobs SET rows_evented_seq = o.rows_evented_seq, flush_scheduled = o.flush_scheduled,
    finish_notified = o.finish_written, webhook_gone_at = o.gone_at FROM outboxes o WHERE o.job_id = jobs.id;
DROP TABLE outboxes;
