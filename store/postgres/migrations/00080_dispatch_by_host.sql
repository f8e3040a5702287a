-- +goose Up
-- Dispatch finds the hosts an account has tasks waiting for, and the first
-- job waiting on each, in this index, so that jobs stuck behind a full host
-- cost nothing to pass over. It also counts the tasks in flight, and
-- (job_id, state, queued, host, id) serves what (job_id, state) did: both
-- older indexes go, so that inserting a task updates no more indexes than
-- before.
CREATE INDEX tasks_account_id_state_queued_host_job_id ON tasks (account_id, state, queued, host, job_id);
DROP INDEX tasks_account_id_queued_state;
DROP INDEX tasks_job_id_state;

-- +goose Down
CREATE INDEX tasks_job_id_state ON tasks (job_id, state);
CREATE INDEX tasks_account_id_queued_state ON tasks (account_id, queued, state);
DROP INDEX tasks_account_id_state_queued_host_job_id;
