-- +goose Up
-- Tasks are handed to the queue a few at a time per account (dispatched), so
-- that one account's large job cannot fill the queue ahead of everyone else.
ALTER TABLE tasks ADD COLUMN account_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN queued BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE tasks SET account_id = jobs.account_id, queued = tasks.state IN ('pending', 'running')
    FROM jobs WHERE jobs.id = tasks.job_id;
CREATE INDEX tasks_account_id_queued_state ON tasks (account_id, queued, state);
CREATE INDEX tasks_account_id_state_queued_job_id ON tasks (account_id, state, queued, job_id);
-- The job an account's tasks were last dispatched from: dispatching goes
-- round the account's jobs.
ALTER TABLE accounts ADD COLUMN dispatch_cursor BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE accounts DROP COLUMN dispatch_cursor;
DROP INDEX tasks_account_id_state_queued_job_id;
DROP INDEX tasks_account_id_queued_state;
ALTER TABLE tasks DROP COLUMN queued;
ALTER TABLE tasks DROP COLUMN account_id;
