package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/trawlhq/trawl"
)

// quotaCmd sets and shows accounts' credit quotas. A job or /scrape/web call
// of an account that has used its quota is refused with 403.
type quotaCmd struct {
	dbFlags
	Account int64  `arg:"" help:"The account's id (trawl keys list shows it)."`
	Credits string `arg:"" optional:"" help:"The quota in credits; \"none\" removes it; omitted: show the account's usage."`
}

// quotaStore is what quotaCmd needs of the database; both SQL backends
// have it.
type quotaStore interface {
	Usage(ctx context.Context, accountID int64) (*trawl.Usage, error)
	SetCreditQuota(ctx context.Context, accountID int64, quota *int64) error
}

func (c *quotaCmd) Run(e *env) error {
	db, err := openDB(e.ctx, c.dbFlags, e.log)
	if err != nil {
		return err
	}
	defer db.Close()
	qs, ok := db.(quotaStore)
	if !ok {
		return errors.New("this database keeps no usage")
	}
	switch c.Credits {
	case "":
	case "none":
		if err := qs.SetCreditQuota(e.ctx, c.Account, nil); err != nil {
			return err
		}
	default:
		n, err := strconv.ParseInt(c.Credits, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("credits must be a whole number of at least 0 or \"none\", not %q", c.Credits)
		}
		if err := qs.SetCreditQuota(e.ctx, c.Account, &n); err != nil {
			return err
		}
	}
	u, err := qs.Usage(e.ctx, c.Account)
	if err != nil {
		return err
	}
	quota := "none"
	if u.Quota != nil {
		quota = strconv.FormatInt(*u.Quota, 10)
	}
	_, err = fmt.Fprintf(e.stdout, "account %d: quota %s, used %d (jobs %d, /scrape/web %d in %d calls)\n",
		c.Account, quota, u.Spent(), u.JobCredits, u.SyncCredits, u.SyncCalls)
	return err
}
