-- +goose Up
-- What each account spent on synchronous calls (POST /scrape/web), and the
-- credit quota an operator set for it (NULL: no quota). Jobs keep their own
-- credits_spent; an account's usage is both added up.
CREATE TABLE account_usage (
    account_id   BIGINT PRIMARY KEY REFERENCES accounts (id),
    sync_credits BIGINT  NOT NULL DEFAULT 0,
    sync_calls   BIGINT  NOT NULL DEFAULT 0,
    credit_quota BIGINT
);

-- +goose Down
DROP TABLE account_usage;
