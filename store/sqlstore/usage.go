package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/trawlhq/trawl"
)

// AddSyncUsage counts one synchronous call of accountID that spent credits.
func (db *DB) AddSyncUsage(ctx context.Context, accountID, credits int64) error {
	_, err := db.write.ExecContext(ctx, db.q(`INSERT INTO account_usage (account_id, sync_credits, sync_calls) VALUES (?, ?, 1)
		ON CONFLICT (account_id) DO UPDATE SET sync_credits = account_usage.sync_credits + excluded.sync_credits,
		sync_calls = account_usage.sync_calls + 1`), accountID, credits)
	if err != nil {
		return fmt.Errorf("add usage of account %d: %w", accountID, err)
	}
	return nil
}

// Usage returns what accountID has spent and its quota.
func (db *DB) Usage(ctx context.Context, accountID int64) (*trawl.Usage, error) {
	u := &trawl.Usage{AccountID: accountID}
	var quota sql.NullInt64
	err := db.read.QueryRowContext(ctx, db.q(`SELECT sync_credits, sync_calls, credit_quota FROM account_usage WHERE account_id = ?`),
		accountID).Scan(&u.SyncCredits, &u.SyncCalls, &quota)
	if err != nil && err != sql.ErrNoRows {
		return nil, fmt.Errorf("read usage of account %d: %w", accountID, err)
	}
	if quota.Valid {
		u.Quota = &quota.Int64
	}
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT CAST(COALESCE(SUM(credits_spent), 0) AS BIGINT) FROM jobs WHERE account_id = ?`),
		accountID).Scan(&u.JobCredits); err != nil {
		return nil, fmt.Errorf("read job credits of account %d: %w", accountID, err)
	}
	return u, nil
}

// QuotaExhausted reports whether accountID has reached its credit quota. It
// runs before every job is created, so an account without a quota (most)
// costs one read of one row; only one with a quota has its jobs' credits
// added up.
func (db *DB) QuotaExhausted(ctx context.Context, accountID int64) (bool, error) {
	var quota sql.NullInt64
	var sync int64
	err := db.read.QueryRowContext(ctx, db.q(`SELECT sync_credits, credit_quota FROM account_usage WHERE account_id = ?`),
		accountID).Scan(&sync, &quota)
	if err == sql.ErrNoRows || (err == nil && !quota.Valid) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read quota of account %d: %w", accountID, err)
	}
	u, err := db.Usage(ctx, accountID)
	if err != nil {
		return false, err
	}
	return u.Exhausted(), nil
}

// SetCreditQuota sets accountID's credit quota; nil removes it. An unknown
// account is ENOTFOUND.
func (db *DB) SetCreditQuota(ctx context.Context, accountID int64, quota *int64) error {
	var exists int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM accounts WHERE id = ?`), accountID).Scan(&exists); err != nil {
		return fmt.Errorf("look up account %d: %w", accountID, err)
	}
	if exists == 0 {
		return trawl.Errorf(trawl.ENOTFOUND, "Account %d not found.", accountID)
	}
	var q sql.NullInt64
	if quota != nil {
		q = sql.NullInt64{Int64: *quota, Valid: true}
	}
	_, err := db.write.ExecContext(ctx, db.q(`INSERT INTO account_usage (account_id, credit_quota) VALUES (?, ?)
		ON CONFLICT (account_id) DO UPDATE SET credit_quota = excluded.credit_quota`), accountID, q)
	if err != nil {
		return fmt.Errorf("set quota of account %d: %w", accountID, err)
	}
	return nil
}
