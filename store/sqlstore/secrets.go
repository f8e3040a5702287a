package sqlstore

import (
	"context"
	"fmt"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/secret"
	"github.com/trawlhq/trawl/store"
)

// UseSecrets makes the store seal, with box, every secret it writes: the
// accounts' webhook signing secrets (current and previous), the jobs'
// webhook column (which holds the header values) and every setting; reads
// open them again. Call it before the store is used; without it values are
// stored as they are (tests that do not care). Values stored before a box
// was used stay readable and are sealed by Reseal.
func (db *DB) UseSecrets(box *secret.Box) { db.box.Store(box) }

func (db *DB) seal(plain string) string {
	if b := db.box.Load(); b != nil {
		return b.Seal(plain)
	}
	return plain
}

func (db *DB) open(value string) (string, error) {
	if b := db.box.Load(); b != nil {
		return b.Open(value)
	}
	if secret.Sealed(value) {
		return "", fmt.Errorf("open secret: the value is sealed and no secret key is configured")
	}
	return value, nil
}

// Reseal seals again, under box's current key, every stored secret that is
// not already sealed with it (values stored in the clear before encryption
// existed, or under the key being rotated out), and masks the webhook header
// values still left in old jobs' input. It runs in one transaction, so it
// happens completely or not at all, and it is safe to run again: values
// already sealed with the current key are left alone. It reports how many
// values it changed. The store keeps using its own box afterwards: after a
// rotation, restart with the new key.
func (db *DB) Reseal(ctx context.Context, box *secret.Box) (int, error) {
	n := 0
	err := db.InTx(ctx, func(stx store.Tx) error {
		tx := stx.(*Tx)
		var err error
		n, err = tx.reseal(box)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reseal secrets: %w", err)
	}
	return n, nil
}

// resealRow is one stored value and where it lives.
type resealRow struct {
	id    any
	value string
	extra string // jobs: the input
}

func (tx *Tx) reseal(box *secret.Box) (int, error) {
	n := 0
	notCurrent := func(col string) string {
		// Skip in SQL what is already sealed with the current key: at each
		// start only values stored in the clear are read.
		return col + ` NOT LIKE '` + "tsec1:" + box.KeyID() + `:%'`
	}
	read := func(query string, withExtra bool) ([]resealRow, error) {
		rows, err := tx.tx.Query(query)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []resealRow
		for rows.Next() {
			var r resealRow
			dest := []any{&r.id, &r.value}
			if withExtra {
				dest = append(dest, &r.extra)
			}
			if err := rows.Scan(dest...); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	update := func(query string, rows []resealRow, args func(r resealRow, sealed string) []any) error {
		for _, r := range rows {
			sealed, err := box.Reseal(r.value)
			if err != nil {
				return fmt.Errorf("%v: %w", r.id, err)
			}
			if _, err := tx.tx.Exec(tx.q(query), args(r, sealed)...); err != nil {
				return err
			}
			n++
		}
		return nil
	}

	accounts, err := read(`SELECT id, webhook_secret FROM accounts WHERE `+notCurrent("webhook_secret"), false)
	if err != nil {
		return 0, fmt.Errorf("read accounts: %w", err)
	}
	if err := update(`UPDATE accounts SET webhook_secret = ? WHERE id = ?`, accounts,
		func(r resealRow, s string) []any { return []any{s, r.id} }); err != nil {
		return 0, fmt.Errorf("account: %w", err)
	}
	previous, err := read(`SELECT id, previous_secrets FROM accounts WHERE `+notCurrent("previous_secrets"), false)
	if err != nil {
		return 0, fmt.Errorf("read accounts: %w", err)
	}
	if err := update(`UPDATE accounts SET previous_secrets = ? WHERE id = ?`, previous,
		func(r resealRow, s string) []any { return []any{s, r.id} }); err != nil {
		return 0, fmt.Errorf("account: %w", err)
	}
	settings, err := read(`SELECT name, value FROM settings WHERE `+notCurrent("value"), false)
	if err != nil {
		return 0, fmt.Errorf("read settings: %w", err)
	}
	if err := update(`UPDATE settings SET value = ? WHERE name = ?`, settings,
		func(r resealRow, s string) []any { return []any{s, r.id} }); err != nil {
		return 0, fmt.Errorf("setting: %w", err)
	}
	jobs, err := read(`SELECT id, webhook, input FROM jobs WHERE webhook IS NOT NULL AND `+notCurrent("webhook"), true)
	if err != nil {
		return 0, fmt.Errorf("read jobs: %w", err)
	}
	if err := update(`UPDATE jobs SET webhook = ?, input = ? WHERE id = ?`, jobs,
		func(r resealRow, s string) []any {
			return []any{s, string(trawl.MaskWebhookHeaders([]byte(r.extra))), r.id}
		}); err != nil {
		return 0, fmt.Errorf("job: %w", err)
	}
	return n, nil
}
