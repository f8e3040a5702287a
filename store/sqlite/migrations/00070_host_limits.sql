-- +goose Up
-- The host a task fetches from (host:port; '' for tasks that name none):
-- dispatch hands an account's tasks of one host to the queue only as many
-- at a time as the host may run, so tasks of a busy host wait here, not in
-- the queue.
ALTER TABLE tasks ADD COLUMN host TEXT NOT NULL DEFAULT '';
CREATE INDEX tasks_job_id_state_queued_host_id ON tasks (job_id, state, queued, host, id);
-- The next free request slot of each host (microseconds since the epoch),
-- shared by the nodes of one database so that a host's rate holds across
-- them.
CREATE TABLE host_slots (
    host    TEXT   PRIMARY KEY,
    next_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE host_slots;
DROP INDEX tasks_job_id_state_queued_host_id;
ALTER TABLE tasks DROP COLUMN host;
