-- +goose Up
-- Screenshots of rendered pages, served by signed expiring links
-- (/screenshots/<token>.png|jpeg). Rows older than the link lifetime are
-- pruned: no link to them can still be valid.
CREATE TABLE screenshots (
    id           INTEGER PRIMARY KEY,
    content_type TEXT    NOT NULL,
    data         BLOB   NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX screenshots_created_at ON screenshots (created_at);

-- +goose Down
DROP TABLE screenshots;
