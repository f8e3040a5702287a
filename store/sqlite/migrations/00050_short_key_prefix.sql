-- +goose Up
-- Keep only a short start of each key for listings: "trawl_" and 4
-- characters of keys trawl made, 4 characters of others, and a quarter of a
-- key short enough to have been stored whole.
UPDATE api_keys SET prefix = CASE
    WHEN substr(prefix, 1, 6) = 'trawl_' AND length(prefix) >= 12 THEN substr(prefix, 1, 10)
    WHEN substr(prefix, 1, 6) = 'trawl_' THEN substr(prefix, 1, 6 + (length(prefix) - 6) / 4)
    WHEN length(prefix) >= 12 THEN substr(prefix, 1, 4)
    ELSE substr(prefix, 1, length(prefix) / 4)
END;

-- +goose Down
SELECT 1;
