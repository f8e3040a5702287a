-- +goose Up
-- The change feed (GET /events) reads an account's jobs by their last change
-- and the delivery attempts and events made since a moment.
CREATE INDEX jobs_account_id_updated_at ON jobs (account_id, updated_at);
CREATE INDEX delivery_attempts_created_at ON delivery_attempts (created_at);
CREATE INDEX events_account_id_created_at ON events (account_id, created_at);

-- +goose Down
DROP INDEX events_account_id_created_at;
DROP INDEX delivery_attempts_created_at;
DROP INDEX jobs_account_id_updated_at;
